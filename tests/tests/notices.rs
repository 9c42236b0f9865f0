//! Service notices (P-69, P-70): a security notice reaches a phone whatever its settings; a
//! stop announced 30 days ahead ends collection at its time and the sweep deletes what the
//! phone held; a notice that does not verify with the app's control key (tampered on the
//! server, signed with another key) is shown nowhere and stops nothing.

use std::path::Path;

use chrono::{Duration, Utc};
use waybill_core::{Error, Notice, NoticeKind, OrderList, Waybill};
use waybill_e2e::{ServerProcess, carrying_driver, consenting_driver, driver_config, sign_in};
use waybill_server::control::ControlKey;

/// The operator publishes `notice` on the server whose database is `db`; the notice as
/// published, with the place in the sequence the server gave it.
fn publish(db: &Path, notice: &Notice) -> Notice {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let key = ControlKey::for_db(db).unwrap();
    assert!(waybill_server::notices::publish(&mut conn, &key, notice).unwrap());
    let seq: i64 = conn
        .query_row("SELECT seq FROM notices WHERE id = ?1", [&notice.id], |r| {
            r.get(0)
        })
        .unwrap();
    Notice {
        seq: seq as u64,
        ..notice.clone()
    }
}

fn notice(
    id: &str,
    kind: NoticeKind,
    published_days_ago: i64,
    stop_in: Option<Duration>,
) -> Notice {
    let now = Utc::now();
    Notice {
        id: id.into(),
        kind,
        title: format!("{kind:?} notice"),
        body: "What happened, what it means for you, and what to do.".into(),
        published_at: now - Duration::days(published_days_ago),
        stop_at: stop_in.map(|d| now + d),
        seq: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_notice_is_shown_with_every_optional_purpose_withdrawn_and_a_forged_one_nowhere()
{
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let driver = consenting_driver(&dir.path().join("d"), &url);
    sign_in(&driver).await;
    // Everything optional off: the notice does not rest on any of it.
    for row in driver.privacy_settings().unwrap().purposes {
        if row.switchable {
            driver.decide(&row.id, false, "settings_switch").unwrap();
        }
    }
    let incident = notice("incident-1", NoticeKind::SecurityIncident, 0, None);
    let incident = publish(&db, &incident);
    let synced = driver.sync().await.unwrap();
    assert_eq!(synced.notices_kept, 1);
    assert_eq!(driver.notices().unwrap(), std::slice::from_ref(&incident));
    // A phone that never accepted the policy nor signed in hears of it too.
    let fresh = Waybill::open_with_key_file(driver_config(&dir.path().join("f"), &url)).unwrap();
    assert!(matches!(fresh.sync().await, Err(Error::NotSignedIn)));
    assert_eq!(fresh.notices().unwrap(), std::slice::from_ref(&incident));

    // A front end that rewrites a notice, and one signed with a key that is not the
    // controller's: neither is shown.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let forged = ControlKey::for_db(&dir.path().join("elsewhere.sqlite3"))
        .unwrap()
        .sign(&notice("forged-1", NoticeKind::SecurityIncident, 0, None));
    conn.execute(
        "INSERT INTO notices (id, payload, signature, published_ms) VALUES ('forged-1', ?1, ?2, 0)",
        rusqlite::params![forged.payload, forged.signature],
    )
    .unwrap();
    publish(
        &db,
        &notice("maintenance-1", NoticeKind::Maintenance, 0, None),
    );
    conn.execute(
        "UPDATE notices SET payload = replace(payload, 'What happened', 'Call +86 400 000 0000')
         WHERE id = 'maintenance-1'",
        [],
    )
    .unwrap();
    let later = driver.sync().await.unwrap();
    assert_eq!(later.notices_kept, 0, "neither verifies");
    assert_eq!(driver.notices().unwrap(), [incident]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_announced_thirty_days_ahead_ends_collection_at_its_time_and_the_sweep_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let (driver, order_id) = carrying_driver(&dir.path().join("d"), &url).await;
    waybill_e2e::allow_trajectory(&driver);
    driver
        .record_fixes(&order_id, &waybill_e2e::recent_drive())
        .unwrap();
    driver.flush_fixes().unwrap();

    // Announced for 31 days from now: shown, and nothing stops yet.
    let ahead = notice(
        "stop-ahead",
        NoticeKind::ServiceStop,
        0,
        Some(Duration::days(31)),
    );
    let ahead = publish(&db, &ahead);
    driver.sync().await.unwrap();
    assert_eq!(driver.notices().unwrap(), std::slice::from_ref(&ahead));
    assert_eq!(
        driver.sweep_retention().unwrap(),
        0,
        "before the stop nothing goes"
    );
    assert!(!driver.fixes(&order_id).unwrap().is_empty());
    // The sweep on the stop day deletes what is held.
    let at_stop = ahead.stop_at.unwrap() + Duration::minutes(1);
    assert!(driver.sweep_retention_as_of(at_stop).unwrap() > 0);
    assert!(driver.orders(OrderList::Mine).unwrap().is_empty());
    assert!(driver.fixes(&order_id).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_stop_time_has_come_the_gate_refuses_every_collection() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let (driver, order_id) = carrying_driver(&dir.path().join("d"), &url).await;
    waybill_e2e::allow_trajectory(&driver);
    let consignee = driver
        .order_contact(&order_id, true)
        .unwrap()
        .expect("the held order's contact")
        .consignee_phone;
    // A stop announced 40 days ago for a minute ago (this phone was away since).
    let stop = notice(
        "stop-now",
        NoticeKind::ServiceStop,
        40,
        Some(Duration::minutes(-1)),
    );
    let stop = publish(&db, &stop);
    let synced = driver.sync().await;
    assert!(
        matches!(synced, Err(Error::ServiceStopped { .. })),
        "nothing is sent after the stop: {synced:?}"
    );
    assert_eq!(driver.notices().unwrap(), [stop]);
    let fixes = driver.record_fixes(&order_id, &waybill_e2e::recent_drive());
    assert!(
        matches!(fixes, Err(Error::ServiceStopped { .. })),
        "{fixes:?}"
    );
    let reported = driver.report_exception(&order_id, "gate closed");
    assert!(
        matches!(reported, Err(Error::ServiceStopped { .. })),
        "{reported:?}"
    );
    assert!(driver.sweep_retention().unwrap() > 0);
    assert!(driver.orders(OrderList::Mine).unwrap().is_empty());
    let bytes = waybill_e2e::raw_database_bytes(&dir.path().join("d"));
    assert!(
        !waybill_e2e::contains(&bytes, consignee.as_bytes()),
        "the consignee's number is gone from the database and its WAL"
    );

    // A new phone on this service cannot start collecting either, not even as a guest.
    let late = consenting_driver(&dir.path().join("late"), &url);
    let _ = late.sync().await;
    let browsed = late.browse_offers_as_guest(waybill_e2e::SHANGHAI).await;
    assert!(
        matches!(browsed, Err(Error::ServiceStopped { .. })),
        "{browsed:?}"
    );
}

/// A driving phone syncs in the background about once a minute: the controller's two
/// reads are made once per interval there, and at once by a foreground sync or a push.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_syncs_read_the_controller_once_per_interval_a_push_or_a_foreground_sync_at_once()
 {
    use std::sync::Arc;
    use waybill_core::Network;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let transport = Arc::new(waybill_e2e::counting::CountingTransport::new());
    let driver = Waybill::open_with_transport(
        driver_config(&data, &server.base_url),
        &waybill_core::KeyFile::in_dir(&data),
        Arc::clone(&transport) as Arc<dyn waybill_core::net::Transport>,
    )
    .unwrap();
    driver.accept_policy("first_run_dialog").unwrap();
    sign_in(&driver).await;
    let background =
        || driver.sync_in_background(std::time::Duration::from_secs(20), Network::Unmetered);
    // The controller's two reads so far.
    let reads = || (transport.to("/v1/notices?"), transport.to("/v1/control?"));

    let start = reads();
    for _ in 0..3 {
        background().await.unwrap();
    }
    let after = reads();
    assert_eq!(
        (after.0 - start.0, after.1 - start.1),
        (1, 1),
        "once in three syncs"
    );

    let incident = notice("incident-2", NoticeKind::SecurityIncident, 0, None);
    let incident = publish(&db, &incident);
    background().await.unwrap();
    assert_eq!(reads(), after, "not yet read again");
    assert!(driver.notices().unwrap().is_empty());
    let pushed = driver
        .handle_push(r#"{"v":1,"refresh":"notices"}"#)
        .await
        .unwrap();
    assert_eq!(pushed.pulled, 1, "a notices push reads at once");
    assert_eq!(driver.notices().unwrap(), std::slice::from_ref(&incident));

    let before_foreground = reads();
    driver.sync().await.unwrap();
    let foreground = reads();
    assert_eq!(
        foreground.1,
        before_foreground.1 + 1,
        "a foreground sync reads the documents"
    );

    // The interval passed (the last full read dated back 31 minutes): read again.
    let core_db = rusqlite::Connection::open(data.join(waybill_core::db::DB_FILE_NAME)).unwrap();
    core_db
        .busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let long_ago = (Utc::now() - Duration::minutes(31)).to_rfc3339();
    assert_eq!(
        core_db
            .execute(
                "UPDATE meta SET value = ?1 WHERE key = 'controller_read_at'",
                [&long_ago],
            )
            .unwrap(),
        1
    );
    background().await.unwrap();
    let later = reads();
    assert_eq!((later.0 - foreground.0, later.1 - foreground.1), (1, 1));
}

/// A front end that withholds a notice (serving the others and the signed head) is found
/// out: the device counts what the signed sequence names and it was not served, reads the
/// notices again from the start, and keeps the notice once it is served. An older head
/// replayed does not hide the gap, and a head signed with another key changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withheld_notice_is_counted_from_the_signed_sequence_and_kept_once_served() {
    use waybill_core::protocol::notices::NoticesHead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let driver = consenting_driver(&dir.path().join("d"), &server.base_url);
    sign_in(&driver).await;
    let ids = |d: &Waybill| -> Vec<String> {
        let mut ids: Vec<String> = d.notices().unwrap().into_iter().map(|n| n.id).collect();
        ids.sort();
        ids
    };

    publish(&db, &notice("n-1", NoticeKind::Maintenance, 0, None));
    let synced = driver.sync().await.unwrap();
    assert_eq!(synced.notices_withheld, 0);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let head = |conn: &rusqlite::Connection| -> (String, String) {
        conn.query_row(
            "SELECT payload, signature FROM control_documents WHERE kind = 'notices_head'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let first_head = head(&conn);
    publish(&db, &notice("n-2", NoticeKind::SecurityIncident, 0, None));
    publish(&db, &notice("n-3", NoticeKind::Maintenance, 0, None));

    // The front end drops the incident from what it serves.
    let withheld: (i64, String, String, i64) = conn
        .query_row(
            "SELECT seq, payload, signature, published_ms FROM notices WHERE id = 'n-2'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    conn.execute("DELETE FROM notices WHERE id = 'n-2'", [])
        .unwrap();
    let synced = driver.sync().await.unwrap();
    assert_eq!(ids(&driver), ["n-1", "n-3"]);
    assert_eq!(synced.notices_withheld, 1, "the head names 3");
    let between = driver
        .sync_in_background(
            std::time::Duration::from_secs(20),
            waybill_core::Network::Unmetered,
        )
        .await
        .unwrap();
    assert_eq!(
        between.report.notices_withheld, 1,
        "a background sync that does not read the controller reports what the last read found"
    );

    // The first head replayed, then a head signed with another key: the gap stays known.
    let replace_head = |(payload, signature): (String, String)| {
        conn.execute(
            "UPDATE control_documents SET payload = ?1, signature = ?2 WHERE kind = 'notices_head'",
            [payload, signature],
        )
        .unwrap();
    };
    replace_head(first_head);
    let synced = driver.sync().await.unwrap();
    assert_eq!(
        synced.notices_withheld, 1,
        "an older head is not believed over a newer one"
    );
    let forged = ControlKey::for_db(&dir.path().join("elsewhere.sqlite3"))
        .unwrap()
        .sign(&NoticesHead {
            through: 1,
            issued_at: Utc::now(),
        });
    replace_head((forged.payload, forged.signature));
    let synced = driver.sync().await.unwrap();
    assert_eq!(synced.notices_withheld, 1);

    // Served again: read from the start, kept, nothing withheld.
    conn.execute(
        "INSERT INTO notices (seq, id, payload, signature, published_ms) VALUES (?1, 'n-2', ?2, ?3, ?4)",
        rusqlite::params![withheld.0, withheld.1, withheld.2, withheld.3],
    )
    .unwrap();
    let synced = driver.sync().await.unwrap();
    assert_eq!(ids(&driver), ["n-1", "n-2", "n-3"]);
    assert_eq!(synced.notices_withheld, 0);
}
