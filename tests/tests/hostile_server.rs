//! A server that lies, through a rewriting proxy in front of the real one: the client
//! must neither lose a photo, nor send its token elsewhere, nor page forever.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, ProofKind, ProofSource};
use waybill_e2e::hostile::{HostileProxy, Reply};
use waybill_e2e::images::noise_png;
use waybill_e2e::{ServerProcess, photographing_driver, server_upload_hashes};

const HONEST: u8 = 0;
const OFFSET_BEYOND: u8 = 1;
const OFFSET_REPEATED: u8 = 2;
const LOCATION_ELSEWHERE: u8 = 3;
const ENDLESS_FEED: u8 = 4;
const HUGE_FEED: u8 = 5;
const DOT_DOT_FEED: u8 = 6;
const STRANGERS_CONTACT_FEED: u8 = 7;

fn tus_reply(offset: &str) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert("Tus-Resumable", HeaderValue::from_static("1.0.0"));
    headers.insert("Upload-Offset", HeaderValue::from_str(offset).unwrap());
    Reply {
        status: StatusCode::NO_CONTENT,
        headers,
        body: Bytes::new(),
    }
}

fn json_reply(body: String) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    Reply {
        status: StatusCode::OK,
        headers,
        body: Bytes::from(body),
    }
}

