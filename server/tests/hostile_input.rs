//! Requests an attacker or a buggy client sends: keys reused across endpoints and with
//! other bodies, values one past every documented bound, loose tus headers, and slow or
//! oversized connections on real sockets.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{act, errand, place, register, tus_create};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use waybill_protocol::trajectory;

#[test]
fn a_key_reused_on_another_endpoint_or_body_is_refused_for_that_entry_alone() {
    let server = common::start(&[]);
    let http = Client::new();
    let a = register(&http, &server, "a", "driver");
    let accepted = http
        .post(format!("{}/v1/orders/ord-sh-0001/accept", server.url))
        .bearer_auth(&a.token)
        .header("Idempotency-Key", "k-1")
        .send()
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    // The same key in a batch, naming the same acceptance: before, the stored reply of
    // the other endpoint could not be read and the whole batch failed with a 500.
    let reply = http
        .post(format!("{}/v1/actions", server.url))
        .bearer_auth(&a.token)
        .json(&json!({"actions": [
            {"key": "k-1", "order_id": "ord-sh-0001", "kind": "accept", "at": "2026-12-01T08:00:00Z"},
            {"key": "k-2", "order_id": "ord-sh-0002", "kind": "accept", "at": "2026-12-01T08:00:00Z"},
            {"key": "bad key with spaces", "order_id": "ord-sh-0003", "kind": "accept", "at": "2026-12-01T08:00:00Z"},
            {"key": "k-4", "order_id": "ord-sh-0004", "kind": "accept", "at": "2026-12-01T08:00:00Z",
             "note": "x".repeat(2_001)},
            {"key": "k-5", "order_id": "ord-sh-0005", "kind": "accept", "at": "2026-12-01T08:00:00Z"}
        ]}))
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    let v: Value = reply.json().unwrap();
    let r = v["results"].as_array().unwrap();
    assert_eq!(r[0]["error"]["code"], "idempotency_key_reused", "{v}");
    assert_eq!(r[1]["outcome"], "applied");
    assert_eq!(r[2]["error"]["code"], "bad_request");
    assert_eq!(r[3]["error"]["code"], "bad_request");
    assert_eq!(
        r[4]["outcome"], "applied",
        "one bad entry never fails its batch"
    );

    // An errand key reused with another body is a 422, not the first errand.
    let s = register(&http, &server, "s", "shipper");
    let first = place(
        &http,
        &server.url,
        &s,
        "e-1",
        &errand("Suzhou A", "13911112222"),
    );
    let again = place(
        &http,
        &server.url,
        &s,
        "e-1",
        &errand("Suzhou A", "13911112222"),
    );
    assert_eq!(first, again, "a retry gets the same errand");
    let other = http
        .post(format!("{}/v1/errands", server.url))
        .bearer_auth(&s.token)
        .header("Idempotency-Key", "e-1")
        .json(&errand("Hangzhou B", "13933334444"))
        .send()
        .unwrap();
    assert_eq!(other.status().as_u16(), 422);
    // And the acceptance key on the errand endpoint (another account's key space is
    // separate, so use the same account: a driver cannot place errands at all).
    let driver_errand = http
        .post(format!("{}/v1/errands", server.url))
        .bearer_auth(&a.token)
        .header("Idempotency-Key", "k-1")
        .json(&errand("Suzhou A", "13911112222"))
        .send()
        .unwrap();
    assert_eq!(driver_errand.status().as_u16(), 403);
}

