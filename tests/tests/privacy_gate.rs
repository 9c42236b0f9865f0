//! The privacy gate on every collection path that exists, end to end against the real
//! server: nothing leaves the device before the policy is accepted (seed 002: "在确认充分
//! 理解并同意后再开始使用" — start using only after understanding and agreeing), and a
//! withdrawal stops the purpose's collection at once.

use waybill_core::{Error, OrderList, PurposeState, Waybill};
use waybill_e2e::{LossyProxy, SHANGHAI, ServerProcess, driver_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_or_stored_before_the_policy_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let client =
        Waybill::open_with_key_file(driver_config(&dir.path().join("d"), &proxy.base_url()))
            .unwrap();

    assert_eq!(
        client.request_sign_in_code("+86 138 0013 8000").await,
        Err(Error::ConsentRequired {
            purpose: "account".into()
        })
    );
    assert_eq!(
        client.refresh_open_orders(SHANGHAI, 60_000).await,
        Err(Error::NotSignedIn)
    );
    assert!(client.accept_order("ord-sh-0001").is_err());
    assert_eq!(proxy.connections(), 0, "not one connection before consent");
    assert_eq!(client.pending_actions().unwrap(), 0);
    assert!(client.orders(OrderList::Open).unwrap().is_empty());

    let receipts = client.accept_policy("first_run_dialog").unwrap();
    assert!(!receipts.is_empty());
    waybill_e2e::sign_in(&client).await;
    assert!(
        !client
            .refresh_open_orders(SHANGHAI, 60_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(proxy.connections() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_a_purpose_stops_its_collection_at_once_and_spares_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let client =
        Waybill::open_with_key_file(driver_config(&dir.path().join("d"), &server.base_url))
            .unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    waybill_e2e::sign_in(&client).await;
    let target = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0]
        .id
        .clone();

    // The driver turns off location-based order search (a consent-based purpose).
    client
        .decide("nearby_orders", false, "settings_switch")
        .unwrap();
    assert_eq!(
        client.purpose_state("nearby_orders").unwrap(),
        PurposeState::Withdrawn
    );
    assert_eq!(
        client.refresh_open_orders(SHANGHAI, 60_000).await,
        Err(Error::ConsentRequired {
            purpose: "nearby_orders".into()
        })
    );
    // Contract-based fulfilment of orders goes on (P-03).
    client.accept_order(&target).unwrap();
    assert_eq!(client.sync().await.unwrap().pushed, 1);

    // Turning it back on is a new decision with its own receipt.
    client
        .decide("nearby_orders", true, "settings_switch")
        .unwrap();
    client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    // Policy acceptance, its core grant of nearby_orders, the withdrawal, the new grant.
    assert_eq!(client.verify_consent_ledger().unwrap(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_receipts_reach_the_server_once_and_match_the_device_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&server_db);
    let client =
        Waybill::open_with_key_file(driver_config(&dir.path().join("d"), &server.base_url))
            .unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    let account = waybill_e2e::sign_in(&client).await;
    client
        .decide("trajectory_upload", true, "separate_consent_dialog")
        .unwrap();

    assert_eq!(client.sync().await.unwrap().receipts_sent, 3);
    assert_eq!(client.sync().await.unwrap().receipts_sent, 0, "sent once");
    client
        .decide("trajectory_upload", false, "settings_switch")
        .unwrap();
    assert_eq!(
        client.sync().await.unwrap().receipts_sent,
        1,
        "the withdrawal follows"
    );

    let device: Vec<String> = client
        .privacy_settings()
        .unwrap()
        .receipts
        .into_iter()
        .rev()
        .map(|r| r.hash)
        .collect();
    let conn = rusqlite::Connection::open(&server_db).unwrap();
    let mut stmt = conn
        .prepare("SELECT hash FROM consent_receipts WHERE account_id = ?1 ORDER BY seq")
        .unwrap();
    let on_server: Vec<String> = stmt
        .query_map([&account], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(on_server, device);
}
