//! Cancelling a call in flight (a cancelled Swift task, `cancel_running`; a cancelled
//! Kotlin coroutine drops the future) ends it at once with `Cancelled`, loses nothing the
//! user did, and the next sync applies the queued action exactly once.

use std::time::{Duration, Instant};

use waybill_core::{Error, SyncState};
use waybill_e2e::{LossyProxy, SHANGHAI, ServerProcess, consenting_driver};

/// A signed-in driver behind a proxy whose delay the test sets, with one accepted offer
/// queued (the directory and the server live as long as the returned guards).
async fn accepted_behind_a_proxy() -> (
    tempfile::TempDir,
    ServerProcess,
    LossyProxy,
    waybill_core::Waybill,
    waybill_core::Order,
) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let client = consenting_driver(&dir.path().join("d"), &proxy.base_url());
    waybill_e2e::sign_in(&client).await;
    let offer = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0].clone();
    client.accept_order(&offer.id).unwrap();
    (dir, server, proxy, client, offer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sync_ends_now_and_the_next_one_applies_the_action_once() {
    let (_dir, _server, proxy, client, offer) = accepted_behind_a_proxy().await;

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

/// A cancelled Swift task cancels its own call and no other (the facade passes one
/// `CallToken` per call): leaving one screen must not end a background sync elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_token_cancels_its_own_call_only() {
    use waybill_core::CallToken;
    let (_dir, _server, proxy, client, _offer) = accepted_behind_a_proxy().await;

    proxy.set_delay_ms(1_500);
    let (screen, background) = (CallToken::new(), CallToken::new());
    let started = Instant::now();
    let (left, finished, ()) = tokio::join!(
        CallToken::guard(Some(&screen), client.refresh_open_orders(SHANGHAI, 60_000)),
        CallToken::guard(Some(&background), client.sync()),
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            screen.cancel();
        },
    );
    assert_eq!(
        left.map(|_| ()),
        Err(Error::Cancelled),
        "the screen's call ended"
    );
    let report = finished.expect("the background sync was not touched");
    assert_eq!(report.pushed, 1);
    assert!(
        started.elapsed() >= Duration::from_millis(1_400),
        "it ran to its end"
    );

    // A token cancelled before its call starts ends that call at once.
    let early = CallToken::new();
    early.cancel();
    assert_eq!(
        CallToken::guard(Some(&early), client.sync())
            .await
            .map(|_| ()),
        Err(Error::Cancelled)
    );
    assert!(CallToken::guard(None, client.sync()).await.is_ok());
}

/// A stream that ends removes its listener, so the closure it registered (which holds
/// the client in Swift) is released and never called again.
#[test]
fn a_removed_listener_is_released_and_not_called() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    struct Counting(Arc<AtomicU32>);
    impl waybill_core::ChangeListener for Counting {
        fn changed(&self, _: waybill_core::Topic) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let client = waybill_core::Waybill::open_with_key_file(waybill_e2e::driver_config(
        dir.path(),
        "http://127.0.0.1:9",
    ))
    .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let before = client.listener_count();
    let id = client.add_listener(Arc::new(Counting(Arc::clone(&calls))));
    assert_eq!(client.listener_count(), before + 1);
    client.accept_policy("first_run_dialog").unwrap();
    let seen = calls.load(Ordering::SeqCst);
    assert!(seen > 0);

    assert!(client.remove_listener(id));
    assert_eq!(client.listener_count(), before, "the count drops");
    assert_eq!(
        Arc::strong_count(&calls),
        1,
        "what the listener held is released"
    );
    client
        .decide("proof_photos", true, "settings_switch")
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), seen, "not called any more");
    assert!(!client.remove_listener(id), "removing twice is a no-op");
}
