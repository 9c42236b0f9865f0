//! The shipper's side (seed 003: place an errand with sender and recipient, follow it,
//! cancel it) against the real server, offline first, and the shipper's conflict: a
//! cancellation sent after the driver already delivered.

use waybill_core::{Error, OrderList, OrderStatus, RejectionReason, SyncState, Waybill};
use waybill_e2e::{SHANGHAI, ServerProcess, consenting_driver, sample_errand as errand};

fn shipper(dir: &std::path::Path, url: &str) -> Waybill {
    waybill_e2e::consenting_shipper(dir, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipper_places_an_errand_offline_and_follows_it_to_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let shipper = shipper(&dir.path().join("s"), &url);
    waybill_e2e::sign_in(&shipper).await;

    let addr = server.kill(); // no signal
    assert_eq!(
        shipper.place_errand(&errand(1), false),
        Err(Error::ThirdPartyConfirmationRequired),
        "P-28: entering someone else's data needs the shipper's confirmation"
    );
    let placed = shipper.place_errand(&errand(1), true).unwrap();
    assert_eq!(
        (placed.status, placed.sync_state, placed.placed_by_me),
        (OrderStatus::Open, SyncState::Pending, true)
    );
    let own = shipper.order_contact(&placed.id, true).unwrap().unwrap();
    assert!(
        !own.masked,
        "the shipper sees what it entered while the errand is open"
    );
    assert!(matches!(shipper.sync().await, Err(Error::Offline { .. })));

    let _server = ServerProcess::start(&db, &addr.to_string());
    assert_eq!(shipper.sync().await.unwrap().pushed, 1);
    let driver = consenting_driver(&dir.path().join("d"), &url);
    waybill_e2e::sign_in(&driver).await;
    let offers = driver.refresh_open_orders(SHANGHAI, 10_000).await.unwrap();
    assert!(
        offers.iter().any(|o| o.id == placed.id),
        "the device-made id is the order's id"
    );
    driver.accept_order(&placed.id).unwrap();
    driver.pick_up(&placed.id).unwrap();
    driver.sync().await.unwrap();
    let consignee = driver.order_contact(&placed.id, true).unwrap().unwrap();
    assert_eq!(consignee.consignee_phone, "13600002222");

    // Following: the change feed brings the driver's progress to the shipper.
    shipper.sync().await.unwrap();
    assert_eq!(
        shipper.order(&placed.id).unwrap().status,
        OrderStatus::PickedUp
    );
    driver.deliver(&placed.id).unwrap();
    driver.sync().await.unwrap();
    let report = shipper.sync().await.unwrap();
    assert!(report.pulled >= 1);
    let mine = shipper.orders(OrderList::Mine).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status, OrderStatus::Delivered);
    assert!(
        shipper
            .order_contact(&placed.id, true)
            .unwrap()
            .unwrap()
            .masked,
        "closed ⇒ masked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_that_arrives_after_delivery_is_refused_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let url = server.base_url.clone();
    let shipper = shipper(&dir.path().join("s"), &url);
    waybill_e2e::sign_in(&shipper).await;
    let placed = shipper.place_errand(&errand(2), true).unwrap();
    shipper.sync().await.unwrap();

    let driver = consenting_driver(&dir.path().join("d"), &url);
    waybill_e2e::sign_in(&driver).await;
    driver.refresh_open_orders(SHANGHAI, 10_000).await.unwrap();
    driver.accept_order(&placed.id).unwrap();
    driver.sync().await.unwrap();

    // The shipper, offline, cancels; meanwhile the driver delivers.
    assert_eq!(
        shipper.cancel_errand(&placed.id).unwrap().status,
        OrderStatus::Cancelled,
        "optimistic"
    );
    driver.pick_up(&placed.id).unwrap();
    driver.deliver(&placed.id).unwrap();
    driver.sync().await.unwrap();

    let report = shipper.sync().await.unwrap();
    let reasons: Vec<_> = report
        .rejected
        .iter()
        .map(|r| (r.action.as_str(), r.reason))
        .collect();
    assert_eq!(reasons, [("cancel", RejectionReason::NotAllowedNow)]);
    assert_eq!(
        shipper.order(&placed.id).unwrap().status,
        OrderStatus::Delivered,
        "the server's truth replaces the optimistic cancellation"
    );
    // A driver cannot use the shipper's actions, nor the shipper the driver's.
    assert!(matches!(
        shipper.pick_up(&placed.id),
        Err(Error::InvalidTransition { .. })
    ));
}
