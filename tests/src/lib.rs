//! Harness for end-to-end suites: the real `waybill-server` binary as a child process on
//! loopback, and (from `waybill-cli`) a TCP proxy that can lose a reply after the server
//! committed it.
#![forbid(unsafe_code)]

pub mod counting;
pub mod hostile;
pub mod toxiproxy;
pub mod traces;

pub use waybill_cli::images;
pub use waybill_cli::link::LossyProxy;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Path of the server binary: `$WAYBILL_SERVER_BIN`, or `waybill-server` next to the
/// test's own target directory (built by `cargo test --workspace`).
pub fn server_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("WAYBILL_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps layout");
    let bin = dir.join(format!("waybill-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p waybill-server` (or `cargo test --workspace`), \
         or set WAYBILL_SERVER_BIN",
        bin.display()
    );
    bin
}

/// The reference server running as a child process. Killed (SIGKILL) on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Bound address.
    pub addr: SocketAddr,
    /// `http://addr`.
    pub base_url: String,
}

impl ServerProcess {
    /// Starts the server on `db` (seeded with demo offers) at `listen` and waits until it
    /// prints its address.
    pub fn start(db: &Path, listen: &str) -> ServerProcess {
        let mut child = Command::new(server_bin())
            .args([
                "--db",
                db.to_str().expect("utf-8 path"),
                "--listen",
                listen,
                "--seed-demo",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start waybill-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        let base_url = line.trim().to_string();
        operator_dbs()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(base_url.clone(), db.to_path_buf());
        let addr = base_url
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("server printed {line:?} instead of its base URL"));
        ServerProcess {
            child,
            addr,
            base_url,
        }
    }

    /// Starts on a free port.
    pub fn start_fresh(db: &Path) -> ServerProcess {
        Self::start(db, "127.0.0.1:0")
    }

    /// Kills the process at once, as a crash or a network cut would look to the client.
    pub fn kill(mut self) -> SocketAddr {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.addr
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database of each server process started here, by base URL: the operator's view
/// of an order's history (the API serves it only to the order's driver and shipper).
fn operator_dbs() -> &'static std::sync::Mutex<std::collections::HashMap<String, PathBuf>> {
    static DBS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, PathBuf>>> =
        std::sync::OnceLock::new();
    DBS.get_or_init(Default::default)
}

/// A test number no other client of this process uses (E.164, in the +1 555 range).
pub fn fresh_phone() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n =
        (u64::from(std::process::id()) * 1_000 + NEXT.fetch_add(1, Ordering::SeqCst)) % 100_000_000;
    format!("+1555{n:08}")
}

/// The newest code the development sender of any server started here wrote for `phone`
/// and `purpose` (`sign_in`, `step_up`): the tests' stand-in for reading the SMS.
pub fn latest_code(phone: &str, purpose: &str) -> Option<String> {
    let dbs: Vec<PathBuf> = operator_dbs()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect();
    dbs.iter()
        .filter_map(|db| waybill_server::sign_in::DevFileSender::latest(db, phone, purpose))
        .next_back()
}

/// Signs `installation` in over plain HTTP with `role`, by a code for a fresh number (an
/// adult's account, no device key); the server's reply (account id and token).
pub async fn sign_in_over_http(
    http: &reqwest::Client,
    base_url: &str,
    installation: &str,
    role: &str,
) -> serde_json::Value {
    let phone = fresh_phone();
    let asked = http
        .post(format!("{base_url}/v1/sign-in/codes"))
        .json(&serde_json::json!({"phone": phone, "installation_id": installation}))
        .send()
        .await
        .expect("ask a code");
    assert_eq!(asked.status().as_u16(), 202, "code for {installation}");
    let code = latest_code(&phone, "sign_in").expect("the code the server sent");
    http.post(format!("{base_url}/v1/devices"))
        .json(&serde_json::json!({
            "installation_id": installation, "role": role, "app_id": "test", "app_version": "0",
            "phone_code": {"phone": phone, "code": code}, "age": "adult"
        }))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("a session")
}

/// The number each account signed in by [`sign_in_as`] has, for step-up codes.
fn phones() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static PHONES: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::OnceLock::new();
    PHONES.get_or_init(Default::default)
}