async fn lying_proxy(server: &ServerProcess, mode: Arc<AtomicU8>, trap: u16) -> HostileProxy {
    let (m1, m2) = (Arc::clone(&mode), mode);
    HostileProxy::start(
        server.addr,
        Arc::new(move |method: &Method, path: &str| {
            let patch = method == Method::PATCH && path.starts_with("/v1/uploads/");
            let feed = method == Method::GET && path.starts_with("/v1/changes");
            match m1.load(Ordering::SeqCst) {
                // The server never hears of the chunk, and says it has it all.
                OFFSET_BEYOND if patch => Some(tus_reply("999999999")),
                OFFSET_REPEATED if patch => Some(tus_reply("0")),
                ENDLESS_FEED if feed => {
                    Some(json_reply(r#"{"orders":[],"cursor":0,"more":true}"#.into()))
                }
                DOT_DOT_FEED if feed => Some(json_reply(
                    r#"{"orders":[{"id":"..","status":"picked_up","pickup_label":"x","pickup":{"lat":31.2,"lon":121.4},"dropoff_label":"y","goods":"g","weight_kg":1.0,"fee_minor":1,"currency":"CNY","assigned_to":null,"revision":9,"updated_at":"2026-12-01T08:00:00Z"}],"cursor":99,"more":false}"#.into(),
                )),
                // Contacts of an order the page shows open and unassigned, and of one the
                // page does not show at all.
                STRANGERS_CONTACT_FEED if feed => Some(json_reply(
                    r#"{"orders":[{"id":"ord-planted","status":"open","pickup_label":"x","pickup":{"lat":31.2,"lon":121.4},"dropoff_label":"y","goods":"g","weight_kg":1.0,"fee_minor":1,"currency":"CNY","assigned_to":null,"revision":9,"updated_at":"2026-12-01T08:00:00Z"}],"cursor":0,"more":false,"contacts":[{"order_id":"ord-planted","contact":{"consignor_name":"A","consignor_phone":"13800000001","consignee_name":"B","consignee_phone":"13800000002","consignee_address":"C"}},{"order_id":"ord-absent","contact":{"consignor_name":"A","consignor_phone":"13800000001","consignee_name":"B","consignee_phone":"13800000002","consignee_address":"C"}}]}"#.into(),
                )),
                HUGE_FEED if feed => Some(json_reply(format!(
                    r#"{{"orders":[],"cursor":1,"more":false,"pad":"{}"}}"#,
                    "x".repeat(9 << 20)
                ))),
                _ => None,
            }
        }),
        Arc::new(move |method: &Method, path: &str, reply: &mut Reply| {
            let create = method == Method::POST && path == "/v1/uploads";
            if create && m2.load(Ordering::SeqCst) == LOCATION_ELSEWHERE {
                let elsewhere = format!("http://127.0.0.1:{trap}/v1/uploads/stolen");
                reply
                    .headers
                    .insert("location", HeaderValue::from_str(&elsewhere).unwrap());
            }
        }),
    )
    .await
}

/// A listener that counts who connects to it (the origin a lying `Location` names).
async fn trap() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_tus_server_never_costs_the_photo_nor_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let mode = Arc::new(AtomicU8::new(HONEST));
    let (trap_port, trap_hits) = trap().await;
    let proxy = lying_proxy(&server, Arc::clone(&mode), trap_port).await;
    let data = dir.path().join("d");
    let (client, order_id) = photographing_driver(&data, &proxy.base_url()).await;
    let photo = noise_png(600 * 1024, 7);
    let proof = client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::Bytes(photo),
            Capture {
                at: chrono::Utc::now(),
                elapsed_ms: None,
            },
        )
        .unwrap();
    let still_queued = |why: &str| {
        let p = &client.proofs(&order_id).unwrap()[0];
        assert!(p.uploaded_at.is_none(), "{why}: marked uploaded");
        assert!(
            client.proof_image(&proof.sha256).is_ok(),
            "{why}: the sealed photo was deleted"
        );
        assert!(
            !server_upload_hashes(&db).contains(&proof.sha256),
            "{why}: the server has it"
        );
    };

    // 1. A `Location` on another origin is not followed with the bearer token.
    mode.store(LOCATION_ELSEWHERE, Ordering::SeqCst);
    let _ = tokio::time::timeout(Duration::from_secs(60), client.sync())
        .await
        .expect("sync ends");
    assert!(
        proxy
            .seen()
            .iter()
            .any(|r| r.starts_with("POST /v1/uploads")),
        "the upload was created through the proxy"
    );
    assert_eq!(
        trap_hits.load(Ordering::SeqCst),
        0,
        "nothing went elsewhere"
    );
    still_queued("Location elsewhere");

    // 2. "Upload-Offset: 999999999" while the server holds nothing. Before, the proof was
    //    marked uploaded and the photo deleted.
    mode.store(OFFSET_BEYOND, Ordering::SeqCst);
    let _ = tokio::time::timeout(Duration::from_secs(60), client.sync())
        .await
        .expect("sync ends");
    still_queued("offset beyond the length");

    // 3. The same offset, over and over: the step ends instead of resending forever.
    mode.store(OFFSET_REPEATED, Ordering::SeqCst);
    let before = proxy.seen().len();
    let _ = tokio::time::timeout(Duration::from_secs(60), client.sync())
        .await
        .expect("a repeated offset does not keep foreground sync resending");
    let patches = proxy.seen()[before..]
        .iter()
        .filter(|r| r.starts_with("PATCH"))
        .count();
    assert!(
        patches <= 6,
        "{patches} PATCHes for a server that never moves"
    );
    still_queued("offset repeated");

    // Honest again: the photo arrives whole, and only then leaves the device.
    mode.store(HONEST, Ordering::SeqCst);
    client.sync().await.unwrap();
    let p = &client.proofs(&order_id).unwrap()[0];
    assert!(
        p.uploaded_at.is_some(),
        "uploaded once the server is honest"
    );
    assert!(server_upload_hashes(&db).contains(&proof.sha256));
    assert!(
        client.proof_image(&proof.sha256).is_err(),
        "gone after upload"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_feed_that_never_ends_or_never_stops_growing_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let mode = Arc::new(AtomicU8::new(HONEST));
    let (trap_port, _) = trap().await;
    let proxy = lying_proxy(&server, Arc::clone(&mode), trap_port).await;
    let data = dir.path().join("d");
    let (client, _order) = photographing_driver(&data, &proxy.base_url()).await;

    // "more: true" with a cursor that never moves: before, sync paged forever.
    mode.store(ENDLESS_FEED, Ordering::SeqCst);
    let before = proxy.seen().len();
    let result = tokio::time::timeout(Duration::from_secs(30), client.sync())
        .await
        .expect("sync ends");
    let pages = proxy.seen()[before..]
        .iter()
        .filter(|r| r.starts_with("GET /v1/changes"))
        .count();
    assert!(
        pages <= 2,
        "{pages} pages of a feed whose cursor never moves"
    );
    assert!(result.is_err(), "a typed protocol error: {result:?}");

    // A 9 MiB page: refused without being believed (the cap is 8 MiB).
    mode.store(HUGE_FEED, Ordering::SeqCst);
    let result = tokio::time::timeout(Duration::from_secs(30), client.sync())
        .await
        .expect("sync ends");
    assert!(result.is_err(), "{result:?}");
    // An order id of "..", which a URL would resolve to the parent path: refused before it
    // is stored (and so before any request is built from it).
    mode.store(DOT_DOT_FEED, Ordering::SeqCst);
    let result = tokio::time::timeout(Duration::from_secs(30), client.sync())
        .await
        .expect("sync ends");
    assert!(result.is_err(), "{result:?}");
    assert!(client.order("..").is_err(), "not stored");
    // Contacts for orders this driver does not hold: not taken.
    mode.store(STRANGERS_CONTACT_FEED, Ordering::SeqCst);
    client.sync().await.expect("a well-formed page");
    for id in ["ord-planted", "ord-absent"] {
        assert!(
            matches!(client.order_contact(id, true), Ok(None) | Err(_)),
            "no contact stored for {id}"
        );
    }
    mode.store(HONEST, Ordering::SeqCst);
    client.sync().await.expect("an honest server again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_reply_about_another_order_or_with_a_contact_it_should_not_carry_is_not_believed()
{
    const OTHER_ORDER: u8 = 1;
    const FAKE_CONTACT: u8 = 2;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let mode = Arc::new(AtomicU8::new(HONEST));
    let lie = Arc::clone(&mode);
    let proxy = HostileProxy::start(
        server.addr,
        Arc::new(|_: &Method, _: &str| None),
        Arc::new(move |method: &Method, path: &str, reply: &mut Reply| {
            if method != Method::POST || path != "/v1/actions" {
                return;
            }
            let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
                return;
            };
            match lie.load(Ordering::SeqCst) {
                OTHER_ORDER => v["results"][0]["order"]["id"] = "ord-somewhere-else".into(),
                FAKE_CONTACT => {
                    v["results"][0]["contact"] = serde_json::json!({
                        "consignor_name": "X", "consignor_phone": "13700009999",
                        "consignee_name": "Impostor", "consignee_phone": "13700009999",
                        "consignee_address": "Elsewhere 1"})
                }
                _ => return,
            }
            reply.body = Bytes::from(serde_json::to_vec(&v).unwrap());
        }),
    )
    .await;
    let data = dir.path().join("d");
    let client = waybill_e2e::consenting_driver(&data, &proxy.base_url());
    waybill_e2e::sign_in(&client).await;
    let offers = client
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .unwrap();
    let order = offers[0].id.clone();
    client.accept_order(&order).unwrap();

    // The reply names another order: the acceptance stays queued, nothing is stored
    // under the other id. Before, the other order was written into the cache.
    mode.store(OTHER_ORDER, Ordering::SeqCst);
    let result = client.sync().await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(client.pending().unwrap().len(), 1, "still queued");
    assert!(client.order("ord-somewhere-else").is_err());

    mode.store(HONEST, Ordering::SeqCst);
    client.sync().await.unwrap();
    let real = client
        .order_contact(&order, true)
        .unwrap()
        .expect("contact with acceptance");

    // A pick-up reply that carries a contact: not taken (only an acceptance discloses it).
    client.pick_up(&order).unwrap();
    mode.store(FAKE_CONTACT, Ordering::SeqCst);
    client.sync().await.unwrap();
    let kept = client.order_contact(&order, true).unwrap().unwrap();
    assert_eq!(kept, real, "the contact of the acceptance stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_name_no_url_in_errors_or_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = waybill_e2e::LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order) = waybill_e2e::carrying_driver(&data, &proxy.base_url()).await;
    proxy.set_offline(true);
    // The offer search sends the (coarse) position in its query.
    let err = client
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .expect_err("offline");
    let text = format!("{err} {err:?}");
    for leak in ["lat=", "lon=", "http://", "127.0.0.1"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    client.report_exception(&order, "gate closed").unwrap();
    let _ = client.sync().await;
    let queued = client.pending().unwrap();
    let last = queued[0]
        .last_error
        .clone()
        .expect("the failure is recorded");
    for leak in ["http://", "127.0.0.1", "/v1/"] {
        assert!(!last.contains(leak), "{leak} in {last}");
    }
}
