//! Real-name checks against the real server binary: a retried submission is answered
//! with the first outcome (not checked twice), bad images are refused before any check,
//! and the record stays until seven days after the account's last delivery (seed 000).

mod common;

use base64::Engine;
use common::{act, errand, place, register};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn png(fill: u8, len: usize) -> String {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend(std::iter::repeat_n(fill, len));
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn submit(http: &Client, url: &str, token: &str, id: &str, card: &str, face: &str) -> (u16, Value) {
    let reply = http
        .post(format!("{url}/v1/account/real-name"))
        .bearer_auth(token)
        .json(&json!({"verification_id": id, "id_card": card, "face": face}))
        .send()
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().unwrap_or(Value::Null))
}

fn outcome_of(http: &Client, url: &str, token: &str) -> Value {
    http.get(format!("{url}/v1/account/real-name"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn a_retry_gets_the_first_outcome_and_bad_images_are_refused_unchecked() {
    let server = common::start(&[]);
    let http = Client::new();
    let url = &server.url;
    let s = register(&http, &server, "rn-shipper-1", "shipper");
    let (status, first) = submit(&http, url, &s.token, "v-1", &png(1, 300), &png(2, 300));
    assert_eq!((status, first["outcome"].as_str()), (200, Some("verified")));
    // The same id again, even with other (here: identical, rejectable) images: the first
    // outcome, at its first time.
    let same = png(3, 300);
    let (status, again) = submit(&http, url, &s.token, "v-1", &same, &same);
    assert_eq!((status, &again), (200, &first));
    // A new check is a new decision.
    let (_, second) = submit(&http, url, &s.token, "v-2", &same, &same);
    assert_eq!(second["outcome"], "rejected");
    for (card, face) in [
        ("not base64!".to_string(), png(2, 300)),
        (png(1, 10), png(2, 300)),
        (png(1, 4 * 1024 * 1024 + 1), png(2, 300)),
    ] {
        let (status, body) = submit(&http, url, &s.token, "v-3", &card, &face);
        assert!(matches!(status, 400 | 413), "{status} {body}");
    }
    let now = outcome_of(&http, url, &s.token);
    assert_eq!(now["outcome"], "rejected", "refused inputs changed nothing");
}

#[test]
fn the_record_stays_until_seven_days_after_the_last_delivery() {
    let server = common::start(&[]);
    let http = Client::new();
    let url = &server.url;
    let s = register(&http, &server, "rn-shipper-2", "shipper");
    let d = register(&http, &server, "rn-driver-2", "driver");
    submit(&http, url, &s.token, "v-1", &png(1, 300), &png(2, 300));
    let order = place(
        &http,
        url,
        &s,
        "k-1",
        &errand("Suzhou, 2 Test Road", "13900003333"),
    );
    for (i, kind) in ["accept", "pick_up", "deliver"].iter().enumerate() {
        assert_eq!(
            act(&http, url, &d, &format!("a-{i}"), &order, kind)["outcome"],
            "applied"
        );
    }
    let delete = |who: &common::Account| {
        http.delete(format!("{url}/v1/account/real-name"))
            .bearer_auth(&who.token)
            .send()
            .unwrap()
    };
    let refused = delete(&s);
    assert_eq!(refused.status().as_u16(), 409);
    let body: Value = refused.json().unwrap();
    assert_eq!(body["code"], "recent_delivery");
    // The delivering driver's own deliveries count for it too (were it ever verified).
    assert_eq!(
        delete(&d).status().as_u16(),
        403,
        "drivers have no real-name record"
    );

    // Eight days later (the delivery moved back in the server's own history): allowed.
    let db = rusqlite::Connection::open(&server.db).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339();
    db.execute(
        "UPDATE order_events SET at = ?1 WHERE order_id = ?2 AND kind = 'delivered'",
        rusqlite::params![past, order],
    )
    .unwrap();
    assert_eq!(delete(&s).status().as_u16(), 204);
    let now = outcome_of(&http, url, &s.token);
    assert_eq!(now["outcome"], "unverified");
}