/// Signs `client` in with a code for `phone`, declaring an adult's age first if no age
/// was declared. Returns the account id.
pub async fn sign_in_as(client: &waybill_core::Waybill, phone: &str) -> String {
    match client.request_sign_in_code(phone).await {
        Err(waybill_core::Error::AgeNotDeclared) => {
            client.declare_age(30).expect("declare age");
            client.request_sign_in_code(phone).await.expect("a code")
        }
        other => other.expect("a code"),
    };
    let code = latest_code(phone, "sign_in").expect("the code the server sent");
    let signed = client
        .sign_in_with_code(phone, &code)
        .await
        .expect("sign in with the code");
    phones()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(signed.account_id.clone(), phone.to_string());
    signed.account_id
}

/// Signs `client` in with a code for a fresh number; returns the account id.
pub async fn sign_in(client: &waybill_core::Waybill) -> String {
    sign_in_as(client, &fresh_phone()).await
}

/// The number of the account `client` signed in to by [`sign_in_as`].
pub fn account_phone(client: &waybill_core::Waybill) -> String {
    let account = client.account_id().expect("account").expect("signed in");
    phones()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&account)
        .cloned()
        .expect("signed in by sign_in_as")
}

/// A fresh step-up code for the account `client` is signed in to.
pub async fn step_up_code(client: &waybill_core::Waybill) -> String {
    let phone = account_phone(client);
    client.request_step_up_code().await.expect("step-up code");
    latest_code(&phone, "step_up").expect("the step-up code the server sent")
}

/// A fresh id for a probe's installation (each probe registers once, without a key).
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A plain HTTP client for asserting on the server's side of the contract.
pub struct ServerProbe {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl ServerProbe {
    /// A probe speaking as the account whose bearer token is `token` (e.g. a driver's).
    pub fn with_token(base_url: &str, token: &str) -> ServerProbe {
        ServerProbe {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client"),
            base_url: base_url.to_string(),
            token: token.to_string(),
        }
    }

    /// Signs an observer shipper in on the server (by a code for a fresh number).
    pub async fn connect(base_url: &str) -> ServerProbe {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        let installation = format!("probe-{}", uuid_like());
        let reply = sign_in_over_http(&http, base_url, &installation, "shipper").await;
        ServerProbe {
            http,
            base_url: base_url.to_string(),
            token: reply["token"].as_str().expect("token").to_string(),
        }
    }

    /// Places an errand (the probe is a shipper) near `near`, `index` making it distinct.
    /// Returns the order id.
    pub async fn create_errand(&self, near: waybill_core::LatLon, index: u32) -> String {
        self.create_errand_to(near, index, None).await
    }

    /// [`ServerProbe::create_errand`] with a drop-off point.
    pub async fn create_errand_to(
        &self,
        near: waybill_core::LatLon,
        index: u32,
        dropoff: Option<waybill_core::LatLon>,
    ) -> String {
        let offset = f64::from(index % 20) * 0.002;
        let order: waybill_protocol::Order = self
            .http
            .post(format!("{}/v1/errands", self.base_url))
            .bearer_auth(&self.token)
            .header(
                waybill_protocol::IDEMPOTENCY_KEY_HEADER,
                format!("errand-{}-{index}", std::process::id()),
            )
            .json(&waybill_protocol::NewErrand {
                pickup_label: format!("Shanghai depot {index}"),
                pickup: waybill_protocol::LatLon {
                    lat: near.lat + offset,
                    lon: near.lon - offset,
                },
                dropoff_label: "Suzhou".into(),
                dropoff: dropoff.map(|p| waybill_protocol::LatLon {
                    lat: p.lat,
                    lon: p.lon,
                }),
                goods: format!("{} cartons", 10 + index),
                weight_kg: 100.0 + f64::from(index),
                fee_minor: 50_000,
                currency: "CNY".into(),
                contact: waybill_protocol::OrderContact {
                    consignor_name: "王芳".into(),
                    consignor_phone: format!("1380000{:04}", index),
                    consignee_name: "李伟".into(),
                    consignee_phone: format!("1390000{:04}", index),
                    consignee_address: format!("Suzhou, No. {index} Renmin Road"),
                },
            })
            .send()
            .await
            .expect("create errand")
            .error_for_status()
            .expect("errand accepted")
            .json()
            .await
            .expect("errand body");
        order.id
    }

