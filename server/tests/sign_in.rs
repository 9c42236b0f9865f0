//! One-time codes against the real server binary: rate limits per number, installation
//! and purpose, attempt limits, expiry, codes bound to the installation that asked, and
//! step-up codes bound to the account's own number and device.

mod common;

use common::{ask_code, latest_code, phone_of, register};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn sign_in_with(http: &Client, url: &str, installation: &str, phone: &str, code: &str) -> u16 {
    http.post(format!("{url}/v1/devices"))
        .json(
            &json!({"installation_id": installation, "role": "driver", "app_id": "t",
            "app_version": "1", "phone_code": {"phone": phone, "code": code}, "age": "adult"}),
        )
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn codes_are_rate_limited_per_number_installation_and_purpose() {
    let server = common::start(&[]);
    let http = Client::new();
    let url = &server.url;
    let phone = "+15551000001";
    assert_eq!(ask_code(&http, url, phone, "i-1").status().as_u16(), 202);
    // The same number to the same installation within 30 s: wait, and how long.
    let again = ask_code(&http, url, phone, "i-1");
    assert_eq!(again.status().as_u16(), 429);
    let wait: u64 = again.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert_eq!(again.json::<Value>().unwrap()["code"], "rate_limited");
    // Five per hour for one number, whoever asks (SMS bombing from many installations).
    for i in 2..=5 {
        assert_eq!(
            ask_code(&http, url, phone, &format!("i-{i}"))
                .status()
                .as_u16(),
            202
        );
    }
    assert_eq!(ask_code(&http, url, phone, "i-6").status().as_u16(), 429);
    // Ten per hour for one installation, whatever the numbers.
    for n in 0..10 {
        let status = ask_code(&http, url, &format!("+1555200000{n}"), "spray").status();
        assert_eq!(status.as_u16(), 202, "number {n}");
    }
    assert_eq!(
        ask_code(&http, url, "+15552000010", "spray")
            .status()
            .as_u16(),
        429
    );
    // Malformed numbers are refused before anything is stored or sent.
    for bad in ["13800138000", "+86 138 0013 8000", "+0123456789", ""] {
        assert_eq!(
            ask_code(&http, url, bad, "i-x").status().as_u16(),
            400,
            "{bad:?}"
        );
    }
    // The reply never says whether the number has an account: same shape either way.
    register(&http, &server, "known", "driver");
    let known = ask_code(&http, url, &phone_of("known"), "other-1");
    let unknown = ask_code(&http, url, "+15553000000", "other-2");
    let shape = |r: reqwest::blocking::Response| {
        let v: Value = r.json().unwrap();
        (v["expires_in_s"].clone(), v["resend_after_s"].clone())
    };
    assert_eq!(shape(known), shape(unknown));
}

#[test]
fn a_code_is_good_once_for_five_minutes_five_guesses_and_only_for_the_installation_that_asked() {
    let server = common::start(&[]);
    let http = Client::new();
    let url = &server.url;
    let phone = "+15551000002";

    // Another installation cannot use the code.
    ask_code(&http, url, phone, "asker");
    let code = latest_code(&server.db, phone, "sign_in").unwrap();
    assert_eq!(sign_in_with(&http, url, "thief", phone, &code), 422);
    // Used once; replayed, refused.
    assert_eq!(sign_in_with(&http, url, "asker", phone, &code), 200);
    assert_eq!(sign_in_with(&http, url, "asker", phone, &code), 422);

    // Five wrong guesses burn it: the right code after them is refused too.
    ask_code(&http, url, phone, "guessed");
    let code = latest_code(&server.db, phone, "sign_in").unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(sign_in_with(&http, url, "guessed", phone, wrong), 422);
    }
    assert_eq!(sign_in_with(&http, url, "guessed", phone, &code), 422);

    // Expired: refused (the clock is moved in the store, as five minutes passing would).
    ask_code(&http, url, phone, "late");
    let code = latest_code(&server.db, phone, "sign_in").unwrap();
    let db = rusqlite::Connection::open(&server.db).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE sign_in_codes SET expires_ms = expires_ms - 300001 WHERE installation_id = 'late'",
        [],
    )
    .unwrap();
    assert_eq!(sign_in_with(&http, url, "late", phone, &code), 422);

    // The store keeps only salted hashes of codes, never a code.
    let stored: String = db
        .query_row(
            "SELECT group_concat(code_hash || salt, ',') FROM sign_in_codes",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!stored.contains(&code));

    // A new number with no age declaration opens no account.
    ask_code(&http, url, "+15551000003", "no-age");
    let code = latest_code(&server.db, "+15551000003", "sign_in").unwrap();
    let reply = http
        .post(format!("{url}/v1/devices"))
        .json(
            &json!({"installation_id": "no-age", "role": "driver", "app_id": "t",
            "app_version": "1", "phone_code": {"phone": "+15551000003", "code": code}}),
        )
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 422);
    assert_eq!(reply.json::<Value>().unwrap()["code"], "age_required");
}

#[test]
fn a_rights_request_needs_a_step_up_code_of_the_account_and_the_device_that_asked() {
    let server = common::start(&[]);
    let http = Client::new();
    let url = &server.url;
    let a = register(&http, &server, "a", "driver");
    let b = register(&http, &server, "b", "driver");
    let file = |token: &str, id: &str, code: Option<&str>| {
        let reply = http
            .post(format!("{url}/v1/rights-requests"))
            .bearer_auth(token)
            .json(
                &json!({"id": id, "kind": "access", "detail": "", "due_at": "2026-12-22T00:00:00Z",
                "step_up_code": code}),
            )
            .send()
            .unwrap();
        let status = reply.status().as_u16();
        (status, reply.json::<Value>().unwrap())
    };
    let (status, body) = file(&a.token, "r1", None);
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("step_up_required"))
    );
    // B's step-up code does not confirm A's request, nor a sign-in code A's.
    let b_code = common::step_up(&http, &server, &b.token, &b.phone);
    assert_eq!(file(&a.token, "r1", Some(&b_code)).0, 422);
    let sign_in_code = latest_code(&server.db, &a.phone, "sign_in").unwrap();
    assert_eq!(file(&a.token, "r1", Some(&sign_in_code)).0, 422);
    // A's own: filed; its retry needs no new code and files nothing twice.
    let a_code = common::step_up(&http, &server, &a.token, &a.phone);
    let (status, first) = file(&a.token, "r1", Some(&a_code));
    assert_eq!(status, 200, "{first}");
    assert_eq!(file(&a.token, "r1", None), (200, first));
    assert_eq!(
        file(&a.token, "r2", Some(&a_code)).0,
        422,
        "a code is good once"
    );
}
