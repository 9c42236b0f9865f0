//! Who gets what, for every operation of the contract, against the real server binary.
//!
//! Every operation of the served OpenAPI document (and each tus request, which the
//! document does not describe) has a row: the status each caller gets — no token, the
//! wrong role, another account of the same role, a driver who held the order before, and
//! the one the resource belongs to. The suite fails when an operation has no row. For
//! every refusal that says "not yours", the same request about a resource that does not
//! exist must get the identical status and body; and no reply to anyone but the owner
//! may carry the owner's account id, the parties' contact or the exact drop-off.

mod common;

use common::{
    Account, act, errand, latest_code, phone_of, place, register, sha256_hex, sign_in_as,
    tus_create, tus_patch,
};
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};
use waybill_protocol::trajectory;

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    WrongRole,
    Other,
    Former,
    Owner,
}

const CALLERS: [Who; 5] = [
    Who::Anonymous,
    Who::WrongRole,
    Who::Other,
    Who::Former,
    Who::Owner,
];

/// The resource a request is about: the real one, or one that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Real,
    Missing,
}

/// Which accounts play the callers of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cast {
    /// A driver's operation: the shipper T is the wrong role, driver B another account,
    /// driver C the former holder, driver A the holder.
    Driver,
    /// A shipper's operation: driver B is the wrong role, shipper T another account,
    /// driver C (a former holder, and a driver), shipper S the owner.
    Shipper,
    /// Needs no account.
    Public,
    /// An account's own session: T, B, C and A each on a second device of theirs (what
    /// the row does to it must not reach their first device).
    Spare,
}

const MISSING_ORDER: &str = "ord-0000missing";
const MISSING_UPLOAD: &str = "/v1/uploads/00000000000000000000000000000000";
const MISSING_DEVICE: &str = "dev_0000missing";

struct World {
    url: String,
    db: std::path::PathBuf,
    /// A's second device (its server id), and each caller's spare session.
    a_second_device: String,
    spares: [Account; 4],
    http: Client,
    a: Account,
    b: Account,
    c: Account,
    s: Account,
    t: Account,
    /// Errand placed by S, accepted and picked up by C, then reassigned to A.
    e: String,
    /// Errand placed by S, still open.
    e2: String,
    /// A's unfinished upload on E, and C's from when C held E.
    upload_a: String,
    upload_c: String,
    proof: Vec<u8>,
    /// What only the owner may learn.
    secrets: Vec<String>,
    keys: std::cell::Cell<u32>,
}

impl World {
    fn account(&self, cast: Cast, who: Who) -> Option<&Account> {
        use Who::*;
        match (cast, who) {
            (_, Anonymous) | (Cast::Public, _) => None,
            (Cast::Spare, WrongRole) => Some(&self.spares[0]),
            (Cast::Spare, Other) => Some(&self.spares[1]),
            (Cast::Spare, Former) => Some(&self.spares[2]),
            (Cast::Spare, Owner) => Some(&self.spares[3]),
            (Cast::Driver, WrongRole) => Some(&self.t),
            (Cast::Driver, Other) => Some(&self.b),
            (Cast::Driver, Owner) => Some(&self.a),
            (Cast::Shipper, WrongRole) => Some(&self.b),
            (Cast::Shipper, Other) => Some(&self.t),
            (Cast::Shipper, Owner) => Some(&self.s),
            (_, Former) => Some(&self.c),
        }
    }

    fn key(&self) -> String {
        self.keys.set(self.keys.get() + 1);
        format!("authz-{}", self.keys.get())
    }

    fn order(&self, target: Target) -> &str {
        match target {
            Target::Real => &self.e,
            Target::Missing => MISSING_ORDER,
        }
    }

    fn upload(&self, who: Who, target: Target) -> &str {
        match (target, who) {
            (Target::Missing, _) => MISSING_UPLOAD,
            (Target::Real, Who::Former) => &self.upload_c,
            (Target::Real, _) => &self.upload_a,
        }
    }
}

/// Builds the request of one row for one caller.
type Build = fn(&World, Who, Target) -> RequestBuilder;