    /// The shipper cancels an errand it placed.
    pub async fn cancel(&self, order_id: &str) {
        self.http
            .post(format!("{}/v1/orders/{order_id}/cancel", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("cancel")
            .error_for_status()
            .expect("cancel accepted");
    }

    /// Notes of the server's events for an order, oldest first (events without a note
    /// are left out).
    pub async fn event_notes(&self, order_id: &str) -> Vec<String> {
        self.events(order_id)
            .await
            .into_iter()
            .filter_map(|e| e.note)
            .collect()
    }

    /// The order's history as the server's operator sees it: read from the database of a
    /// server process started here, else asked through the API as this probe's account.
    async fn events(&self, order_id: &str) -> Vec<waybill_protocol::OrderEvent> {
        let db = operator_dbs()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&self.base_url)
            .cloned();
        if let Some(db) = db {
            let conn = rusqlite::Connection::open_with_flags(
                db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .expect("open the server's database");
            conn.busy_timeout(Duration::from_secs(5))
                .expect("busy timeout");
            let mut stmt = conn
                .prepare("SELECT kind, actor, at, note FROM order_events WHERE order_id = ?1 ORDER BY id")
                .expect("events query");
            return stmt
                .query_map([order_id], |r| {
                    let at: String = r.get(2)?;
                    Ok(waybill_protocol::OrderEvent {
                        kind: r.get(0)?,
                        actor: r.get(1)?,
                        at: chrono::DateTime::parse_from_rfc3339(&at)
                            .map(|t| t.with_timezone(&chrono::Utc))
                            .unwrap_or_default(),
                        note: r.get(3)?,
                    })
                })
                .expect("events")
                .collect::<Result<_, _>>()
                .expect("event rows");
        }
        let reply: waybill_protocol::OrderEvents = self
            .http
            .get(format!("{}/v1/orders/{order_id}/events", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("events")
            .json()
            .await
            .expect("events body");
        reply.events
    }

    /// Kinds of the server's events for an order, oldest first.
    pub async fn event_kinds(&self, order_id: &str) -> Vec<String> {
        self.events(order_id)
            .await
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }
}

/// A shipper's errand in Shanghai (seed 003: sender, recipient, goods), `n` making its
/// pickup label distinct; valid by the errand rules.
pub fn sample_errand(n: u32) -> waybill_core::NewErrand {
    waybill_core::NewErrand {
        pickup_label: format!("Jing'an, shop {n}"),
        pickup: waybill_core::LatLon {
            lat: SHANGHAI.lat + 0.01,
            lon: SHANGHAI.lon,
        },
        dropoff_label: "Pudong, Lujiazui".into(),
        dropoff: Some(waybill_core::LatLon {
            lat: 31.2397,
            lon: 121.4998,
        }),
        goods: "documents".into(),
        weight_kg: 0.5,
        fee_minor: 2_500,
        currency: "CNY".into(),
        contact: waybill_core::protocol::OrderContact {
            consignor_name: "陈静".into(),
            consignor_phone: "13700001111".into(),
            consignee_name: "黄洋".into(),
            consignee_phone: "13600002222".into(),
            consignee_address: "Pudong, No. 88 Century Avenue, floor 12".into(),
        },
    }
}

/// Seven minutes of driving north that ended a minute ago (40 fixes, 10 s apart, 4 m
/// accuracy): more than the upload cadence, so a batch goes at the next sync.
pub fn recent_drive() -> Vec<waybill_core::Fix> {
    let start = chrono::Utc::now() - chrono::Duration::minutes(8);
    (0..40)
        .map(|i| waybill_core::Fix {
            at: start + chrono::Duration::seconds(i * 10),
            lat: 31.254_321 + f64::from(i as i32) * 1e-4,
            lon: 121.456_789,
            accuracy_m: Some(4.0),
            elapsed_ms: Some(1_000_000 + i * 10_000),
            mock: false,
        })
        .collect()
}

/// Opens a driver client whose user has accepted the policy in force.
pub fn consenting_driver(data_dir: &Path, server_url: &str) -> waybill_core::Waybill {
    let client = waybill_core::Waybill::open_with_key_file(driver_config(data_dir, server_url))
        .expect("open");
    client
        .accept_policy("first_run_dialog")
        .expect("accept policy");
    client
}

/// Opens a shipper client whose user has accepted the policy in force.
pub fn consenting_shipper(data_dir: &Path, server_url: &str) -> waybill_core::Waybill {
    let client = waybill_core::Waybill::open_with_key_file(shipper_config(data_dir, server_url))
        .expect("open");
    client
        .accept_policy("first_run_dialog")
        .expect("accept policy");
    client
}

/// A client configuration for a driver app on `data_dir` talking to `server_url`.
pub fn driver_config(data_dir: &Path, server_url: &str) -> waybill_core::Config {
    waybill_core::Config {
        data_dir: data_dir.to_path_buf(),
        server_url: server_url.to_string(),
        app_id: "com.example.waybill.driver".into(),
        app_version: "0.1.0-test".into(),
        role: waybill_core::Role::Driver,
        pinned_keys: vec![],
        control_key: control_key_of(server_url),
    }
}

/// The control key of the server started here at `server_url` (its notices verify with
/// it), as an app is built with its controller's.
pub fn control_key_of(server_url: &str) -> Option<String> {
    let db = operator_dbs()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(server_url)
        .cloned()?;
    Some(
        waybill_server::control::ControlKey::for_db(&db)
            .expect("control key")
            .public_base64(),
    )
}

/// A client configuration for a shipper app on `data_dir` talking to `server_url`.
pub fn shipper_config(data_dir: &Path, server_url: &str) -> waybill_core::Config {
    waybill_core::Config {
        app_id: "com.example.waybill.shipper".into(),
        role: waybill_core::Role::Shipper,
        ..driver_config(data_dir, server_url)
    }
}

/// Central Shanghai: the demo offers lie within 60 km of it.
pub const SHANGHAI: waybill_core::LatLon = waybill_core::LatLon {
    lat: 31.2304,
    lon: 121.4737,
};

/// Every byte SQLite keeps for a data directory: the database file and its WAL (the
/// `-shm` index holds no row data). A planted value absent from these is gone from disk.
pub fn raw_database_bytes(data_dir: &Path) -> Vec<u8> {
    let db = data_dir.join(waybill_core::db::DB_FILE_NAME);
    let mut bytes = std::fs::read(&db).expect("database file");
    if let Ok(wal) = std::fs::read(db.with_extension("sqlite3-wal")) {
        bytes.extend(wal);
    }
    bytes
}

/// The stored (sealed) bytes of one column, read with a plain read-only connection as a
/// forensic tool would: what a purge must also remove from the file and the WAL.
pub fn sealed_cells(data_dir: &Path, sql: &str) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join(waybill_core::db::DB_FILE_NAME),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open read-only");
    let mut stmt = conn.prepare(sql).expect("query");
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("blobs")
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A signed-in driver who accepted the nearest offer, loaded the goods and synced: the
/// server confirmed both and disclosed the parties' contact; the order is in transit.
/// Returns the client and the order id.
pub async fn carrying_driver(data_dir: &Path, server_url: &str) -> (waybill_core::Waybill, String) {
    let client = consenting_driver(data_dir, server_url);
    sign_in(&client).await;
    let offers = client
        .refresh_open_orders(SHANGHAI, 60_000)
        .await
        .expect("offers");
    let order_id = offers.first().expect("an offer near Shanghai").id.clone();
    client.accept_order(&order_id).expect("accept");
    client.pick_up(&order_id).expect("pick up");
    let report = client.sync().await.expect("sync");
    assert_eq!(report.pushed, 2);
    (client, order_id)
}

/// The trajectory the server holds for `order_id`, read as the driver of `data_dir`, and
/// its points as the codec's points.
pub async fn held_trajectory(
    server_url: &str,
    data_dir: &Path,
    order_id: &str,
) -> (
    waybill_protocol::Trajectory,
    Vec<waybill_protocol::trajectory::Point>,
) {
    let held: waybill_protocol::Trajectory = reqwest::Client::new()
        .get(format!("{server_url}/v1/orders/{order_id}/trajectory"))
        .bearer_auth(session_token(data_dir))
        .send()
        .await
        .expect("trajectory")
        .json()
        .await
        .expect("trajectory body");
    let points = held
        .points
        .iter()
        .map(|p| waybill_protocol::trajectory::Point {
            t_ms: p.t_ms,
            lat: p.lat,
            lon: p.lon,
        })
        .collect();
    (held, points)
}

/// A carrying driver ([`carrying_driver`]) who also consented to photo proofs, granted the
/// camera and synced the receipt: ready to take and upload proofs.
pub async fn photographing_driver(
    data_dir: &Path,
    server_url: &str,
) -> (waybill_core::Waybill, String) {
    let (client, order) = carrying_driver(data_dir, server_url).await;
    client
        .decide("proof_photos", true, "delivery_screen")
        .expect("photo consent");
    client
        .report_permission(
            waybill_core::Permission::Camera,
            waybill_core::PermissionState::Granted,
        )
        .expect("camera");
    client.sync().await.expect("sync");
    (client, order)
}

/// How many proofs the server linked to `order_id` (its `proof` events), read as the
/// driver of `data_dir`.
pub async fn proofs_linked(server_url: &str, data_dir: &Path, order_id: &str) -> usize {
    ServerProbe::with_token(server_url, &session_token(data_dir))
        .event_kinds(order_id)
        .await
        .iter()
        .filter(|k| *k == "proof")
        .count()
}

/// Asserts the server holds `client`'s trajectory of `order_id` whole: every point once
/// (times strictly increasing) and the last one the last fix the phone kept. Returns it.
pub async fn assert_whole_trajectory(
    server_url: &str,
    data_dir: &Path,
    client: &waybill_core::Waybill,
    order_id: &str,
) -> waybill_protocol::Trajectory {
    let (held, points) = held_trajectory(server_url, data_dir, order_id).await;
    assert!(
        points.windows(2).all(|w| w[0].t_ms < w[1].t_ms),
        "every trajectory point once"
    );
    let kept = client.fixes(order_id).expect("local fixes");
    assert_eq!(
        points.last().expect("points held").t_ms,
        kept.last().expect("fixes kept").at.timestamp_millis(),
        "the whole drive arrived"
    );
    held
}

/// SHA-256 (hex) of every upload file the server holds next to its database `db`.
pub fn server_upload_hashes(db: &Path) -> Vec<String> {
    use sha2::Digest;
    let dir = db.with_extension("sqlite3.uploads");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    format!(
                        "{:x}",
                        sha2::Sha256::digest(std::fs::read(e.path()).unwrap_or_default())
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The driver gives the trajectory's separate consent and the OS grants precise and
/// background location.
pub fn allow_trajectory(client: &waybill_core::Waybill) {
    client
        .decide("trajectory_upload", true, "order_start_dialog")
        .expect("trajectory consent");
    for p in [
        waybill_core::Permission::LocationPrecise,
        waybill_core::Permission::LocationBackground,
    ] {
        client
            .report_permission(p, waybill_core::PermissionState::Granted)
            .expect("permission");
    }
}

/// Every byte the server keeps: its database, its WAL and every upload file. A planted
/// value absent from these is gone from the server.
pub fn server_files(db: &Path) -> Vec<u8> {
    let mut all = vec![];
    for path in [db.to_path_buf(), db.with_extension("sqlite3-wal")] {
        all.extend(std::fs::read(path).unwrap_or_default());
    }
    if let Ok(dir) = std::fs::read_dir(db.with_extension("sqlite3.uploads")) {
        for f in dir.flatten() {
            all.extend(std::fs::read(f.path()).unwrap_or_default());
        }
    }
    all
}

/// The session token as stored in a client's database (tests only: the core never hands
/// it out), for asking the server what it holds for that account.
pub fn session_token(data_dir: &Path) -> String {
    let conn = rusqlite::Connection::open(data_dir.join(waybill_core::db::DB_FILE_NAME))
        .expect("client database");
    // The token is sealed: open it with the key the test clients keep beside their data.
    let key = waybill_core::secrets::data_key(&waybill_core::KeyFile::in_dir(data_dir))
        .expect("data key");
    waybill_core::db::register_seal(&conn, &key).expect("unseal");
    conn.query_row(
        "SELECT unseal(token, 'session.token', id) FROM session",
        [],
        |r| r.get(0),
    )
    .expect("a session")
}

/// The user allows notifications in the OS and push in the app (`push_notifications`).
pub fn allow_push(client: &waybill_core::Waybill) {
    client
        .report_permission(
            waybill_core::Permission::Notifications,
            waybill_core::PermissionState::Granted,
        )
        .expect("notifications granted");
    client
        .decide("push_notifications", true, "settings_switch")
        .expect("push allowed");
}
