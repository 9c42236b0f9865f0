//! Personal data end to end against the real server: the consignee's contact arrives only
//! with an accepted order and is shown in full only while the order is open (P-29); a
//! withdrawal purges what was collected from the database file and its WAL (PIPL Art.
//! 47; seed 002: "撤回同意后，我们将不再处理相应的个人信息"); rights requests carry the
//! policy's deadline (seed 002: "15个工作日内"); cancellation wipes the device.

use chrono::{TimeZone, Utc};
use waybill_core::{
    DataAction, Error, Fix, OrderList, Permission, PermissionState, PolicyStatus, RequestStatus,
    RightKind, Waybill,
};
use waybill_e2e::{
    LossyProxy, ServerProcess, allow_trajectory, carrying_driver, contains, driver_config,
    raw_database_bytes, sealed_cells, session_token,
};

/// Fixes with a planted timestamp (…:57.424242Z) and latitude, easy to find in raw bytes.
fn planted_fixes() -> Vec<Fix> {
    (0..20)
        .map(|i| Fix {
            at: Utc.with_ymd_and_hms(2026, 11, 22, 8, 13, 57).unwrap()
                + chrono::Duration::microseconds(424_242)
                + chrono::Duration::seconds(i),
            lat: 31.234_567_89 + f64::from(i as i32) * 1e-4, // 11 m/s: moving, not standing
            lon: 121.475_1,
            accuracy_m: Some(4.0),
            elapsed_ms: None,
            mock: false,
        })
        .collect()
}

