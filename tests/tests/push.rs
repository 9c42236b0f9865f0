//! Push (P-23; seed 000: "If you refuse to open push, you will not be able to" receive the
//! push, and nothing else stops): a refused push keeps the token on no device and no
//! server and status still arrives by sync; an allowed push brings each status change to
//! the right device once, as a topic only, and the device turns it into one targeted sync;
//! a withdrawal makes the server forget the token.

use std::path::Path;

use waybill_core::{
    Error, OrderStatus, Permission, PermissionState, PushPlatform, PushState, PushTopic,
};
use waybill_e2e::{
    ServerProcess, allow_push, consenting_driver, consenting_shipper, sample_errand, sign_in,
};
use waybill_server::push::DevPushSender;

/// The push tokens the server holds.
fn server_tokens(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT token FROM push_tokens ORDER BY token")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_push_sends_no_token_and_status_still_arrives_by_sync() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let shipper = consenting_shipper(&dir.path().join("s"), &url);
    sign_in(&shipper).await;

    // Default off: the token the SDK gave is refused and not kept.
    let refused = shipper.set_push_token("fcm-shipper-refused", PushPlatform::Fcm);
    assert!(
        matches!(refused, Err(Error::ConsentRequired { ref purpose }) if purpose == "push_notifications"),
        "{refused:?}"
    );
    // The in-app yes without the OS permission is not enough either.
    shipper
        .decide("push_notifications", true, "settings_switch")
        .unwrap();
    shipper
        .report_permission(Permission::Notifications, PermissionState::Denied)
        .unwrap();
    let denied = shipper.set_push_token("fcm-shipper-refused", PushPlatform::Fcm);
    assert!(denied.is_err(), "{denied:?}");
    assert_eq!(shipper.push_state().unwrap(), PushState::Off);

    let errand = shipper.place_errand(&sample_errand(1), true).unwrap();
    shipper.sync().await.unwrap();
    let driver = consenting_driver(&dir.path().join("d"), &url);
    sign_in(&driver).await;
    driver
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .unwrap();
    driver.accept_order(&errand.id).unwrap();
    driver.sync().await.unwrap();

    assert!(server_tokens(&db).is_empty(), "no token left the device");
    assert!(DevPushSender::sent(&db).is_empty(), "nothing pushed");
    let db_bytes = waybill_e2e::raw_database_bytes(&dir.path().join("s"));
    assert!(
        !waybill_e2e::contains(&db_bytes, b"fcm-shipper-refused"),
        "nor kept on the device"
    );
    // Polling keeps status current.
    shipper.sync().await.unwrap();
    assert_eq!(
        shipper.order(&errand.id).unwrap().status,
        OrderStatus::Accepted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_push_brings_each_change_once_to_the_right_device_and_one_targeted_sync() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let shipper = consenting_shipper(&dir.path().join("s"), &url);
    sign_in(&shipper).await;
    allow_push(&shipper);
    assert_eq!(
        shipper
            .set_push_token("fcm-shipper-a", PushPlatform::Fcm)
            .unwrap(),
        PushState::Waiting
    );
    // Another shipper with pushes on, and the driver too: neither is told of this errand
    // (the driver makes the changes).
    let stranger = consenting_shipper(&dir.path().join("t"), &url);
    sign_in(&stranger).await;
    allow_push(&stranger);
    stranger
        .set_push_token("apns-stranger", PushPlatform::Apns)
        .unwrap();
    stranger.sync().await.unwrap();
    let driver = consenting_driver(&dir.path().join("d"), &url);
    sign_in(&driver).await;
    allow_push(&driver);
    driver
        .set_push_token("umeng-driver", PushPlatform::Umeng)
        .unwrap();

    let errand = shipper.place_errand(&sample_errand(2), true).unwrap();
    let placed = shipper.sync().await.unwrap();
    assert_eq!(placed.push_registrations, 1);
    assert_eq!(shipper.push_state().unwrap(), PushState::Registered);
    driver
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .unwrap();
    assert_eq!(
        server_tokens(&db),
        ["apns-stranger", "fcm-shipper-a"],
        "the driver's token goes with its first sync"
    );
    assert!(DevPushSender::sent(&db).is_empty(), "placing told nobody");

    for (step, status) in [
        ("accept", OrderStatus::Accepted),
        ("pick_up", OrderStatus::PickedUp),
    ] {
        match step {
            "accept" => drop(driver.accept_order(&errand.id).unwrap()),
            _ => drop(driver.pick_up(&errand.id).unwrap()),
        }
        let before = DevPushSender::sent(&db).len();
        driver.sync().await.unwrap();
        let sent = DevPushSender::sent(&db);
        let new = &sent[before..];
        assert_eq!(new.len(), 1, "{step}: one push, {new:?}");
        let (token, data) = &new[0];
        assert_eq!(
            token, "fcm-shipper-a",
            "{step}: to the errand's shipper only"
        );
        assert_eq!(
            data,
            &serde_json::json!({"v": 1, "refresh": "orders"}),
            "{step}: a topic, no order, status or name"
        );
        let refreshed = shipper.handle_push(&data.to_string()).await.unwrap();
        assert_eq!(refreshed.topic, PushTopic::Orders);
        assert_eq!(refreshed.pulled, 1, "{step}: one targeted pull");
        assert_eq!(shipper.order(&errand.id).unwrap().status, status, "{step}");
    }
    assert!(
        DevPushSender::sent(&db)
            .iter()
            .all(|(t, _)| t == "fcm-shipper-a"),
        "neither the stranger nor the acting driver was pushed"
    );

    // Withdrawn: the token leaves the device now and the server at the next sync; later
    // changes push nothing and still arrive by sync.
    shipper
        .decide("push_notifications", false, "settings_switch")
        .unwrap();
    assert_eq!(shipper.push_state().unwrap(), PushState::Off);
    let forgot = shipper.sync().await.unwrap();
    assert_eq!(forgot.push_registrations, 1, "DELETE /v1/push-token");
    assert_eq!(server_tokens(&db), ["apns-stranger", "umeng-driver"]);
    let pushes = DevPushSender::sent(&db).len();
    driver
        .deliver_with_override(&errand.id, Some("handed over at the gate"))
        .unwrap();
    driver.sync().await.unwrap();
    assert_eq!(
        DevPushSender::sent(&db).len(),
        pushes,
        "nothing after withdrawal"
    );
    shipper.sync().await.unwrap();
    assert_eq!(
        shipper.order(&errand.id).unwrap().status,
        OrderStatus::Delivered
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_push_payloads_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let shipper = consenting_shipper(&dir.path().join("s"), &server.base_url);
    sign_in(&shipper).await;
    for payload in [
        "",
        "{}",
        r#"{"v":1,"refresh":"orders","order_id":"ord-1"}"#,
        r#"{"v":9,"refresh":"orders"}"#,
        &"x".repeat(10_000),
    ] {
        let handled = shipper.handle_push(payload).await;
        assert!(
            matches!(handled, Err(Error::InvalidInput { .. })),
            "{payload:.40}: {handled:?}"
        );
    }
    for token in ["", "has space", &"t".repeat(5_000)] {
        assert!(matches!(
            shipper.set_push_token(token, PushPlatform::Fcm),
            Err(Error::InvalidInput { .. })
        ));
    }
}
