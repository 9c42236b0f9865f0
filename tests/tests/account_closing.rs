//! Closing an account closes it on the server too: planted values (a note's phone, the
//! trajectory's coordinates, the photo, the account id, the token) are searched in every
//! file of the server (database, WAL, upload folder) after closing, the old credentials
//! are refused (as closed), the account's other phone is told and wiped, the number
//! opens only a new account, and another driver sees the released order.

use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, ProofKind, ProofSource};
use waybill_e2e::images::noise_png;
use waybill_e2e::{
    SHANGHAI, ServerProcess, allow_trajectory, consenting_driver, contains, photographing_driver,
    server_files, session_token,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_account_deletes_its_data_on_the_server_and_releases_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let (client, order) = photographing_driver(&data, &server.base_url).await;
    allow_trajectory(&client);
    // Seven minutes of driving: more than the upload cadence, so a batch goes at the sync.
    let fixes = waybill_e2e::recent_drive();
    client.record_fixes(&order, &fixes).unwrap();
    client.flush_fixes().unwrap();
    client
        .report_exception(&order, "gate closed, call 13912345678")
        .unwrap();
    let proof = client
        .take_proof(
            &order,
            ProofKind::Pickup,
            ActionKind::ReportException,
            &ProofSource::Bytes(noise_png(200 * 1024, 3)),
            Capture {
                at: chrono::Utc::now(),
                elapsed_ms: None,
            },
        )
        .unwrap();
    let photo = client.proof_image(&proof.sha256).unwrap();
    client.sync().await.unwrap();
    let account = client.account_id().unwrap().unwrap();
    let phone = waybill_e2e::account_phone(&client);
    // The same person on a second phone.
    let second = consenting_driver(&dir.path().join("second"), &server.base_url);
    assert_eq!(waybill_e2e::sign_in_as(&second, &phone).await, account);
    second.sync().await.unwrap();
    assert!(
        second.order(&order).is_ok(),
        "the account's order on its second phone"
    );
    let token = session_token(&data);
    let (held, _) = waybill_e2e::held_trajectory(&server.base_url, &data, &order).await;
    assert!(!held.points.is_empty(), "the trajectory reached the server");
    let planted: Vec<(String, Vec<u8>)> = vec![
        ("the note's phone".into(), b"13912345678".to_vec()),
        ("the account id".into(), account.clone().into_bytes()),
        ("the account's number".into(), phone.clone().into_bytes()),
        (
            "the photo".into(),
            photo[photo.len() / 2..photo.len() / 2 + 64].to_vec(),
        ),
        (
            "a stored latitude".into(),
            held.points[1].lat.to_be_bytes().to_vec(),
        ),
        (
            "a stored longitude".into(),
            held.points[1].lon.to_be_bytes().to_vec(),
        ),
    ];
    let before = server_files(&db);
    for (what, bytes) in &planted {
        assert!(
            contains(&before, bytes),
            "{what} is on the server before closing"
        );
    }

    // Closing needs a fresh code (seed 001: identity verified before the cancellation).
    assert_eq!(
        client.cancel_account("000000").await,
        Err(waybill_core::Error::CodeInvalid)
    );
    client
        .cancel_account(&waybill_e2e::step_up_code(&client).await)
        .await
        .unwrap();

    let after = server_files(&db);
    let found: Vec<&str> = planted
        .iter()
        .filter(|(_, bytes)| contains(&after, bytes))
        .map(|(what, _)| what.as_str())
        .collect();
    assert!(
        found.is_empty(),
        "still on the server after closing: {found:?}"
    );
    assert!(
        !contains(&after, token.as_bytes()),
        "no token in clear, ever"
    );

    // The old token is refused as closed; the second phone hears it, is wiped and says
    // so.
    let http = reqwest::Client::new();
    let refused = http
        .get(format!("{}/v1/changes", server.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 410);
    assert_eq!(second.sync().await, Err(waybill_core::Error::AccountClosed));
    assert_eq!(
        second.account_state().unwrap(),
        waybill_core::AccountState::Closed
    );
    assert!(second.order(&order).is_err(), "wiped");
    assert_eq!(
        second.sign_in().await,
        Err(waybill_core::Error::SignInRequired)
    );

    // Another driver sees the released order among the offers.
    let other = consenting_driver(&dir.path().join("other"), &server.base_url);
    waybill_e2e::sign_in(&other).await;
    let offers = other.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    assert!(
        offers.iter().any(|o| o.id == order),
        "the order is offered again"
    );
    // The closed device, wiped, accepts the policy anew; the same number signs in as a
    // new account, never the closed one.
    drop(client);
    let again = consenting_driver(&data, &server.base_url);
    let again = waybill_e2e::sign_in_as(&again, &phone).await;
    assert_ne!(again, account, "a new account, never the closed one");
}
