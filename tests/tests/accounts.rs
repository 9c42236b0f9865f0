//! The person's account end to end: one number on two phones, the dead phone's late
//! outbox, sign-out of a lost phone, suspension, sessions that need the device key, and
//! guest browsing that sends and stores nothing account-bound.

use std::sync::Arc;

use waybill_core::{AccountState, Error, OrderStatus, RejectionReason};
use waybill_e2e::hostile::HostileProxy;
use waybill_e2e::{
    SHANGHAI, ServerProbe, ServerProcess, consenting_driver, contains, fresh_phone, sign_in_as,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_phone_finishes_the_job_and_the_dead_phones_late_outbox_is_refused_typed() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let phone = fresh_phone();
    let first = consenting_driver(&dir.path().join("first"), &server.base_url);
    let account = sign_in_as(&first, &phone).await;
    let offers = first.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    let (target, another) = (offers[0].id.clone(), offers[1].id.clone());
    first.accept_order(&target).unwrap();
    assert_eq!(first.sync().await.unwrap().pushed, 1);
    // Loaded, then the phone dies before the pickup reached the server.
    first.pick_up(&target).unwrap();
    first.report_exception(&target, "battery at 1 %").unwrap();

    // The new phone: the same number is the same account, and the order is there.
    let second = consenting_driver(&dir.path().join("second"), &server.base_url);
    assert_eq!(sign_in_as(&second, &phone).await, account);
    second.sync().await.unwrap();
    let order = second.order(&target).unwrap();
    assert!(order.assigned_to_me && order.status == OrderStatus::Accepted);
    // The parties came with the change feed: the new phone can call and find the consignee.
    let party = second.order_contact(&target, true).unwrap().unwrap();
    assert!(!party.masked && !party.consignee_phone.is_empty());
    assert_eq!(
        party,
        first.order_contact(&target, true).unwrap().unwrap(),
        "the same contact the accepting phone received"
    );
    assert!(
        second.order_contact(&another, true).unwrap().is_none(),
        "no contact of an order the account does not hold"
    );
    second.pick_up(&target).unwrap();
    second.deliver(&target).unwrap();
    assert_eq!(second.sync().await.unwrap().pushed, 2);

    // The dead phone comes back with its outbox: each entry refused with a reason, the
    // order's state as the second phone left it, nothing applied twice.
    let report = first.sync().await.unwrap();
    assert_eq!(report.pushed, 0);
    assert!(!report.rejected.is_empty());
    assert!(
        report.rejected.iter().all(|r| matches!(
            r.reason,
            RejectionReason::NotAllowedNow | RejectionReason::EarlierActionRefused
        )),
        "{:?}",
        report.rejected
    );
    assert_eq!(first.pending_actions().unwrap(), 0);
    assert_eq!(first.order(&target).unwrap().status, OrderStatus::Delivered);
    let probe = ServerProbe::connect(&server.base_url).await;
    assert_eq!(
        probe.event_kinds(&target).await,
        ["accepted", "picked_up", "delivered"]
    );

    // The lost phone is signed out from the new one: its next call needs a code, its
    // queue is kept, and the new phone is unaffected.
    let devices = second.account_devices().await.unwrap();
    assert_eq!(devices.devices.len(), 2);
    assert!(!devices.phone_masked.contains(&phone[4..10]));
    let lost = devices.devices.iter().find(|d| !d.current).unwrap();
    second.sign_out_device(&lost.id).await.unwrap();
    first.accept_order(&another).unwrap();
    assert_eq!(first.sync().await, Err(Error::SignInRequired));
    assert_eq!(
        first.sign_in().await,
        Err(Error::SignInRequired),
        "no silent registration"
    );
    assert!(matches!(
        first.account_state().unwrap(),
        AccountState::SignedOut { .. }
    ));
    assert_eq!(first.pending_actions().unwrap(), 1, "the queue is kept");
    assert_eq!(second.account_devices().await.unwrap().devices.len(), 1);
    second.sync().await.unwrap();

    // Signing out everywhere ends the new phone's session too, and wipes it.
    second.sign_out(true).await.unwrap();
    assert_eq!(second.account_state().unwrap(), AccountState::Guest);
    assert!(second.order(&target).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_identifier_or_replayed_registration_grants_a_session_without_the_device_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let pass = |_: &reqwest::Method, _: &str, _: &mut waybill_e2e::hostile::Reply| {};
    let proxy = HostileProxy::start(server.addr, Arc::new(|_, _| None), Arc::new(pass)).await;
    let phone = fresh_phone();
    let client = consenting_driver(&dir.path().join("d"), &proxy.base_url());
    let account = sign_in_as(&client, &phone).await;

    // The registration exactly as it went over the wire (code and proof inside): sent
    // again, from anywhere, it signs nothing in.
    let wire = proxy.sent_bytes();
    let at = wire
        .windows(19)
        .rposition(|w| w == b"{\"installation_id\":")
        .expect("the registration body");
    let registration: serde_json::Value = serde_json::Deserializer::from_slice(&wire[at..])
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert!(registration["proof"].is_object() && registration["phone_code"].is_object());
    let http = reqwest::Client::new();
    let post = |body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{}/v1/devices", server.base_url);
        async move {
            let reply = http.post(url).json(&body).send().await.unwrap();
            (reply.status().as_u16(), reply.text().await.unwrap())
        }
    };
    let (status, body) = post(registration.clone()).await;
    assert!(status == 401 || status == 422, "{status} {body}");
    assert!(!body.contains("tok_"));
    // Without the code: the proof is spent. Without the proof: the code is spent.
    let mut proof_only = registration.clone();
    proof_only.as_object_mut().unwrap().remove("phone_code");
    assert_eq!(post(proof_only).await.0, 401);
    // The installation id and the number together, another device's own fresh code:
    // bound to the installation that asked, so it opens nothing for this one.
    let installation = registration["installation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let asked = http
        .post(format!("{}/v1/sign-in/codes", server.base_url))
        .json(&serde_json::json!({"phone": registration["phone_code"]["phone"], "installation_id": "attacker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status().as_u16(), 202);
    let stolen = waybill_e2e::latest_code(
        registration["phone_code"]["phone"].as_str().unwrap(),
        "sign_in",
    )
    .unwrap();
    let mut with_stolen = registration.clone();
    with_stolen["phone_code"]["code"] = serde_json::json!(stolen);
    with_stolen.as_object_mut().unwrap().remove("proof");
    with_stolen.as_object_mut().unwrap().remove("device_key");
    assert_eq!(
        post(with_stolen).await.0,
        422,
        "a code for another installation"
    );
    let bare = serde_json::json!({"installation_id": installation, "role": "driver",
        "app_id": "x", "app_version": "1"});
    assert_eq!(post(bare).await.0, 401, "the id alone");

    // The device itself still renews with its key into the same account.
    let token = waybill_e2e::session_token(&dir.path().join("d"));
    client.sign_out_device("dev_0000missing").await.unwrap_err();
    assert_eq!(
        client.account_id().unwrap().as_deref(),
        Some(account.as_str())
    );
    let changes = |token: String| {
        let http = http.clone();
        let url = format!("{}/v1/changes", server.base_url);
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(changes(token.clone()).await, 200);
    // Signed out here: the token is dead on the server too.
    client.sign_out(false).await.unwrap();
    assert_eq!(changes(token).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_account_is_a_typed_state_and_its_queue_waits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let client = consenting_driver(&dir.path().join("d"), &server.base_url);
    let account = waybill_e2e::sign_in(&client).await;
    let target = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0]
        .id
        .clone();
    client.accept_order(&target).unwrap();
    let operator = |flag: &str| {
        let status = std::process::Command::new(waybill_e2e::server_bin())
            .args(["--db", db.to_str().unwrap(), flag, &account])
            .status()
            .unwrap();
        assert!(status.success(), "{flag}");
    };
    operator("--suspend");
    assert_eq!(client.sync().await, Err(Error::AccountSuspended));
    assert!(matches!(
        client.account_state().unwrap(),
        AccountState::Suspended { .. }
    ));
    assert_eq!(
        client.pending_actions().unwrap(),
        1,
        "nothing deleted, nothing sent"
    );
    assert_eq!(client.sign_in().await, Err(Error::AccountSuspended));
    operator("--reinstate");
    assert_eq!(
        client.sign_in().await.unwrap(),
        account,
        "the key renews the same account"
    );
    assert_eq!(client.sync().await.unwrap().pushed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_browses_offers_and_nothing_account_bound_is_sent_or_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let pass = |_: &reqwest::Method, _: &str, _: &mut waybill_e2e::hostile::Reply| {};
    let proxy = HostileProxy::start(server.addr, Arc::new(|_, _| None), Arc::new(pass)).await;
    let data = dir.path().join("guest");
    let guest = consenting_driver(&data, &proxy.base_url());
    let precise = waybill_core::LatLon {
        lat: 31.230_416,
        lon: 121.473_701,
    };
    let offers = guest.browse_offers_as_guest(precise).await.unwrap();
    assert!(!offers.is_empty());
    assert!(offers.iter().all(|o| !o.assigned_to_me && !o.placed_by_me));
    assert_eq!(guest.account_state().unwrap(), AccountState::Guest);

    // On the wire: one request, no credential, no device or person, a coarse position.
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());
    let wire = proxy.sent_bytes();
    for absent in [
        &b"authorization"[..],
        b"installation",
        b"phone",
        b"31.230416",
        b"121.473701",
        b"31.2304",
    ] {
        assert!(
            !contains(&wire.to_ascii_lowercase(), absent),
            "{}",
            String::from_utf8_lossy(absent)
        );
    }
    // On the device: no installation id, no session, no order, nothing queued.
    let conn = rusqlite::Connection::open(data.join(waybill_core::db::DB_FILE_NAME)).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(
        count(
            "SELECT count(*) FROM meta WHERE key IN ('installation_id', 'device_key', 'account_phone')"
        ),
        0
    );
    assert_eq!(count("SELECT count(*) FROM session"), 0);
    assert_eq!(count("SELECT count(*) FROM orders"), 0);
    assert_eq!(count("SELECT count(*) FROM outbox"), 0);
    // Account actions still need an account.
    assert_eq!(guest.accept_order(&offers[0].id), Err(Error::NotSignedIn));
}

/// P-66 (seed 002: a minor without a parent's consent "不能创建自己的用户账户"; seed 001:
/// "we will attempt to delete the information as soon as possible"): an age under 18
/// declared after sign-up, with no guardian's consent, purges the device at once and, at
/// the next sync, closes the account on the server as a cancellation would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minor_without_a_guardian_loses_the_account_on_the_server_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let phone = fresh_phone();
    let driver = consenting_driver(&dir.path().join("d"), &server.base_url);
    let account = sign_in_as(&driver, &phone).await;
    let target = driver.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0]
        .id
        .clone();
    driver.accept_order(&target).unwrap();
    assert_eq!(driver.sync().await.unwrap().pushed, 1);

    assert!(driver.declare_age(12).unwrap(), "a minor");
    assert!(
        driver.order(&target).is_err(),
        "purged on the device at once"
    );
    driver.sync().await.unwrap();
    assert_eq!(driver.account_state().unwrap(), AccountState::Closed);

    let conn = rusqlite::Connection::open(&db).unwrap();
    let (status_phone, closed): (Option<String>, Option<String>) = conn
        .query_row(
            "SELECT phone, closed_at FROM accounts WHERE closed_at IS NOT NULL
             AND id LIKE 'archived_%' ORDER BY closed_at DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        status_phone.is_none() && closed.is_some(),
        "the number is gone"
    );
    assert!(
        !contains(&waybill_e2e::server_files(&db), account.as_bytes()),
        "no row names the account any more"
    );
    // The order it held is offered again; the number opens only a new account.
    let other = consenting_driver(&dir.path().join("o"), &server.base_url);
    waybill_e2e::sign_in(&other).await;
    let offers = other.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    assert!(offers.iter().any(|o| o.id == target), "released");
    let again = consenting_driver(&dir.path().join("again"), &server.base_url);
    assert_ne!(sign_in_as(&again, &phone).await, account);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minor_with_a_guardians_consent_keeps_the_account_and_the_server_records_the_age() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let driver = consenting_driver(&dir.path().join("d"), &server.base_url);
    let account = waybill_e2e::sign_in(&driver).await;
    assert!(driver.declare_age(16).unwrap());
    driver.record_guardian_consent("guardian_dialog").unwrap();
    driver.sync().await.unwrap();
    assert!(matches!(
        driver.account_state().unwrap(),
        AccountState::SignedIn { .. }
    ));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let age: String = conn
        .query_row("SELECT age FROM accounts WHERE id = ?1", [&account], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(age, "minor_with_guardian_consent");
}
