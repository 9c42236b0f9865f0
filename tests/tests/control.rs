//! The controller's signed documents (P-51, P-67, P-68): an SDK switch deactivates an SDK
//! at once and an old one replayed cannot bring it back; a newer policy manifest the
//! controller publishes reaches the phone, and its material change asks the person again
//! before optional collection goes on; anything that does not verify with the app's
//! control key (rewritten on the server, signed with another key) changes nothing.

use std::path::Path;

use waybill_core::{Error, PolicyStatus, PurposeState};
use waybill_e2e::{ServerProcess, allow_push, consenting_driver, sign_in};
use waybill_server::control::ControlKey;

fn operator(db: &Path) -> (rusqlite::Connection, ControlKey) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    (conn, ControlKey::for_db(db).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_switch_deactivates_an_sdk_at_once_and_a_forged_or_older_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let driver = consenting_driver(&dir.path().join("d"), &server.base_url);
    sign_in(&driver).await;
    allow_push(&driver);
    assert!(driver.sdk_may_start("umeng_push").unwrap());
    driver
        .disclose_to_sdk("umeng_push", "device_info", 1)
        .unwrap();

    let (conn, key) = operator(&db);
    waybill_server::notices::publish_sdk_switch(&conn, &key, &["umeng_push"]).unwrap();
    let old = conn
        .query_row(
            "SELECT payload, signature FROM control_documents WHERE kind = 'sdk_switch'",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .unwrap();
    driver.sync().await.unwrap();
    assert!(!driver.sdk_may_start("umeng_push").unwrap(), "off at once");
    assert!(matches!(
        driver.disclose_to_sdk("umeng_push", "device_info", 1),
        Err(Error::InvalidInput { .. })
    ));
    assert!(
        driver.sdk_may_start("huawei_push").unwrap(),
        "the other push SDK serves the same function: it degrades to that one"
    );

    // The front end rewrites the switch to bring the SDK back: not signed, not believed.
    conn.execute(
        "UPDATE control_documents SET payload = replace(payload, 'umeng_push', 'amap')
         WHERE kind = 'sdk_switch'",
        [],
    )
    .unwrap();
    driver.sync().await.unwrap();
    assert!(!driver.sdk_may_start("umeng_push").unwrap());
    assert!(driver.sdk_may_start("amap").is_ok());

    // A newer switch with nothing off brings it back; the older one replayed afterwards
    // (signed, but older than the one kept) does not take it away again.
    std::thread::sleep(std::time::Duration::from_millis(5));
    waybill_server::notices::publish_sdk_switch(&conn, &key, &[]).unwrap();
    driver.sync().await.unwrap();
    assert!(driver.sdk_may_start("umeng_push").unwrap());
    conn.execute(
        "UPDATE control_documents SET payload = ?1, signature = ?2 WHERE kind = 'sdk_switch'",
        rusqlite::params![old.0, old.1],
    )
    .unwrap();
    driver.sync().await.unwrap();
    assert!(
        driver.sdk_may_start("umeng_push").unwrap(),
        "an old switch replayed is ignored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_manifest_reaches_the_phone_and_a_material_change_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let driver = consenting_driver(&dir.path().join("d"), &server.base_url);
    sign_in(&driver).await;
    driver
        .decide("proof_photos", true, "settings_switch")
        .unwrap();
    let shipped: serde_json::Value = serde_json::from_str(
        waybill_core::privacy::manifest::builtin(waybill_core::Role::Driver),
    )
    .unwrap();
    let (conn, key) = operator(&db);

    // Signed with another key: refused, the policy in force stays.
    let mut forged = shipped.clone();
    forged["policy_version"] = "2027.1.1".into();
    let elsewhere = ControlKey::for_db(&dir.path().join("elsewhere.sqlite3")).unwrap();
    waybill_server::notices::publish_manifest(&conn, &elsewhere, "driver", &forged.to_string())
        .unwrap();
    let report = driver.sync().await.unwrap();
    assert!(!report.manifest_installed);
    let before = driver.privacy_settings().unwrap().policy_version;
    assert_eq!(before, shipped["policy_version"].as_str().unwrap());

    // The controller's, with a new SDK receiving data: installed, and material.
    let mut material = shipped.clone();
    material["policy_version"] = "2027.1.1".into();
    material["sdks"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "id": "new_analytics", "name": "Analytics SDK", "provider": "Example",
            "purposes": ["service_logs"], "categories": ["service_logs"],
            "url": "https://example.com/privacy"
        }));
    waybill_server::notices::publish_manifest(&conn, &key, "driver", &material.to_string())
        .unwrap();
    let report = driver.sync().await;
    // The new policy is in force before anything else is sent under the old one.
    let settings = driver.privacy_settings().unwrap();
    assert_eq!(settings.policy_version, "2027.1.1", "{report:?}");
    match driver.policy_status().unwrap() {
        PolicyStatus::NeedsReacceptance { changes, .. } => {
            assert!(changes.iter().any(|c| c.material), "{changes:?}")
        }
        other => panic!("a material change asks again: {other:?}"),
    }
    assert_eq!(
        driver.purpose_state("proof_photos").unwrap(),
        PurposeState::PolicyNotAccepted,
        "optional collection waits for the new decision"
    );

    // The shipped version replayed (signed, older): not installed.
    waybill_server::notices::publish_manifest(&conn, &key, "driver", &shipped.to_string()).unwrap();
    driver.accept_policy("policy_change_popup").unwrap();
    let replayed = driver.sync().await.unwrap();
    assert!(!replayed.manifest_installed);
    assert_eq!(
        driver.privacy_settings().unwrap().policy_version,
        "2027.1.1"
    );
}