struct Row {
    method: &'static str,
    path: &'static str,
    cast: Cast,
    /// Expected per caller in [`CALLERS`] order: a status, or `entry:<outcome|code>` for
    /// the one result of an action batch.
    expect: [&'static str; 5],
    build: Build,
}

fn anchored_batch(anchor_t_ms: i64) -> Vec<u8> {
    trajectory::encode_batch(&trajectory::Batch {
        anchor: Some(trajectory::Point {
            t_ms: anchor_t_ms,
            lat: 31.2,
            lon: 121.4,
        }),
        points: vec![trajectory::Point {
            t_ms: anchor_t_ms + 1_000,
            lat: 31.2001,
            lon: 121.4001,
        }],
        events: vec![],
    })
}

fn points_batch(t0: i64) -> Vec<u8> {
    trajectory::encode(
        &(0..5)
            .map(|i| trajectory::Point {
                t_ms: t0 + i * 1_000,
                lat: 31.254321 + i as f64 * 1e-4,
                lon: 121.456789,
            })
            .collect::<Vec<_>>(),
    )
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            method: "GET",
            path: "/v1/control",
            cast: Cast::Public,
            // The policy and the SDK switch are public, signed.
            expect: ["200", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/control?app=driver", w.url)),
        },
        Row {
            method: "GET",
            path: "/v1/notices",
            cast: Cast::Public,
            // Announcements, signed: the same page for everyone, with or without an account.
            expect: ["200", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/notices?after=0", w.url)),
        },
        Row {
            method: "POST",
            path: "/v1/sign-in/codes",
            cast: Cast::Public,
            expect: ["202", "202", "202", "202", "202"],
            build: |w, who, _| {
                let installation = format!("codes-{who:?}-{}", w.key());
                w.http.post(format!("{}/v1/sign-in/codes", w.url)).json(
                    &json!({"phone": phone_of(&installation), "installation_id": installation}),
                )
            },
        },
        Row {
            method: "POST",
            path: "/v1/devices",
            cast: Cast::Public,
            // Nobody is signed in by an installation id: a code (or a known key) is needed.
            expect: ["403", "403", "403", "403", "403"],
            build: |w, who, _| {
                w.http.post(format!("{}/v1/devices", w.url)).json(
                    &json!({"installation_id": format!("inst-{who:?}-{}", w.key()),
                        "role": "driver", "app_id": "t", "app_version": "1"}),
                )
            },
        },
        Row {
            method: "GET",
            path: "/v1/guest/offers",
            cast: Cast::Public,
            expect: ["200", "200", "200", "200", "200"],
            build: |w, _, _| {
                w.http
                    .get(format!("{}/v1/guest/offers?lat=31.11&lon=121.38", w.url))
            },
        },
        Row {
            method: "GET",
            path: "/v1/account",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/account", w.url)),
        },
        Row {
            method: "DELETE",
            path: "/v1/account/devices/{id}",
            cast: Cast::Driver,
            expect: ["401", "404", "404", "404", "204"],
            build: |w, _, target| {
                let id = match target {
                    Target::Real => w.a_second_device.as_str(),
                    Target::Missing => MISSING_DEVICE,
                };
                w.http.delete(format!("{}/v1/account/devices/{id}", w.url))
            },
        },
        Row {
            method: "GET",
            path: "/v1/waybills/{number}",
            cast: Cast::Public,
            // The number is the key; the reply names no person (the secrets check below).
            expect: ["200", "200", "200", "200", "200"],
            build: |w, _, target| {
                w.http
                    .get(format!("{}/v1/waybills/{}", w.url, waybill_of(w, target)))
            },
        },
        Row {
            method: "PUT",
            path: "/v1/waybill-follows/{number}",
            cast: Cast::Driver,
            // Anyone signed in who holds the number may follow it, for themselves.
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, target| {
                w.http.put(format!(
                    "{}/v1/waybill-follows/{}",
                    w.url,
                    waybill_of(w, target)
                ))
            },
        },
        Row {
            method: "GET",
            path: "/v1/waybill-follows",
            cast: Cast::Driver,
            // Each caller's own list.
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/waybill-follows", w.url)),
        },
        Row {
            method: "PUT",
            path: "/v1/waybill-follows",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, target| {
                w.http
                    .put(format!("{}/v1/waybill-follows", w.url))
                    .json(&json!({"numbers": [waybill_of(w, target)]}))
            },
        },
        Row {
            method: "GET",
            path: "/v1/marketing",
            cast: Cast::Driver,
            // Each account's own offers (none without its marketing consent).
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/marketing", w.url)),
        },
        Row {
            method: "PUT",
            path: "/v1/push-token",
            cast: Cast::Driver,
            // Each caller's own device: nothing names another account's.
            expect: ["401", "204", "204", "204", "204"],
            build: |w, _, _| {
                w.http
                    .put(format!("{}/v1/push-token", w.url))
                    .json(&json!({"token": "fcm-token-1", "platform": "fcm"}))
            },
        },
        Row {
            method: "DELETE",
            path: "/v1/push-token",
            cast: Cast::Driver,
            expect: ["401", "204", "204", "204", "204"],
            build: |w, _, _| w.http.delete(format!("{}/v1/push-token", w.url)),
        },
        Row {
            method: "POST",
            path: "/v1/account/sign-out",
            cast: Cast::Spare,
            expect: ["401", "204", "204", "204", "204"],
            build: |w, _, _| {
                w.http
                    .post(format!("{}/v1/account/sign-out", w.url))
                    .json(&json!({"everywhere": false}))
            },
        },
        Row {
            method: "POST",
            path: "/v1/account/step-up-codes",
            cast: Cast::Driver,
            expect: ["401", "202", "202", "202", "202"],
            build: |w, _, _| w.http.post(format!("{}/v1/account/step-up-codes", w.url)),
        },
        Row {
            method: "POST",
            path: "/v1/account/age",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            // An adult's age: what a minor's would do (close the account) is in
            // `tests/tests/accounts.rs`.
            build: |w, _, _| {
                w.http
                    .post(format!("{}/v1/account/age", w.url))
                    .json(&json!({"minor": false, "guardian_consent": false}))
            },
        },
        Row {
            method: "GET",
            path: "/v1/account/real-name",
            cast: Cast::Shipper,
            expect: ["401", "403", "200", "403", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/account/real-name", w.url)),
        },
        Row {
            method: "POST",
            path: "/v1/account/real-name",
            cast: Cast::Shipper,
            expect: ["401", "403", "200", "403", "200"],
            build: |w, _, _| {
                use base64::Engine;
                let png = |fill: u8| {
                    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
                    b.extend([fill; 200]);
                    base64::engine::general_purpose::STANDARD.encode(b)
                };
                w.http
                    .post(format!("{}/v1/account/real-name", w.url))
                    .json(&json!({"verification_id": w.key(), "id_card": png(1), "face": png(2)}))
            },
        },
        Row {
            method: "DELETE",
            path: "/v1/account/real-name",
            cast: Cast::Shipper,
            expect: ["401", "403", "204", "403", "204"],
            build: |w, _, _| w.http.delete(format!("{}/v1/account/real-name", w.url)),
        },
        Row {
            method: "GET",
            path: "/v1/orders/open",
            cast: Cast::Driver,
            expect: ["401", "403", "200", "200", "200"],
            build: |w, _, _| {
                w.http.get(format!(
                    "{}/v1/orders/open?lat=31.11&lon=121.38&radius_m=200000",
                    w.url
                ))
            },
        },
        Row {
            method: "POST",
            path: "/v1/orders/{id}/accept",
            cast: Cast::Driver,
            // An offer is public to drivers: that it was taken is what the driver who saw
            // it needs to hear; a missing order is a 404.
            expect: ["401", "403", "409", "409", "200"],
            build: |w, _, target| {
                w.http
                    .post(format!("{}/v1/orders/{}/accept", w.url, w.order(target)))
                    .header("Idempotency-Key", w.key())
            },
        },
        Row {
            method: "GET",
            path: "/v1/orders/{id}/events",
            cast: Cast::Driver,
            expect: ["401", "404", "404", "404", "200"],
            build: |w, _, target| {
                w.http
                    .get(format!("{}/v1/orders/{}/events", w.url, w.order(target)))
            },
        },
        Row {
            method: "POST",
            path: "/v1/actions",
            cast: Cast::Driver,
            expect: [
                "401",
                "entry:forbidden",
                "entry:order_not_found",
                "entry:order_not_found",
                "entry:applied",
            ],
            build: |w, _, target| {
                w.http
                    .post(format!("{}/v1/actions", w.url))
                    .json(&json!({"actions": [{
                    "key": w.key(), "order_id": w.order(target), "kind": "report_exception",
                    "at": "2026-12-01T08:00:00Z", "note": "gate closed"}]}))
            },
        },
        Row {
            method: "GET",
            path: "/v1/changes",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/changes?after=0", w.url)),
        },
        Row {
            method: "POST",
            path: "/v1/errands",
            cast: Cast::Shipper,
            expect: ["401", "403", "200", "403", "200"],
            build: |w, _, _| {
                let mut own = errand("Suzhou, 1 Test Road", "13900002222");
                own["dropoff"] = json!({"lat": 31.3, "lon": 120.6});
                w.http
                    .post(format!("{}/v1/errands", w.url))
                    .header("Idempotency-Key", w.key())
                    .json(&own)
            },
        },
        Row {
            method: "POST",
            path: "/v1/orders/{id}/cancel",
            cast: Cast::Shipper,
            expect: ["401", "403", "404", "403", "200"],
            build: |w, _, target| {
                let id = match target {
                    Target::Real => w.e2.as_str(),
                    Target::Missing => MISSING_ORDER,
                };
                w.http.post(format!("{}/v1/orders/{id}/cancel", w.url))
            },
        },
        Row {
            method: "POST",
            path: "/v1/consent-receipts",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| {
                w.http
                    .post(format!("{}/v1/consent-receipts", w.url))
                    .json(&json!({"receipts": []}))
            },
        },
        Row {
            method: "GET",
            path: "/v1/consent-receipts",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/consent-receipts", w.url)),
        },
        Row {
            method: "GET",
            path: "/v1/errands/{id}/courier",
            cast: Cast::Shipper,
            // The errand's shipper only: its driver, another shipper and a stranger get
            // what a missing errand gets.
            expect: ["401", "404", "404", "404", "200"],
            build: |w, _, target| {
                let id = match target {
                    Target::Real => w.e2.as_str(),
                    Target::Missing => MISSING_ORDER,
                };
                w.http.get(format!("{}/v1/errands/{id}/courier", w.url))
            },
        },
        Row {
            method: "POST",
            path: "/v1/service-events",
            cast: Cast::Driver,
            // Each account's own log; the shipper policy declares none.
            expect: ["401", "403", "200", "200", "200"],
            build: |w, _, _| {
                w.http
                    .post(format!("{}/v1/service-events", w.url))
                    .json(&json!({
                        "events": [{"event_id": "e-1", "kind": "pick_up", "order_id": "o-1",
                                    "at": "2026-12-01T10:00:00Z"}]
                    }))
            },
        },
        Row {
            method: "POST",
            path: "/v1/rights-requests",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            // With the step-up code the row above had sent to the caller's own number.
            build: |w, who, _| {
                let code = w
                    .account(Cast::Driver, who)
                    .and_then(|a| latest_code(&w.db, &a.phone, "step_up"));
                w.http
                    .post(format!("{}/v1/rights-requests", w.url))
                    .json(&json!({
                    "id": w.key(), "kind": "access", "detail": "a copy please",
                    "due_at": "2026-12-22T00:00:00Z", "step_up_code": code}))
            },
        },
        Row {
            method: "GET",
            path: "/v1/rights-requests",
            cast: Cast::Driver,
            expect: ["401", "200", "200", "200", "200"],
            build: |w, _, _| w.http.get(format!("{}/v1/rights-requests", w.url)),
        },
        Row {
            method: "POST",
            path: "/v1/orders/{id}/trajectory",
            cast: Cast::Driver,
            expect: ["401", "403", "404", "404", "200"],
            build: |w, _, target| {
                w.http
                    .post(format!(
                        "{}/v1/orders/{}/trajectory",
                        w.url,
                        w.order(target)
                    ))
                    .header("Content-Type", "application/octet-stream")
                    .body(points_batch(
                        1_764_576_000_000 + i64::from(w.keys.get()) * 10_000,
                    ))
            },
        },
        Row {
            method: "GET",
            path: "/v1/orders/{id}/trajectory",
            cast: Cast::Driver,
            expect: ["401", "404", "404", "404", "200"],
            build: |w, _, target| {
                w.http.get(format!(
                    "{}/v1/orders/{}/trajectory",
                    w.url,
                    w.order(target)
                ))
            },
        },
        // tus, outside the OpenAPI document.
        Row {
            method: "OPTIONS",
            path: "/v1/uploads",
            cast: Cast::Public,
            expect: ["204", "204", "204", "204", "204"],
            build: |w, _, _| {
                w.http
                    .request(Method::OPTIONS, format!("{}/v1/uploads", w.url))
            },
        },
        Row {
            method: "POST",
            path: "/v1/uploads",
            cast: Cast::Driver,
            expect: ["401", "403", "404", "404", "201"],
            build: |w, _, target| {
                let body = format!("photo {}", w.key()).into_bytes();
                let meta = waybill_protocol::tus::encode_metadata(&[
                    ("order", w.order(target)),
                    ("kind", "delivery"),
                    ("sha256", &sha256_hex(&body)),
                ]);
                w.http
                    .post(format!("{}/v1/uploads", w.url))
                    .header("Tus-Resumable", "1.0.0")
                    .header("Upload-Length", body.len().to_string())
                    .header("Upload-Metadata", meta)
            },
        },
        Row {
            method: "HEAD",
            path: "/v1/uploads/{id}",
            cast: Cast::Driver,
            expect: ["401", "403", "404", "404", "200"],
            build: |w, who, target| {
                w.http
                    .head(format!("{}{}", w.url, w.upload(who, target)))
                    .header("Tus-Resumable", "1.0.0")
            },
        },
        Row {
            method: "PATCH",
            path: "/v1/uploads/{id}",
            cast: Cast::Driver,
            // The former holder's own upload: its last byte must not complete a proof
            // on the order it lost.
            expect: ["401", "403", "404", "404", "204"],
            build: |w, who, target| {
                let (offset, bytes) = if who == Who::Former {
                    (w.proof.len() as u64 - 1, &w.proof[w.proof.len() - 1..])
                } else {
                    (0, &w.proof[..10])
                };
                w.http
                    .patch(format!("{}{}", w.url, w.upload(who, target)))
                    .header("Tus-Resumable", "1.0.0")
                    .header("Upload-Offset", offset.to_string())
                    .header("Content-Type", "application/offset+octet-stream")
                    .body(bytes.to_vec())
            },
        },
        Row {
            method: "DELETE",
            path: "/v1/uploads/{id}",
            cast: Cast::Driver,
            // Ending one's own unfinished upload is allowed after losing the order: it
            // only removes one's own bytes.
            expect: ["401", "403", "404", "204", "204"],
            build: |w, who, target| {
                w.http
                    .delete(format!("{}{}", w.url, w.upload(who, target)))
                    .header("Tus-Resumable", "1.0.0")
            },
        },
    ]
}

fn world(server: &common::Server) -> World {
    let http = Client::new();
    let url = server.url.clone();
    let a = register(&http, server, "driver-a", "driver");
    let b = register(&http, server, "driver-b", "driver");
    let c = register(&http, server, "driver-c", "driver");
    let s = register(&http, server, "shipper-s", "shipper");
    let t = register(&http, server, "shipper-t", "shipper");
    let second = |first: &Account, installation: &str, role: &str| {
        sign_in_as(&http, server, installation, role, &first.phone)
    };
    let a2 = second(&a, "driver-a-2", "driver");
    let a_second_device = http
        .get(format!("{url}/v1/account"))
        .bearer_auth(&a2.token)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let spares = [
        second(&t, "shipper-t-3", "shipper"),
        second(&b, "driver-b-3", "driver"),
        second(&c, "driver-c-3", "driver"),
        second(&a, "driver-a-3", "driver"),
    ];
    assert_eq!(spares[3].id, a.id, "one number, one account");

    let label = "Suzhou, Room 1203, 88 Jinji Lake Road";
    let e = place(&http, &url, &s, "e-1", &errand(label, "13912345678"));
    let e2 = place(&http, &url, &s, "e-2", &errand(label, "13987654321"));
    assert_eq!(
        act(&http, &url, &c, "c-1", &e, "accept")["outcome"],
        "applied"
    );
    assert_eq!(
        act(&http, &url, &c, "c-2", &e, "pick_up")["outcome"],
        "applied"
    );
    let proof: Vec<u8> = (0..2_000u32).map(|i| (i % 251) as u8).collect();
    let created = tus_create(&http, &url, Some(&c.token), &e, "delivery", &proof);
    assert_eq!(created.status().as_u16(), 201);
    let upload_c = created.headers()["location"].to_str().unwrap().to_string();
    let sent = tus_patch(
        &http,
        &url,
        Some(&c.token),
        &upload_c,
        0,
        &proof[..proof.len() - 1],
    );
    assert_eq!(sent.status().as_u16(), 204);
    // The operator reassigns the order to A (dispatch does this when a driver drops out).
    let db = rusqlite::Connection::open(&server.db).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE orders SET assigned_to = ?1, revision = revision + 1,
             change_seq = (SELECT max(change_seq) + 1 FROM orders) WHERE id = ?2",
        [&a.id, &e],
    )
    .unwrap();
    let batch = points_batch(1_764_570_000_000);
    let stored = http
        .post(format!("{url}/v1/orders/{e}/trajectory"))
        .bearer_auth(&a.token)
        .body(batch)
        .send()
        .unwrap();
    assert_eq!(stored.status().as_u16(), 200);
    let created = tus_create(&http, &url, Some(&a.token), &e, "delivery", &proof);
    assert_eq!(created.status().as_u16(), 201);
    let upload_a = created.headers()["location"].to_str().unwrap().to_string();
    let secrets = vec![
        a.id.clone(),
        a.phone.clone(),
        s.id.clone(),
        label.to_string(),
        "13912345678".into(),
        "13987654321".into(),
        "李伟".into(),
        "31.298765".into(),
        "120.612345".into(),
        "31.254321".into(),
        "121.456789".into(),
    ];
    World {
        url,
        db: server.db.clone(),
        a_second_device,
        spares,
        http,
        a,
        b,
        c,
        s,
        t,
        e,
        e2,
        upload_a,
        upload_c,
        proof,
        secrets,
        keys: std::cell::Cell::new(0),
    }
}

/// The waybill number of E, or a well-formed number of no order.
fn waybill_of(w: &World, target: Target) -> String {
    match target {
        Target::Real => rusqlite::Connection::open(&w.db)
            .unwrap()
            .query_row(
                "SELECT number FROM waybills WHERE order_id = ?1",
                [&w.e],
                |r| r.get(0),
            )
            .unwrap(),
        Target::Missing => waybill_protocol::waybills::waybill_number_from(42),
    }
}

fn send(w: &World, row: &Row, who: Who, target: Target) -> (u16, String) {
    let mut req = (row.build)(w, who, target);
    if let Some(account) = w.account(row.cast, who) {
        req = req.bearer_auth(&account.token);
    }
    let reply = req.send().unwrap();
    (reply.status().as_u16(), reply.text().unwrap())
}

fn outcome(status: u16, body: &str, expected: &str) -> String {
    if expected.starts_with("entry:") && status == 200 {
        let v: Value = serde_json::from_str(body).unwrap();
        let r = &v["results"][0];
        let what = if r["outcome"] == "refused" {
            r["error"]["code"].as_str().unwrap_or("?").to_string()
        } else {
            r["outcome"].as_str().unwrap_or("?").to_string()
        };
        format!("entry:{what}")
    } else {
        status.to_string()
    }
}

#[test]
fn every_operation_answers_each_caller_as_its_row_says() {
    let server = common::start(&[]);
    let w = world(&server);
    let table = rows();

    // Every operation of the served document has a row.
    let doc: Value = w
        .http
        .get(format!("{}/v1/openapi.json", w.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            assert!(
                table.iter().any(|r| r.path == path && r.method == method),
                "{method} {path} is in the OpenAPI document but has no authorization row"
            );
        }
    }
    assert!(operations >= 14, "{operations} operations in the document");

    let mut failures = vec![];
    for row in &table {
        for (i, who) in CALLERS.into_iter().enumerate() {
            let expected = row.expect[i];
            let (status, body) = send(&w, row, who, Target::Real);
            let got = outcome(status, &body, expected);
            if got != expected {
                failures.push(format!(
                    "{} {} as {who:?}: expected {expected}, got {got}: {body}",
                    row.method, row.path
                ));
            }
            if who != Who::Owner {
                for secret in &w.secrets {
                    if body.contains(secret.as_str()) {
                        failures.push(format!(
                            "{} {} as {who:?}: the reply carries {secret:?}",
                            row.method, row.path
                        ));
                    }
                }
            }
            // "Not yours" must read exactly like "does not exist".
            let not_yours = expected == "404" || expected == "entry:order_not_found";
            if not_yours {
                let (missing_status, missing_body) = send(&w, row, who, Target::Missing);
                // A batch reply echoes the caller's own key: compare its refusal.
                let refusal = |b: &str| {
                    serde_json::from_str::<Value>(b)
                        .ok()
                        .filter(|v| v.get("results").is_some())
                        .map_or_else(|| json!(b), |v| v["results"][0]["error"].clone())
                };
                if (missing_status, refusal(&missing_body)) != (status, refusal(&body)) {
                    failures.push(format!(
                        "{} {} as {who:?}: not yours ({status} {body}) differs from missing ({missing_status} {missing_body})",
                        row.method, row.path
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Signing a spare device out, or A's second device, ended only that session.
    let status_of = |token: &str| {
        w.http
            .get(format!("{}/v1/changes", w.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for first in [&w.a, &w.b, &w.c, &w.t] {
        assert_eq!(status_of(&first.token), 200);
    }
    for spare in &w.spares {
        assert_eq!(status_of(&spare.token), 401);
    }

    // The shipper who placed E reads its history and follows its courier, but not the
    // driver's whole trajectory; nothing the former holder sent after losing it became a
    // proof.
    for (path, status) in [
        (format!("orders/{}/events", w.e), 200),
        (format!("errands/{}/courier", w.e), 200),
        (format!("orders/{}/trajectory", w.e), 404),
    ] {
        let reply = w
            .http
            .get(format!("{}/v1/{path}", w.url))
            .bearer_auth(&w.s.token)
            .send()
            .unwrap();
        assert_eq!(reply.status().as_u16(), status, "shipper reads {path}");
    }
    let events: Value = w
        .http
        .get(format!("{}/v1/orders/{}/events", w.url, w.e))
        .bearer_auth(&w.a.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let proofs = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "proof")
        .count();
    assert_eq!(
        proofs, 0,
        "no proof completed by the former holder: {events}"
    );
    // The former holder's feed says the order is someone else's, without naming them.
    let feed: Value = w
        .http
        .get(format!("{}/v1/changes?after=0", w.url))
        .bearer_auth(&w.c.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let lost = feed["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == w.e.as_str())
        .expect("the lost order is in the former holder's feed");
    assert_eq!(lost["assigned_to"], waybill_protocol::ANOTHER_ACCOUNT);
}

#[test]
fn a_stranger_learns_nothing_of_a_trajectory_by_probing_anchors() {
    let server = common::start(&[]);
    let w = world(&server);
    // A holds points at t0 + k s (k < 5). Before the fix, an anchored batch from anyone
    // was decoded first: an anchor on a stored point got a different reply than one
    // off it, and the anchor's coordinates could be searched for. Now the caller's
    // right is checked first, so every probe gets the reply a missing order gets.
    let t0 = 1_764_570_000_000i64;
    let probe = |who: &Account, order: &str, anchor: i64| -> (u16, String) {
        let reply = w
            .http
            .post(format!("{}/v1/orders/{order}/trajectory", w.url))
            .bearer_auth(&who.token)
            .body(anchored_batch(anchor))
            .send()
            .unwrap();
        (reply.status().as_u16(), reply.text().unwrap())
    };
    let on_point = probe(&w.b, &w.e, t0);
    let off_point = probe(&w.b, &w.e, t0 + 500);
    let missing = probe(&w.b, MISSING_ORDER, t0);
    assert_eq!(
        on_point, off_point,
        "an anchor on a stored point reads as one off it"
    );
    assert_eq!(on_point, missing, "and as an order that does not exist");
    assert_eq!(on_point.0, 404);
    // The former holder is a stranger now too.
    assert_eq!(probe(&w.c, &w.e, t0), missing);
    // Reading routes say nothing either.
    for path in ["trajectory", "events"] {
        for who in [&w.b, &w.c, &w.t] {
            let reply = w
                .http
                .get(format!("{}/v1/orders/{}/{path}", w.url, w.e))
                .bearer_auth(&who.token)
                .send()
                .unwrap();
            assert_eq!(reply.status().as_u16(), 404);
            let body = reply.text().unwrap();
            assert!(!body.contains("31.25"), "{body}");
        }
    }
    // The holder's own anchored batch still works (the anchor is among its points).
    let (status, body) = probe(&w.a, &w.e, t0 + 4_000);
    assert_eq!(status, 200, "{body}");
    let (status, body) = probe(&w.a, &w.e, t0 + 4_500);
    assert_eq!(
        status, 409,
        "an unknown anchor of the holder's own order: {body}"
    );
}
