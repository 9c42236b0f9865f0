//! Following the courier (seed 003's "行踪轨迹", 001's cargo location query): the errand's
//! shipper sees the courier's positions between pickup and delivery and at no other time;
//! another shipper and the driver's own app cannot use the shipper's view.

use waybill_core::Error;
use waybill_core::protocol::CourierState;
use waybill_e2e::{
    SHANGHAI, ServerProcess, allow_trajectory, consenting_driver, consenting_shipper,
    sample_errand, sign_in,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipper_follows_the_courier_between_pickup_and_delivery_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let shipper = consenting_shipper(&dir.path().join("s"), &url);
    sign_in(&shipper).await;
    let errand = shipper.place_errand(&sample_errand(1), true).unwrap();
    shipper.sync().await.unwrap();
    let driver = consenting_driver(&dir.path().join("d"), &url);
    sign_in(&driver).await;
    driver.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    driver.accept_order(&errand.id).unwrap();
    driver.sync().await.unwrap();

    let before = shipper.follow_courier(&errand.id).await.unwrap();
    assert_eq!(before.state, CourierState::NotPickedUp);
    assert!(
        before.route.is_empty() && before.latest.is_none(),
        "nothing before pickup"
    );

    driver.pick_up(&errand.id).unwrap();
    allow_trajectory(&driver);
    driver.sync().await.unwrap();
    // The pickup happened ten minutes ago, as the server recorded it.
    let ten_minutes_ago = chrono::Utc::now() - chrono::Duration::minutes(10);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE order_events SET at = ?2 WHERE order_id = ?1 AND kind = 'picked_up'",
            rusqlite::params![errand.id, ten_minutes_ago.to_rfc3339()],
        )
        .unwrap();
    let fixes = waybill_e2e::recent_drive();
    driver.record_fixes(&errand.id, &fixes).unwrap();
    driver.flush_fixes().unwrap();
    let sent = driver.sync().await.unwrap();
    assert!(sent.trajectory_batches >= 1, "{sent:?}");
    // The driver's app says who sees the position: in settings, and in the log of what
    // was sent to whom.
    let settings = driver.privacy_settings().unwrap();
    let trajectory = settings
        .purposes
        .iter()
        .find(|p| p.id == "trajectory_upload")
        .unwrap();
    assert!(
        trajectory.recipients.iter().any(|r| r.contains("shipper")),
        "{:?}",
        trajectory.recipients
    );
    let log = driver.transparency_log(50).unwrap();
    assert!(
        log.iter().any(|e| e.purpose == "trajectory_upload"
            && e.recipient
                .as_deref()
                .is_some_and(|r| r.ends_with("shown to errand_shipper"))),
        "{log:?}"
    );

    let moving = shipper.follow_courier(&errand.id).await.unwrap();
    assert_eq!(moving.state, CourierState::InTransit);
    assert!(!moving.route.is_empty(), "positions in transit");
    assert_eq!(moving.latest, moving.route.last().copied());
    assert!(moving.covered_m > 100.0, "{}", moving.covered_m);
    assert!(moving.left_m.is_some(), "distance to the drop-off");
    let again = shipper.follow_courier(&errand.id).await.unwrap();
    assert_eq!(
        again.route, moving.route,
        "a second pull adds nothing twice"
    );

    // Another shipper, and the driver's app, cannot follow this courier.
    let stranger = consenting_shipper(&dir.path().join("x"), &url);
    sign_in(&stranger).await;
    assert!(stranger.follow_courier(&errand.id).await.is_err());
    assert!(matches!(
        driver.follow_courier(&errand.id).await,
        Err(Error::InvalidInput { .. })
    ));

    driver
        .deliver_with_override(&errand.id, Some("handed over at the gate"))
        .unwrap();
    driver.sync().await.unwrap();
    let after = shipper.follow_courier(&errand.id).await.unwrap();
    assert_eq!(after.state, CourierState::Delivered);
    assert!(
        after.route.is_empty() && after.latest.is_none(),
        "nothing after delivery"
    );
}
