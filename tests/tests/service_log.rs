//! P-37 (seed 002: "留存相关的网络日志不少于六个月"; "预约、导航、提货、到货、签收、在途跟踪"):
//! service-log events are recorded only under the `service_logs` consent, survive a
//! restart until the server holds them, are deleted from the device once it does, and are
//! filed by the server under the network-log class. A withdrawal deletes what was not sent.

use std::path::Path;

use waybill_core::{DataAction, Waybill};
use waybill_e2e::{SHANGHAI, ServerProcess, consenting_driver, driver_config, sign_in};

fn device_events(data: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join(waybill_core::db::DB_FILE_NAME),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT kind FROM service_events ORDER BY at")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn server_events(db: &Path) -> Vec<(String, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, order_id FROM service_events ORDER BY at, kind")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_events_need_their_consent_wait_on_the_device_until_held_and_then_go() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let client = consenting_driver(&data, &server.base_url);
    sign_in(&client).await;
    let offers = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    let (first, second) = (offers[0].id.clone(), offers[1].id.clone());

    // Not decided yet (default off): the action is taken, nothing is logged.
    client.accept_order(&first).unwrap();
    client.set_map_visible(true);
    client.set_map_visible(false);
    assert!(
        device_events(&data).is_empty(),
        "no log without the consent"
    );
    assert_eq!(client.sync().await.unwrap().service_events_sent, 0);
    assert!(server_events(&db).is_empty());

    client
        .decide("service_logs", true, "settings_switch")
        .unwrap();
    client.pick_up(&first).unwrap();
    client.set_map_visible(true);
    client.set_map_visible(true); // still open: one event, not two
    assert_eq!(device_events(&data), ["pick_up", "navigation_opened"]);

    // Killed before the upload: the events are still there after a restart.
    drop(client);
    let client = Waybill::open_with_key_file(driver_config(&data, &server.base_url)).unwrap();
    assert_eq!(
        device_events(&data).len(),
        2,
        "unsent events survive a restart"
    );

    let report = client.sync().await.unwrap();
    assert_eq!(report.service_events_sent, 2);
    assert!(
        device_events(&data).is_empty(),
        "held by the server: gone from the device"
    );
    assert_eq!(
        server_events(&db),
        [
            ("pick_up".to_string(), Some(first.clone())),
            ("navigation_opened".to_string(), None),
        ]
    );
    assert!(
        client
            .transparency_log(50)
            .unwrap()
            .iter()
            .any(|e| e.action == DataAction::Sent && e.categories.contains(&"service_logs".into())),
        "the person sees that the log was sent"
    );

    // Offline events, then a withdrawal: purged, never sent.
    client.accept_order(&second).unwrap();
    assert_eq!(device_events(&data), ["accept"]);
    client
        .decide("service_logs", false, "settings_switch")
        .unwrap();
    assert!(
        device_events(&data).is_empty(),
        "a withdrawal deletes the unsent log"
    );
    client.pick_up(&second).unwrap();
    assert!(device_events(&data).is_empty());
    client.sync().await.unwrap();
    assert_eq!(
        server_events(&db).len(),
        2,
        "nothing more reached the server"
    );
}

/// Over the server's daily cap the log waits on the device and the rest of the sync goes
/// on: a low-priority log never blocks the driver's actions or the change feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_daily_cap_the_log_waits_and_the_sync_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let client = consenting_driver(&data, &server.base_url);
    sign_in(&client).await;
    client
        .decide("service_logs", true, "settings_switch")
        .unwrap();
    let account = client.account_id().unwrap().unwrap();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let now = chrono::Utc::now();
        let tx = conn.unchecked_transaction().unwrap();
        for i in 0..5_000 {
            tx.execute(
                "INSERT INTO service_events (account_id, event_id, kind, at, received_ms)
                 VALUES (?1, ?2, 'arrive', ?3, ?4)",
                rusqlite::params![
                    account,
                    format!("planted-{i}"),
                    now.to_rfc3339(),
                    now.timestamp_millis()
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let offer = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0]
        .id
        .clone();
    client.accept_order(&offer).unwrap();
    let report = client.sync().await.expect("the sync goes on");
    assert_eq!(report.pushed, 1, "the action went");
    assert!(report.completed);
    assert_eq!(report.service_events_sent, 0);
    assert_eq!(
        device_events(&data),
        ["accept"],
        "the event waits on the device"
    );
}
