//! The real server binary on loopback, and plain HTTP calls to it, for the suites that
//! attack it from the outside.
#![allow(dead_code)] // each suite uses its own part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use reqwest::blocking::Client;
use serde_json::{Value, json};

/// A running `waybill-server`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its database file.
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server with demo offers and `extra` arguments.
pub fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    // `WAYBILL_SERVER_BIN` runs the suites against another build (e.g. an older one, to
    // see them fail on the defects they were written for).
    let bin = std::env::var_os("WAYBILL_SERVER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_waybill-server")),
        PathBuf::from,
    );
    let mut child = Command::new(bin)
        .args([
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--seed-demo",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("http://127.0.0.1:"),
        "first stdout line: {line:?}"
    );
    Server {
        child,
        url: line.trim().to_string(),
        db,
        _dir: dir,
    }
}

/// A registered account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Bearer token.
    pub token: String,
    /// The account's number.
    pub phone: String,
}

/// A test number for `installation`: distinct per installation, stable across calls.
pub fn phone_of(installation: &str) -> String {
    let h = u64::from_str_radix(&sha256_hex(installation.as_bytes())[..12], 16).unwrap();
    format!("+1555{:07}", h % 10_000_000)
}

/// The newest code the development sender wrote for `phone` and `purpose`.
pub fn latest_code(db: &std::path::Path, phone: &str, purpose: &str) -> Option<String> {
    waybill_server::sign_in::DevFileSender::latest(db, phone, purpose)
}

/// Asks for a sign-in code for `phone` to `installation`.
pub fn ask_code(
    http: &Client,
    url: &str,
    phone: &str,
    installation: &str,
) -> reqwest::blocking::Response {
    http.post(format!("{url}/v1/sign-in/codes"))
        .json(&json!({"phone": phone, "installation_id": installation}))
        .send()
        .unwrap()
}

/// Signs `installation` in with `role` to the account of `phone` (opened as an adult's
/// if new), by a code, without a device key.
pub fn sign_in_as(
    http: &Client,
    server: &Server,
    installation: &str,
    role: &str,
    phone: &str,
) -> Account {
    assert_eq!(
        ask_code(http, &server.url, phone, installation)
            .status()
            .as_u16(),
        202
    );
    let code = latest_code(&server.db, phone, "sign_in").unwrap();
    let reply = http
        .post(format!("{}/v1/devices", server.url))
        .json(
            &json!({"installation_id": installation, "role": role, "app_id": "t",
            "app_version": "1", "phone_code": {"phone": phone, "code": code}, "age": "adult"}),
        )
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200, "sign-in of {installation}");
    let v: Value = reply.json().unwrap();
    Account {
        id: v["account_id"].as_str().unwrap().into(),
        token: v["token"].as_str().unwrap().into(),
        phone: phone.into(),
    }
}

/// A fresh step-up code for the account of `token`, whose number is `phone`.
pub fn step_up(http: &Client, server: &Server, token: &str, phone: &str) -> String {
    let reply = http
        .post(format!("{}/v1/account/step-up-codes", server.url))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 202);
    latest_code(&server.db, phone, "step_up").unwrap()
}

/// Closes the account of `token` (number `phone`) with a step-up code.
pub fn close_account(
    http: &Client,
    server: &Server,
    token: &str,
    phone: &str,
    id: &str,
) -> reqwest::blocking::Response {
    let code = step_up(http, server, token, phone);
    http.post(format!("{}/v1/rights-requests", server.url))
        .bearer_auth(token)
        .json(&json!({"id": id, "kind": "cancellation", "detail": "",
            "due_at": "2026-12-22T00:00:00Z", "step_up_code": code}))
        .send()
        .unwrap()
}

/// Signs `installation` in with `role` to an account of its own number ([`phone_of`]).
pub fn register(http: &Client, server: &Server, installation: &str, role: &str) -> Account {
    sign_in_as(http, server, installation, role, &phone_of(installation))
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    waybill_protocol::hex(&sha2::Sha256::digest(bytes))
}

/// A tus creation request for a proof of `order`.
pub fn tus_create(
    http: &Client,
    url: &str,
    token: Option<&str>,
    order: &str,
    kind: &str,
    body: &[u8],
) -> reqwest::blocking::Response {
    let meta = waybill_protocol::tus::encode_metadata(&[
        ("order", order),
        ("kind", kind),
        ("sha256", &sha256_hex(body)),
    ]);
    let mut req = http
        .post(format!("{url}/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", body.len().to_string())
        .header("Upload-Metadata", meta);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().unwrap()
}

/// A tus PATCH of `bytes` at `offset`.
pub fn tus_patch(
    http: &Client,
    url: &str,
    token: Option<&str>,
    location: &str,
    offset: u64,
    bytes: &[u8],
) -> reqwest::blocking::Response {
    let mut req = http
        .patch(format!("{url}{location}"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().unwrap()
}

/// An errand with the given drop-off label and consignee phone.
pub fn errand(dropoff_label: &str, phone: &str) -> Value {
    json!({
        "pickup_label": "Shanghai Minhang depot", "pickup": {"lat": 31.1110, "lon": 121.3800},
        "dropoff_label": dropoff_label, "dropoff": {"lat": 31.298765, "lon": 120.612345},
        "goods": "3 cartons", "weight_kg": 12.5, "fee_minor": 3000, "currency": "CNY",
        "contact": {"consignor_name": "王芳", "consignor_phone": "13800001111",
            "consignee_name": "李伟", "consignee_phone": phone,
            "consignee_address": dropoff_label}
    })
}

/// Places an errand; returns its order id.
pub fn place(http: &Client, url: &str, shipper: &Account, key: &str, body: &Value) -> String {
    let v: Value = http
        .post(format!("{url}/v1/errands"))
        .bearer_auth(&shipper.token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// Pushes one action; returns the batch's single result.
pub fn act(http: &Client, url: &str, who: &Account, key: &str, order: &str, kind: &str) -> Value {
    let v: Value = http
        .post(format!("{url}/v1/actions"))
        .bearer_auth(&who.token)
        .json(
            &json!({"actions": [{"key": key, "order_id": order, "kind": kind,
            "at": "2026-12-01T08:00:00Z"}]}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["results"][0].clone()
}
