//! The server binary's side of the contract, over real HTTP: start-up line, auth,
//! validation, and the idempotency ledger.

mod common;

use reqwest::blocking::Client;
use serde_json::{Value, json};

fn start() -> common::Server {
    common::start(&[])
}

fn register(http: &Client, server: &common::Server, installation: &str) -> (String, String) {
    let account = common::register(http, server, installation, "driver");
    (account.id, account.token)
}

fn accept(http: &Client, url: &str, token: &str, order: &str, key: &str) -> (u16, String, String) {
    let reply = http
        .post(format!("{url}/v1/orders/{order}/accept"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .send()
        .unwrap();
    let status = reply.status().as_u16();
    let replayed = reply.headers()["Idempotent-Replayed"]
        .to_str()
        .unwrap()
        .to_string();
    (status, replayed, reply.text().unwrap())
}

/// A registration of `installation` as `role`, signed at `signed_at` by `key`.
fn signed(
    key: &ring::signature::EcdsaKeyPair,
    installation: &str,
    role: waybill_protocol::Role,
    signed_at: chrono::DateTime<chrono::Utc>,
) -> waybill_protocol::RegisterDevice {
    use ring::signature::KeyPair;
    let mut req = waybill_protocol::RegisterDevice {
        installation_id: installation.into(),
        role,
        app_id: "t".into(),
        app_version: "1".into(),
        device_key: Some(waybill_protocol::hex(key.public_key().as_ref())),
        proof: None,
        phone_code: None,
        age: None,
    };
    let signature = key
        .sign(
            &ring::rand::SystemRandom::new(),
            &req.signed_message(signed_at),
        )
        .unwrap();
    req.proof = Some(waybill_protocol::DeviceProof {
        signed_at,
        signature: waybill_protocol::hex(signature.as_ref()),
    });
    req
}

fn device_key() -> ring::signature::EcdsaKeyPair {
    let alg = &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap()
}

#[test]
fn an_installation_id_alone_grants_no_session_only_a_fresh_proof_by_its_key_does() {
    use waybill_protocol::Role;
    let server = start();
    let http = Client::new();
    let post = |req: &waybill_protocol::RegisterDevice| {
        let reply = http
            .post(format!("{}/v1/devices", server.url))
            .json(req)
            .send()
            .unwrap();
        let status = reply.status().as_u16();
        (status, reply.json::<Value>().unwrap())
    };
    let now = chrono::Utc::now();
    let key = device_key();
    // The first sign-in: a code for the number, and the key bound by a proof.
    let phone = common::phone_of("inst-1");
    assert_eq!(
        common::ask_code(&http, &server.url, &phone, "inst-1")
            .status()
            .as_u16(),
        202
    );
    let first_request = waybill_protocol::RegisterDevice {
        phone_code: Some(waybill_protocol::account::PhoneCode {
            phone: phone.clone(),
            code: common::latest_code(&server.db, &phone, "sign_in").unwrap(),
        }),
        age: Some(waybill_protocol::account::AgeDeclaration::Adult),
        ..signed(&key, "inst-1", Role::Driver, now)
    };
    let (status, first) = post(&first_request);
    assert_eq!(status, 200, "{first}");
    let token_1 = first["token"].as_str().unwrap().to_string();

    // Signing in again with a fresh proof: the same account, a new token; the old token
    // stops working.
    let (status, again) = post(&signed(
        &key,
        "inst-1",
        Role::Driver,
        now + chrono::Duration::seconds(1),
    ));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["account_id"], first["account_id"]);
    let token_2 = again["token"].as_str().unwrap();
    assert_ne!(token_2, token_1);
    let changes = |token: &str| {
        http.get(format!("{}/v1/changes", server.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!((changes(&token_1), changes(token_2)), (401, 200));

    // Without the key nothing signs in: no proof, a replayed proof, another key's proof, a
    // stale one, another role, or the bare id.
    let bare = waybill_protocol::RegisterDevice {
        device_key: None,
        proof: None,
        phone_code: None,
        ..first_request.clone()
    };
    let replayed = waybill_protocol::RegisterDevice {
        phone_code: None,
        ..first_request.clone()
    };
    let refusals = [
        ("the bare installation id", bare, 401),
        ("a replayed proof", replayed, 401),
        ("a replayed code", first_request, 422),
        (
            "another key",
            signed(
                &device_key(),
                "inst-1",
                Role::Driver,
                now + chrono::Duration::seconds(2),
            ),
            401,
        ),
        (
            "a stale proof",
            signed(
                &key,
                "inst-1",
                Role::Driver,
                now - chrono::Duration::minutes(10),
            ),
            401,
        ),
        (
            "another role",
            signed(
                &key,
                "inst-1",
                Role::Shipper,
                now + chrono::Duration::seconds(3),
            ),
            403,
        ),
    ];
    for (what, req, expected) in refusals {
        let (status, body) = post(&req);
        assert_eq!(status, expected, "{what}: {body}");
        assert!(body.get("token").is_none(), "{what}: {body}");
    }
    // A key whose proof does not hold cannot sign a new installation in either, code or
    // not; and a new installation without a code is told to get one.
    assert_eq!(
        post(&signed(&device_key(), "inst-2", Role::Driver, now)).0,
        403
    );
    let mut forged = signed(&key, "inst-2", Role::Driver, now);
    forged.device_key = Some(waybill_protocol::hex(
        ring::signature::KeyPair::public_key(&device_key()).as_ref(),
    ));
    let phone_2 = common::phone_of("inst-2");
    assert_eq!(
        common::ask_code(&http, &server.url, &phone_2, "inst-2")
            .status()
            .as_u16(),
        202
    );
    forged.phone_code = Some(waybill_protocol::account::PhoneCode {
        code: common::latest_code(&server.db, &phone_2, "sign_in").unwrap(),
        phone: phone_2,
    });
    forged.age = Some(waybill_protocol::account::AgeDeclaration::Adult);
    assert_eq!(post(&forged).0, 401);
    // The store holds no token, only its hash.
    let db = rusqlite::Connection::open(&server.db).unwrap();
    let stored: String = db
        .query_row(
            "SELECT group_concat(token_hash, ',') FROM devices",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!stored.contains(token_2) && !stored.contains(&token_1));
    // Closed: even a valid fresh proof by its own key is `account_closed`, never a session.
    let closed = common::close_account(&http, &server, token_2, &phone, "close-1");
    assert_eq!(closed.status().as_u16(), 200);
    let (status, body) = post(&signed(
        &key,
        "inst-1",
        Role::Driver,
        now + chrono::Duration::seconds(4),
    ));
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("account_closed")),
        "{body}"
    );
    assert_eq!(changes(token_2), 410, "a closed account's token says so");
    // A keyless installation (test helpers, old apps) signs in by code only; its id alone
    // is told to get a code.
    assert_ne!(register(&http, &server, "inst-3").0, first["account_id"]);
    let again = http
        .post(format!("{}/v1/devices", server.url))
        .json(&json!({"installation_id": "inst-3", "role": "driver", "app_id": "t", "app_version": "1"}))
        .send()
        .unwrap();
    assert_eq!(again.status().as_u16(), 403);
}

#[test]
fn a_retried_key_replays_the_first_reply_verbatim_and_applies_nothing() {
    let server = start();
    let http = Client::new();
    let (_, a) = register(&http, &server, "driver-a");
    let (_, b) = register(&http, &server, "driver-b");

    let (status, replayed, body) = accept(&http, &server.url, &a, "ord-sh-0001", "key-1");
    assert_eq!((status, replayed.as_str()), (200, "false"));
    let (status2, replayed2, body2) = accept(&http, &server.url, &a, "ord-sh-0001", "key-1");
    assert_eq!((status2, replayed2.as_str()), (200, "true"));
    assert_eq!(body2, body, "the stored reply, byte for byte");

    // A refusal is stored and replayed too: the outcome of a key never changes.
    let (status, replayed, refusal) = accept(&http, &server.url, &b, "ord-sh-0001", "key-b");
    assert_eq!((status, replayed.as_str()), (409, "false"));
    assert!(refusal.contains("order_taken"), "{refusal}");
    let (status, replayed, again) = accept(&http, &server.url, &b, "ord-sh-0001", "key-b");
    assert_eq!((status, replayed.as_str(), again), (409, "true", refusal));

    // Keys are per account: driver B's "key-1" is not driver A's.
    let (status, replayed, _) = accept(&http, &server.url, &b, "ord-sh-0002", "key-1");
    assert_eq!((status, replayed.as_str()), (200, "false"));

    // The same key for another request is refused rather than silently replayed.
    let reused = http
        .post(format!("{}/v1/orders/ord-sh-0003/accept", server.url))
        .bearer_auth(&a)
        .header("Idempotency-Key", "key-1")
        .send()
        .unwrap();
    assert_eq!(reused.status().as_u16(), 422);

    let events: Value = http
        .get(format!("{}/v1/orders/ord-sh-0001/events", server.url))
        .bearer_auth(&a)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 1);
}

#[test]
fn requests_without_credentials_or_with_bad_input_get_contract_errors() {
    let server = start();
    let http = Client::new();
    let anonymous = http
        .get(format!(
            "{}/v1/orders/open?lat=31&lon=121&radius_m=1000",
            server.url
        ))
        .send()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let body: Value = anonymous.json().unwrap();
    assert_eq!(body["code"], "unauthorized");

    let (_, token) = register(&http, &server, "driver-c");
    for query in [
        "lat=91&lon=0&radius_m=10",
        "lat=0&lon=0&radius_m=-1",
        "lat=x&lon=0&radius_m=1",
        "lat=NaN&lon=0&radius_m=1",
    ] {
        let reply = http
            .get(format!("{}/v1/orders/open?{query}", server.url))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(reply.status().as_u16(), 400, "{query}");
        let body: Value = reply.json().unwrap();
        assert_eq!(body["code"], "bad_request", "{query}");
    }
    let no_key = http
        .post(format!("{}/v1/orders/ord-sh-0001/accept", server.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(no_key.status().as_u16(), 400);
    let missing = accept(&http, &server.url, &token, "no-such-order", "k");
    assert_eq!(missing.0, 404);
    let bad_json = http
        .post(format!("{}/v1/devices", server.url))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .unwrap();
    assert_eq!(bad_json.status().as_u16(), 400);
}

#[test]
fn consent_receipts_are_stored_once_and_a_forged_one_is_refused() {
    use waybill_protocol::consent::{ConsentReceipt, GENESIS_HASH, receipt_hash};
    let server = start();
    let http = Client::new();
    let (_, token) = register(&http, &server, "driver-r");
    let at = "2026-11-22T08:00:00+00:00";
    let hash = receipt_hash(
        GENESIS_HASH,
        "policy_accepted",
        "2026.11.1",
        None,
        "first_run_dialog",
        at,
    );
    let receipt = ConsentReceipt {
        seq: 1,
        kind: "policy_accepted".into(),
        policy_version: "2026.11.1".into(),
        purpose: None,
        asked_via: "first_run_dialog".into(),
        at: at.into(),
        prev_hash: GENESIS_HASH.into(),
        hash,
    };
    let post = |receipts: Vec<ConsentReceipt>| -> (u16, Value) {
        let reply = http
            .post(format!("{}/v1/consent-receipts", server.url))
            .bearer_auth(&token)
            .json(&json!({ "receipts": receipts }))
            .send()
            .unwrap();
        (reply.status().as_u16(), reply.json().unwrap())
    };
    assert_eq!(
        post(vec![receipt.clone()]),
        (200, json!({"stored": 1, "already_stored": 0}))
    );
    assert_eq!(
        post(vec![receipt.clone()]),
        (200, json!({"stored": 0, "already_stored": 1}))
    );

    // A refusal rewritten as a grant no longer matches its hash.
    let mut forged = receipt;
    forged.kind = "granted".into();
    let (status, body) = post(vec![forged]);
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
}