/// A driver carrying an order, with the trajectory allowed and the planted fixes recorded.
async fn tracking_driver(
    dir: &std::path::Path,
) -> (ServerProcess, std::path::PathBuf, Waybill, String) {
    let server = ServerProcess::start_fresh(&dir.join("server.sqlite3"));
    let data = dir.join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;
    allow_trajectory(&client);
    client.record_fixes(&order_id, &planted_fixes()).unwrap();
    client.flush_fixes().unwrap(); // durable now, as when the app goes to the background
    (server, data, client, order_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consignee_contact_comes_with_the_order_and_is_masked_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;

    let full = client
        .order_contact(&order_id, true)
        .unwrap()
        .expect("contact");
    assert!(!full.masked);
    assert_eq!(full.consignee_phone.len(), 11, "{full:?}");
    let masked = client.order_contact(&order_id, false).unwrap().unwrap();
    assert!(masked.masked);
    assert_eq!(
        masked.consignee_phone,
        format!(
            "{}****{}",
            &full.consignee_phone[..3],
            &full.consignee_phone[7..]
        )
    );
    assert_ne!(masked.consignee_address, full.consignee_address);

    // No other order carries contact data: offers never do.
    for order in client.orders(OrderList::Open).unwrap() {
        assert_eq!(client.order_contact(&order.id, true).unwrap(), None);
    }
    let log = client.transparency_log(50).unwrap();
    assert!(log.iter().any(|e| e.action == DataAction::Received
        && e.categories == ["consignee_contact"]
        && e.recipient.as_deref() == Some("Waybill Logistics Ltd.")));
    assert!(
        log.iter()
            .any(|e| e.action == DataAction::Sent && e.categories == ["approximate_location"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_trajectory_consent_purges_its_fixes_from_the_file_and_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;

    // Before the separate consent, not one fix is stored.
    assert!(matches!(
        client.record_fixes(&order_id, &planted_fixes()),
        Err(Error::ConsentRequired { .. })
    ));
    assert!(client.fixes(&order_id).unwrap().is_empty());

    allow_trajectory(&client);
    assert_eq!(
        client.record_fixes(&order_id, &planted_fixes()).unwrap(),
        20
    );
    client.flush_fixes().unwrap(); // durable now, as when the app goes to the background
    let planted_time = b"57.424242";
    // Latitudes are sealed at rest: a purge must remove the ciphertext too (it would open
    // again with a key that leaked later).
    let sealed_lats = sealed_cells(&data, "SELECT lat FROM track_fixes");
    assert_eq!(sealed_lats.len(), 20);
    let before = raw_database_bytes(&data);
    assert!(
        contains(&before, planted_time),
        "sanity: the fixes are on disk"
    );
    assert!(sealed_lats.iter().all(|c| contains(&before, c)));
    assert!(
        !contains(&before, &31.234_567_89_f64.to_be_bytes()),
        "latitudes are sealed"
    );

    let receipt = client
        .decide("trajectory_upload", false, "settings_switch")
        .unwrap();
    assert_eq!(receipt.kind, waybill_core::DecisionKind::Withdrawn);

    // Collection stops at once...
    assert!(matches!(
        client.record_fixes(&order_id, &planted_fixes()),
        Err(Error::ConsentRequired { .. })
    ));
    // ...and what was collected is gone from the rows, the file and the WAL.
    assert!(client.fixes(&order_id).unwrap().is_empty());
    let after = raw_database_bytes(&data);
    assert!(!contains(&after, planted_time), "a fix timestamp survived");
    assert!(
        !sealed_lats.iter().any(|c| contains(&after, c)),
        "a sealed fix latitude survived"
    );
    let purged = client.transparency_log(10).unwrap();
    assert!(
        purged
            .iter()
            .any(|e| e.action == DataAction::Purged && e.items == 20),
        "{purged:?}"
    );
    // The order itself and its contact (a contract, not this consent) are untouched.
    assert!(client.order_contact(&order_id, true).unwrap().is_some());

    // The server is told: the withdrawal receipt reaches it with the next sync.
    client.sync().await.unwrap();
    let held: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/consent-receipts", server.base_url))
        .bearer_auth(session_token(&data))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<_> = held["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["purpose"] == "trajectory_upload")
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["granted", "withdrawn"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rights_request_carries_the_policy_deadline_and_its_server_status() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, data, client, order_id) = tracking_driver(dir.path()).await;

    let request = client
        .request_right(
            RightKind::Correction,
            "my licence plate is wrong",
            Some(&waybill_e2e::step_up_code(&client).await),
        )
        .unwrap();
    assert_eq!(request.status, RequestStatus::Queued);
    // Seed 002: a correction is answered "15天内" (15 days), a copy in 15 working days.
    assert_eq!((request.due_at - request.created_at).num_days(), 15);
    assert!(!request.overdue);

    let report = client.sync().await.unwrap();
    assert_eq!(report.rights_requests_sent, 1);
    let stored = &client.rights_requests().unwrap()[0];
    assert_eq!(stored.status, RequestStatus::Received);
    assert_eq!(
        client.sync().await.unwrap().rights_requests_sent,
        0,
        "filed once"
    );

    // Access and copy: one JSON document, the trajectory as GPX, third parties masked.
    let export: serde_json::Value =
        serde_json::from_str(&client.export_personal_data().unwrap()).unwrap();
    assert_eq!(export["format"], "waybill-export/1");
    let gpx_text = export["trajectories"][0]["gpx"].as_str().unwrap();
    let gpx = gpx::read(gpx_text.as_bytes()).expect("the export's GPX parses");
    assert_eq!(gpx.tracks[0].segments[0].points.len(), 20);
    let contact = &export["orders"][0]["contact"];
    assert_eq!(contact["masked"], true);
    assert!(
        contact["consignee_phone"]
            .as_str()
            .unwrap()
            .contains("****")
    );
    assert_eq!(export["rights_requests"][0]["status"], "received");
    assert!(
        !export.to_string().contains("tok_"),
        "the session token is not exported"
    );

    // Deletion: the fixes go; the contact of the order still carried stays (contract).
    client.request_right(RightKind::Deletion, "", None).unwrap();
    assert!(client.fixes(&order_id).unwrap().is_empty());
    assert!(client.order_contact(&order_id, true).unwrap().is_some());
    assert!(
        !contains(&raw_database_bytes(&data), b"57.424242"),
        "erased fixes left bytes on disk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_account_reaches_the_server_first_then_wipes_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &proxy.base_url()).await;
    allow_trajectory(&client);
    client.record_fixes(&order_id, &planted_fixes()).unwrap();
    client.flush_fixes().unwrap(); // durable now, as when the app goes to the background
    let phone = client
        .order_contact(&order_id, true)
        .unwrap()
        .unwrap()
        .consignee_phone;
    let token = session_token(&data);
    let code = waybill_e2e::step_up_code(&client).await;

    // The server applies the cancellation but its reply is lost: nothing is wiped yet.
    proxy.drop_next_replies(1);
    assert!(matches!(
        client.cancel_account(&code).await,
        Err(Error::Offline { .. })
    ));
    assert!(client.account_id().unwrap().is_some());
    assert!(!client.fixes(&order_id).unwrap().is_empty());

    // The next sync finishes the job (the server already revoked the token).
    client.sync().await.unwrap();
    assert_eq!(client.account_id().unwrap(), None);
    assert!(client.orders(OrderList::Mine).unwrap().is_empty());
    assert_eq!(client.policy_status().unwrap(), PolicyStatus::NotAccepted);
    assert!(client.fixes(&order_id).unwrap().is_empty());
    assert_eq!(client.verify_consent_ledger().unwrap(), 0);
    let raw = raw_database_bytes(&data);
    for planted in [phone.as_bytes(), token.as_bytes(), b"57.424242"] {
        assert!(
            !contains(&raw, planted),
            "{} survived the wipe",
            String::from_utf8_lossy(planted)
        );
    }
    let status = reqwest::Client::new()
        .get(format!("{}/v1/rights-requests", server.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 410, "the old session is closed on the server");

    // The client works on as a fresh install.
    client.accept_policy("first_run_dialog").unwrap();
    waybill_e2e::sign_in(&client).await;
    drop(client);
    let reopened = Waybill::open_with_key_file(driver_config(&data, &server.base_url)).unwrap();
    assert!(reopened.account_id().unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_location_off_in_the_os_withdraws_the_trajectory_and_purges_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, data, client, order_id) = tracking_driver(dir.path()).await;

    // Seed 002: "您一旦关闭任一权限即代表您收回了授权" (turning off a permission withdraws it).
    client
        .report_permission(Permission::LocationPrecise, PermissionState::Denied)
        .unwrap();
    assert!(client.fixes(&order_id).unwrap().is_empty());
    assert!(!contains(&raw_database_bytes(&data), b"57.424242"));
    assert!(matches!(
        client.record_fixes(&order_id, &planted_fixes()),
        Err(Error::PermissionRequired { .. })
    ));
    // Camera off touches nothing of the trajectory's, and nothing else was held for it.
    client
        .report_permission(Permission::LocationPrecise, PermissionState::Granted)
        .unwrap();
    // The drive goes on a minute later (the filter never takes a time twice).
    let later: Vec<Fix> = planted_fixes()
        .into_iter()
        .map(|f| Fix {
            at: f.at + chrono::Duration::minutes(1),
            ..f
        })
        .collect();
    client.record_fixes(&order_id, &later).unwrap();
    client.flush_fixes().unwrap(); // durable now, as when the app goes to the background
    client
        .report_permission(Permission::Camera, PermissionState::Denied)
        .unwrap();
    assert_eq!(client.fixes(&order_id).unwrap().len(), 20);

    // A user who turns out to be a minor without a guardian's consent: everything goes (P-66).
    assert!(client.declare_age(13).unwrap());
    assert!(client.fixes(&order_id).unwrap().is_empty());
    assert_eq!(client.order_contact(&order_id, false).unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_waiting_for_the_group_commit_are_never_written_after_a_withdrawal() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;
    allow_trajectory(&client);
    assert_eq!(
        client.record_fixes(&order_id, &planted_fixes()).unwrap(),
        20
    );
    // Not flushed yet (20 < the group-commit size, within its interval): in memory only.
    client
        .decide("trajectory_upload", false, "settings_switch")
        .unwrap();
    assert_eq!(client.flush_fixes().unwrap_or(0), 0);
    drop(client); // a clean close flushes too: nothing may reach the file
    assert!(!contains(&raw_database_bytes(&data), b"57.424242"));
}
