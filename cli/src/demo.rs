//! The demo: every layer of the walking skeleton, narrated.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use waybill_core::{Config, Error, LatLon, Order, OrderList, Role, Waybill};
use waybill_server::RunningServer;

/// Central Shanghai, where the demo offers are.
const DRIVER_POSITION: LatLon = LatLon {
    lat: 31.2304,
    lon: 121.4737,
};
const RADIUS_M: u32 = 60_000;

/// A failed demo step, with the step's name.
#[derive(Debug)]
pub struct DemoError(String);

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail(step: &str, e: impl std::fmt::Display) -> DemoError {
    DemoError(format!("{step}: {e}"))
}

/// Runs the demo in `data_dir` (or a temporary directory).
pub async fn run(data_dir: Option<PathBuf>) -> Result<(), DemoError> {
    let started = Instant::now();
    let temp = tempfile::tempdir().map_err(|e| fail("temp dir", e))?;
    let root = data_dir.unwrap_or_else(|| temp.path().to_path_buf());
    let server_db = root.join("server.sqlite3");
    let driver_dir = root.join("driver-wang");
    let rival_dir = root.join("driver-li");

    step(
        1,
        "Start the reference server on loopback (SQLite, seeded demo offers)",
    );
    let server = start_server(&server_db, "127.0.0.1:0".parse().expect("literal addr")).await?;
    let url = server.base_url();
    let addr = server.addr;
    say(&format!(
        "listening on {url}, database {}",
        server_db.display()
    ));

    step(
        2,
        "Driver Wang opens the app: nothing leaves the device before he accepts the policy",
    );
    let config = driver_config(&driver_dir, &url);
    let wang = Waybill::open(config.clone()).map_err(|e| fail("open", e))?;
    match wang.sign_in().await {
        Err(e @ Error::ConsentRequired { .. }) => say(&format!("sign in before consent → {e}")),
        other => {
            return Err(fail(
                "pre-consent",
                format!("expected ConsentRequired, got {other:?}"),
            ));
        }
    }
    let receipts = wang
        .accept_policy("first_run_dialog")
        .map_err(|e| fail("accept policy", e))?;
    for r in &receipts {
        say(&format!(
            "receipt #{} {:?} {} (policy {}, hash {}…)",
            r.seq,
            r.kind,
            r.purpose.as_deref().unwrap_or("policy"),
            r.policy_version,
            &r.hash[..12]
        ));
    }
    let settings = wang.privacy_settings().map_err(|e| fail("settings", e))?;
    for p in settings.purposes.iter().filter(|p| !p.core) {
        say(&format!(
            "optional, off until he decides: {} → {:?}",
            p.label, p.state
        ));
    }
    let account = wang.sign_in().await.map_err(|e| fail("sign in", e))?;
    say(&format!(
        "signed in: account {account}; token stored in {}",
        driver_dir.display()
    ));

    step(
        3,
        "Download open cargo offers within 60 km (position sent rounded to ~1 km)",
    );
    let offers = wang
        .refresh_open_orders(DRIVER_POSITION, RADIUS_M)
        .await
        .map_err(|e| fail("refresh", e))?;
    print_orders(&offers);
    let target = offers
        .first()
        .ok_or_else(|| fail("refresh", "no offers nearby"))?
        .id
        .clone();
    let rival =
        Waybill::open(driver_config(&rival_dir, &url)).map_err(|e| fail("open rival", e))?;
    rival
        .accept_policy("first_run_dialog")
        .map_err(|e| fail("rival consent", e))?;
    rival
        .sign_in()
        .await
        .map_err(|e| fail("rival sign in", e))?;
    rival
        .refresh_open_orders(DRIVER_POSITION, RADIUS_M)
        .await
        .map_err(|e| fail("rival refresh", e))?;

    step(
        4,
        "The truck enters a tunnel: the server becomes unreachable, and the app restarts",
    );
    server.stop().await.map_err(|e| fail("stop server", e))?;
    drop(wang);
    let wang = Waybill::open(config.clone()).map_err(|e| fail("reopen", e))?;
    let cached = wang.orders(OrderList::Open).map_err(|e| fail("cache", e))?;
    say(&format!(
        "{} offers shown from the local cache",
        cached.len()
    ));
    match wang.refresh_open_orders(DRIVER_POSITION, RADIUS_M).await {
        Err(Error::Offline { .. }) => say("refresh → Offline (typed error), the cache stays"),
        other => {
            return Err(fail(
                "refresh offline",
                format!("expected Offline, got {other:?}"),
            ));
        }
    }

    step(5, &format!("Wang accepts {target} offline"));
    let accepted = wang.accept_order(&target).map_err(|e| fail("accept", e))?;
    say(&format!(
        "status {:?}, sync {:?}; outbox holds {} action(s), durable on disk",
        accepted.status,
        accepted.sync_state,
        wang.pending_actions().map_err(|e| fail("pending", e))?
    ));
    match wang.sync().await {
        Err(Error::Offline { .. }) => say("sync → Offline; nothing lost, the action stays queued"),
        other => {
            return Err(fail(
                "sync offline",
                format!("expected Offline, got {other:?}"),
            ));
        }
    }
    drop(wang);
    let wang = Waybill::open(config).map_err(|e| fail("reopen", e))?;
    say(&format!(
        "after another restart: {} action(s) still queued",
        wang.pending_actions().map_err(|e| fail("pending", e))?
    ));

    step(
        6,
        "Signal is back: the server restarts on the same address, Wang syncs",
    );
    let server = start_server(&server_db, addr).await?;
    let report = wang.sync().await.map_err(|e| fail("sync", e))?;
    let order = wang.order(&target).map_err(|e| fail("order", e))?;
    say(&format!(
        "pushed {}, rejected {}; {target} is {:?}/{:?}, assigned to Wang: {}",
        report.pushed,
        report.rejected.len(),
        order.status,
        order.sync_state,
        order.assigned_to_me
    ));
    let again = wang.sync().await.map_err(|e| fail("sync again", e))?;
    say(&format!(
        "a second sync pushes {} (idempotent)",
        again.pushed
    ));
    let accepted_events = count_acceptances(&server_db, &target)?;
    say(&format!(
        "server history of {target}: {accepted_events} acceptance(s)"
    ));

    step(7, "Driver Li, from a stale cache, accepts the same order");
    rival
        .accept_order(&target)
        .map_err(|e| fail("rival accept", e))?;
    let report = rival.sync().await.map_err(|e| fail("rival sync", e))?;
    for r in &report.rejected {
        say(&format!(
            "server refused: {:?} → Li's optimistic acceptance rolled back and shown to Li",
            r.reason
        ));
    }
    match rival.accept_order(&target) {
        Err(e @ Error::OrderNotAvailable { .. }) => say(&format!("accepting again → {e}")),
        other => {
            return Err(fail(
                "rival retry",
                format!("expected OrderNotAvailable, got {other:?}"),
            ));
        }
    }

    server.stop().await.map_err(|e| fail("stop server", e))?;
    step(8, "Summary");
    say(&format!(
        "offers downloaded {}, accepted offline 1, applied on the server {accepted_events} time(s), \
         conflicts surfaced {}; {:.1} s in all",
        offers.len(),
        report.rejected.len(),
        started.elapsed().as_secs_f64()
    ));
    if accepted_events != 1 {
        return Err(fail(
            "summary",
            "the acceptance was not applied exactly once",
        ));
    }
    Ok(())
}

async fn start_server(db: &Path, addr: SocketAddr) -> Result<RunningServer, DemoError> {
    waybill_server::start(db, addr, true)
        .await
        .map_err(|e| fail("start server", e))
}

fn count_acceptances(server_db: &Path, order_id: &str) -> Result<usize, DemoError> {
    let conn = waybill_server::store::open(server_db).map_err(|e| fail("server db", e))?;
    let events =
        waybill_server::store::events(&conn, order_id).map_err(|e| fail("server events", e))?;
    Ok(events.iter().filter(|e| e.kind == "accepted").count())
}

fn driver_config(dir: &Path, url: &str) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        server_url: url.to_string(),
        app_id: "com.example.waybill.driver".into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        role: Role::Driver,
    }
}

fn step(n: u32, title: &str) {
    println!("\n[{n}] {title}");
}

fn say(line: &str) {
    println!("    {line}");
}

fn print_orders(orders: &[Order]) {
    for o in orders {
        println!(
            "    {:<12} {:<44} → {:<24} {:>8.0} kg  ¥{:>8.2}",
            o.id,
            o.pickup_label,
            o.dropoff_label,
            o.weight_kg,
            o.fee_minor as f64 / 100.0
        );
    }
}
