//! Cancelling a call in flight (a cancelled Swift task, `cancel_running`; a cancelled
//! Kotlin coroutine drops the future) ends it at once with `Cancelled`, loses nothing the
//! user did, and the next sync applies the queued action exactly once.

use std::time::{Duration, Instant};

use waybill_core::{Error, SyncState};
use waybill_e2e::{LossyProxy, SHANGHAI, ServerProcess, consenting_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sync_ends_now_and_the_next_one_applies_the_action_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let client = consenting_driver(&dir.path().join("d"), &proxy.base_url());
    waybill_e2e::sign_in(&client).await;
    let offer = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0].clone();
    client.accept_order(&offer.id).unwrap();

    // A link so slow that the push is still in flight when the user leaves the screen.
    proxy.set_delay_ms(5_000);
    let started = Instant::now();
    let (cancelled, ()) = tokio::join!(client.sync(), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        client.cancel_running();
    });
    assert_eq!(cancelled, Err(Error::Cancelled));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        client.order(&offer.id).unwrap().sync_state,
        SyncState::Pending,
        "the acceptance is kept, waiting"
    );

    // Dropping the future (what a cancelled coroutine does) stops the work as well.
    let dropped = tokio::time::timeout(Duration::from_millis(300), client.sync()).await;
    assert!(dropped.is_err());

    proxy.set_delay_ms(0);
    let report = client.sync().await.unwrap();
    let again = client.sync().await.unwrap();
    assert_eq!(report.pushed + again.pushed, 1, "applied exactly once");
    assert_eq!(
        client.order(&offer.id).unwrap().sync_state,
        SyncState::Synced
    );
    // A cancel with nothing in flight affects nothing later.
    client.cancel_running();
    assert!(client.sync().await.is_ok());
}
