//! P-36 (seed 002: "交易信息保存时间自交易完成之日起三年"): a deletion request is told, when it
//! is filed, which transaction records the law keeps and until when — the completed
//! orders of the account, as driver or as shipper — and nothing else is named.

mod common;

use common::{act, errand, place, register, step_up};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn delete_request(
    http: &Client,
    server: &common::Server,
    who: &common::Account,
    id: &str,
) -> Value {
    let code = step_up(http, server, &who.token, &who.phone);
    http.post(format!("{}/v1/rights-requests", server.url))
        .bearer_auth(&who.token)
        .json(
            &json!({"id": id, "kind": "deletion", "detail": "delete my data",
            "due_at": "2026-12-22T00:00:00Z", "step_up_code": code}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn a_deletion_request_names_the_transaction_records_the_law_keeps() {
    let server = common::start(&[]);
    let http = Client::new();
    let url = &server.url;
    let shipper = register(&http, &server, "lh-shipper", "shipper");
    let driver = register(&http, &server, "lh-driver", "driver");
    let stranger = register(&http, &server, "lh-stranger", "driver");
    let delivered = place(
        &http,
        url,
        &shipper,
        "k-1",
        &errand("Suzhou, 3 Test Road", "13900004444"),
    );
    let open = place(
        &http,
        url,
        &shipper,
        "k-2",
        &errand("Suzhou, 4 Test Road", "13900005555"),
    );
    for (i, kind) in ["accept", "pick_up", "deliver"].iter().enumerate() {
        assert_eq!(
            act(&http, url, &driver, &format!("a-{i}"), &delivered, kind)["outcome"],
            "applied"
        );
    }
    let year = chrono::Utc::now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap()
        + 3;
    for who in [&driver, &shipper] {
        let filed = delete_request(&http, &server, who, &format!("del-{}", who.id));
        let answer = filed["answer"].as_str().unwrap_or_default();
        assert!(answer.starts_with("legal hold"), "{filed}");
        assert!(
            answer.contains(&delivered) && answer.contains(&format!("until {year}-")),
            "{answer}"
        );
        assert!(
            !answer.contains(&open),
            "an open order is not a completed transaction"
        );
        assert_eq!(filed["status"], "received");
    }
    let none = delete_request(&http, &server, &stranger, "del-stranger");
    assert!(
        none["answer"].is_null(),
        "no completed order: nothing held, {none}"
    );
}
