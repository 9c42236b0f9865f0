//! An installation signs in with its device key: the id the app keeps (and exports)
//! grants nothing by itself, an expired or refused token is renewed with a fresh proof by
//! the same key into the same account, and the key never leaves the device in clear.

use waybill_e2e::{ServerProcess, consenting_driver};

fn installation_id(data: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(data.join(waybill_core::db::DB_FILE_NAME)).unwrap();
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'installation_id'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_id_alone_grants_nothing_and_the_key_renews_the_same_account() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let client = consenting_driver(&data, &server.base_url);
    let account = waybill_e2e::sign_in(&client).await;

    // Someone who learned the installation id (from an export, a backup, a log) asks for
    // a session with it, as every role: no token. Before, this returned the live token.
    let id = installation_id(&data);
    let http = reqwest::Client::new();
    for role in ["driver", "shipper"] {
        let reply = http
            .post(format!("{}/v1/devices", server.base_url))
            .json(&serde_json::json!({"installation_id": id, "role": role,
                "app_id": "x", "app_version": "1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 401, "as {role}");
        let body = reply.text().await.unwrap();
        assert!(!body.contains("tok_"), "{body}");
    }

    // The token expires: signing in again with the device key gives the same account a
    // new token.
    let old_token = waybill_e2e::session_token(&data);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE devices SET token_expires_at = '2000-01-01T00:00:00+00:00'",
        [],
    )
    .unwrap();
    let target = client
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await;
    assert!(target.is_err(), "the expired token is refused: {target:?}");
    // The refusal signed the app out; signing in again proves the key: the same account.
    assert_eq!(client.sign_in().await.unwrap(), account, "the same account");
    let new_token = waybill_e2e::session_token(&data);
    assert_ne!(new_token, old_token);
    let offers = client
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .expect("the renewed session works");
    assert!(!offers.is_empty());

    // The key's seed is sealed in the database, never a plain meta value; the export
    // names the installation, not the key.
    let local = rusqlite::Connection::open(data.join(waybill_core::db::DB_FILE_NAME)).unwrap();
    let stored: String = local
        .query_row("SELECT value FROM meta WHERE key = 'device_key'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(stored.len() > 200, "sealed (hex of a sealed PKCS#8 key)");
    let export = client.export_personal_data().unwrap();
    assert!(!export.contains("device_key") && !export.contains(&stored));
}