#[test]
fn every_bound_is_enforced_one_past_it() {
    let server = common::start(&[]);
    let http = Client::new();
    let a = register(&http, &server, "a", "driver");
    let s = register(&http, &server, "s", "shipper");
    let long = |n: usize| "a".repeat(n);
    let status = |req: reqwest::blocking::RequestBuilder| req.send().unwrap().status().as_u16();
    let url = &server.url;
    let device = |inst: &str, app: &str| json!({"installation_id": inst, "role": "driver", "app_id": app, "app_version": "1"});
    // At the bound: past validation (told to get a code, not that the input is bad).
    assert_eq!(
        status(
            http.post(format!("{url}/v1/devices"))
                .json(&device(&long(128), &long(128)))
        ),
        403
    );
    let cases: Vec<(&str, reqwest::blocking::RequestBuilder, u16)> = vec![
        ("installation_id 129", http.post(format!("{url}/v1/devices")).json(&device(&long(129), "t")), 400),
        ("device_key 132 hex", http.post(format!("{url}/v1/devices")).json(&{ let mut d = device("k", "t"); d["device_key"] = json!("a".repeat(132)); d }), 400),
        ("app_id 129", http.post(format!("{url}/v1/devices")).json(&device("i", &long(129))), 400),
        ("order id 129", http.post(format!("{url}/v1/orders/{}/accept", long(129))).bearer_auth(&a.token).header("Idempotency-Key", "k"), 400),
        ("order id with a space", http.get(format!("{url}/v1/orders/ord%20x/events")).bearer_auth(&a.token), 400),
        ("key 129", http.post(format!("{url}/v1/orders/ord-sh-0001/accept")).bearer_auth(&a.token).header("Idempotency-Key", long(129)), 400),
        ("radius 200001", http.get(format!("{url}/v1/orders/open?lat=31&lon=121&radius_m=200001")).bearer_auth(&a.token), 400),
        ("changes limit 1001", http.get(format!("{url}/v1/changes?limit=1001")).bearer_auth(&a.token), 400),
        ("changes after -1", http.get(format!("{url}/v1/changes?after=-1")).bearer_auth(&a.token), 400),
        ("rights id 129", http.post(format!("{url}/v1/rights-requests")).bearer_auth(&a.token).json(&json!({"id": long(129), "kind": "access", "detail": "", "due_at": "2026-12-22T00:00:00Z"})), 400),
        ("rights detail 4097", http.post(format!("{url}/v1/rights-requests")).bearer_auth(&a.token).json(&json!({"id": "r1", "kind": "access", "detail": long(4_097), "due_at": "2026-12-22T00:00:00Z"})), 400),
        ("receipts 1001", http.post(format!("{url}/v1/consent-receipts")).bearer_auth(&a.token).json(&json!({"receipts": vec![json!({"seq": 1, "kind": "k", "policy_version": "v", "asked_via": "a", "at": "t", "prev_hash": "p", "hash": "h"}); 1_001]})), 400),
        ("receipt field 129", http.post(format!("{url}/v1/consent-receipts")).bearer_auth(&a.token).json(&json!({"receipts": [{"seq": 1, "kind": long(129), "policy_version": "v", "asked_via": "a", "at": "t", "prev_hash": "p", "hash": "h"}]})), 400),
        ("errand label 501", http.post(format!("{url}/v1/errands")).bearer_auth(&s.token).header("Idempotency-Key", "e").json(&errand(&long(501), "13911112222")), 400),
        ("errand weight 100001 kg", http.post(format!("{url}/v1/errands")).bearer_auth(&s.token).header("Idempotency-Key", "e2").json(&{ let mut e = errand("Suzhou", "13911112222"); e["weight_kg"] = json!(100_001.0); e }), 400),
        ("errand fee 10^12 + 1", http.post(format!("{url}/v1/errands")).bearer_auth(&s.token).header("Idempotency-Key", "e3").json(&{ let mut e = errand("Suzhou", "13911112222"); e["fee_minor"] = json!(1_000_000_000_001_i64); e }), 400),
        ("batch 501", http.post(format!("{url}/v1/actions")).bearer_auth(&a.token).json(&json!({"actions": vec![json!({"key": "k", "order_id": "o", "kind": "accept", "at": "2026-12-01T08:00:00Z"}); 501]})), 400),
        ("json body over 2 MiB", http.post(format!("{url}/v1/rights-requests")).bearer_auth(&a.token).header("content-type", "application/json").body(format!("{{\"id\":\"r\",\"kind\":\"access\",\"due_at\":\"2026-12-22T00:00:00Z\",\"detail\":\"{}\"}}", long(2 << 20))), 413),
        ("trajectory streamed without a length, over 1 MiB", http.post(format!("{url}/v1/orders/ord-sh-0001/trajectory")).bearer_auth(&a.token).body(reqwest::blocking::Body::new(std::io::Cursor::new(vec![0u8; (1 << 20) + 1]))), 413),
        ("trajectory over 1 MiB", http.post(format!("{url}/v1/orders/ord-sh-0001/trajectory")).bearer_auth(&a.token).body(vec![0u8; (1 << 20) + 1]), 413),
    ];
    let mut wrong = vec![];
    for (name, req, expected) in cases {
        // An oversized body is refused from its Content-Length and the connection closed:
        // a client still writing it may see the cut before the 413.
        let got = match req.send() {
            Ok(reply) => reply.status().as_u16(),
            Err(e) if expected == 413 && e.is_request() => 413,
            Err(e) => panic!("{name}: {e}"),
        };
        if got != expected {
            wrong.push(format!("{name}: {got}, expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // 10,001 points in one batch (a few KB encoded) from the holder: refused.
    assert_eq!(
        act(&http, url, &a, "acc", "ord-sh-0001", "accept")["outcome"],
        "applied"
    );
    assert_eq!(
        act(&http, url, &a, "pick", "ord-sh-0001", "pick_up")["outcome"],
        "applied"
    );
    let many: Vec<trajectory::Point> = (0..10_001)
        .map(|i| trajectory::Point {
            t_ms: 1_764_570_000_000 + i * 1_000,
            lat: 31.2,
            lon: 121.4,
        })
        .collect();
    let body = trajectory::encode(&many);
    assert!(body.len() < 64 * 1024, "{} bytes", body.len());
    let reply = http
        .post(format!("{url}/v1/orders/ord-sh-0001/trajectory"))
        .bearer_auth(&a.token)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 400);
    let ok = trajectory::encode(&many[..10_000]);
    let reply = http
        .post(format!("{url}/v1/orders/ord-sh-0001/trajectory"))
        .bearer_auth(&a.token)
        .body(ok)
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200, "10,000 is the bound");

    // tus: the kind is one of the proof kinds, sizes are plain digits, and one account
    // holds a bounded number of unfinished uploads.
    let proof = b"proof bytes".to_vec();
    assert_eq!(
        tus_create(
            &http,
            url,
            Some(&a.token),
            "ord-sh-0001",
            "../../etc",
            &proof
        )
        .status()
        .as_u16(),
        400
    );
    let plus = http
        .post(format!("{url}/v1/uploads"))
        .bearer_auth(&a.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "+11")
        .header(
            "Upload-Metadata",
            waybill_protocol::tus::encode_metadata(&[
                ("order", "ord-sh-0001"),
                ("kind", "delivery"),
                ("sha256", &common::sha256_hex(&proof)),
            ]),
        )
        .send()
        .unwrap();
    assert_eq!(plus.status().as_u16(), 400);
    let created = tus_create(
        &http,
        url,
        Some(&a.token),
        "ord-sh-0001",
        "delivery",
        &proof,
    );
    assert_eq!(created.status().as_u16(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let patch = http
        .patch(format!("{url}{location}"))
        .bearer_auth(&a.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "+0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(proof)
        .send()
        .unwrap();
    assert_eq!(patch.status().as_u16(), 400);
    let mut last = 0;
    for i in 0..40u32 {
        let body = format!("photo {i}").into_bytes();
        last = tus_create(&http, url, Some(&a.token), "ord-sh-0001", "delivery", &body)
            .status()
            .as_u16();
        if last != 201 {
            assert!(i >= 31, "refused after {i} uploads");
            break;
        }
    }
    assert_eq!(last, 429, "unfinished uploads are capped");
}

fn raw(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

/// Reads until the peer closes or the read deadline passes; returns what came and how long.
fn read_all(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = vec![];
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.windows(4).any(|w| w == b"\r\n\r\n") && !out.starts_with(b"HTTP/1.1 1") {
                    // A complete head; a body, if any, is small here.
                    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                }
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

#[test]
fn slow_and_oversized_connections_are_cut_before_they_cost_anything() {
    let server = common::start(&[
        "--header-timeout-secs",
        "1",
        "--request-timeout-secs",
        "2",
        "--max-connections",
        "3",
    ]);
    let http = Client::new();
    let a = register(&http, &server, "a", "driver");
    let addr = server.url.trim_start_matches("http://").to_string();

    // Half-sent headers: closed after the header deadline.
    let mut half = raw(&addr);
    half.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, waited) = read_all(&mut half);
    assert!(waited < Duration::from_secs(5), "closed after {waited:?}");

    // The connection cap: three silent connections hold every slot; the fourth is told
    // 503 at once instead of waiting; once the deadline frees them, requests go through.
    let silent: Vec<TcpStream> = (0..3).map(|_| raw(&addr)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut fourth = raw(&addr);
    fourth
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (reply, _) = read_all(&mut fourth);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    std::thread::sleep(Duration::from_millis(1_500));
    drop(silent);
    let health = http
        .get(format!("{}/v1/health", server.url))
        .send()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    // A body that stops arriving: 408 after the request deadline.
    let mut slow = raw(&addr);
    write!(
        slow,
        "POST /v1/rights-requests HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"id\":",
        a.token
    )
    .unwrap();
    let (reply, waited) = read_all(&mut slow);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(waited < Duration::from_secs(6), "{waited:?}");

    // Without a token, an 8 MiB PATCH is refused before a byte of its body is read.
    let mut anonymous = raw(&addr);
    anonymous
        .write_all(
            b"PATCH /v1/uploads/abc HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\
              Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n\
              Content-Length: 8388608\r\n\r\n",
        )
        .unwrap();
    let (reply, _) = read_all(&mut anonymous);
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");

    // With a token, a body over the route's cap is refused from its Content-Length.
    let mut oversized = raw(&addr);
    write!(
        oversized,
        "POST /v1/orders/ord-sh-0001/trajectory HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {}\r\nContent-Length: 2097152\r\n\r\n",
        a.token
    )
    .unwrap();
    let (reply, _) = read_all(&mut oversized);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
}
