//! `waybill demo`: a shipper's and a driver's day on one machine. The reference server
//! runs on loopback with a temporary database; the driver's phone talks to it through a
//! simulated mobile link ([`crate::link`]) that loses signal and tears an upload; the app
//! is SIGKILLed once (a real child process) and restarted. Every figure printed is
//! measured during the run; the report folder holds the map, the GPX, the export and the
//! figures as JSON.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use waybill_core::proof::{Capture, ProofKind, ProofSource};
use waybill_core::protocol::{ActionKind, OrderContact};
use waybill_core::{
    Config, Error, Fix, LatLon, NewErrand, Permission, PermissionState, Role, Waybill,
};

use crate::link::LossyProxy;
use crate::report::{MapLayers, Marker};

/// The trace driven when none is given: a car in Munich, 20 minutes at 1 Hz, with stops
/// (barefoot's map-matching sample, Apache-2.0; tests/data/traces/SOURCES.md).
const DEFAULT_TRACE: (&str, &str) = (
    "x0001-001.json",
    include_str!("../../tests/data/traces/x0001-001.json"),
);
/// A camera JPEG with GPS position, serial number and maker notes (piexif sample, MIT).
const PICKUP_PHOTO: &[u8] = include_bytes!("../../tests/data/images/canon-gps.jpg");
/// Size of the delivery photo, as a phone camera makes them.
const DELIVERY_PHOTO_BYTES: usize = 3 << 20;
/// Fixes handed to the core per call, as a location callback batches them.
const CHUNK: usize = 10;
/// How often the app syncs while online, in trace time.
const SYNC_EVERY_S: i64 = 150;

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the databases live (a temporary directory if `None`).
    pub data_dir: Option<PathBuf>,
    /// Where the report goes.
    pub report_dir: PathBuf,
    /// Trace to drive (the embedded Munich drive if `None`).
    pub trace: Option<PathBuf>,
    /// Hours local time is ahead of UTC in a CSV trace without zone.
    pub utc_offset_hours: i32,
    /// Time compression of the drive (trace seconds per real second); 0: no waiting.
    pub speed: f64,
}

/// A failed demo step, with the step's name.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {reason}")]
pub struct DemoError {
    step: String,
    reason: String,
}

fn fail(step: &str, e: impl std::fmt::Display) -> DemoError {
    DemoError {
        step: step.to_string(),
        reason: e.to_string(),
    }
}

/// Loads the trace to drive and re-dates it so it ends now (a drive that just happened,
/// replayed fast): returns its name, the fixes and the shift applied.
pub fn load_trace(
    path: Option<&Path>,
    utc_offset_hours: i32,
) -> Result<(String, Vec<Fix>, chrono::Duration), DemoError> {
    let (name, mut fixes) = match path {
        Some(p) => (
            p.display().to_string(),
            crate::trace_file::read_path(p, utc_offset_hours).map_err(|e| fail("trace", e))?,
        ),
        None => (
            DEFAULT_TRACE.0.to_string(),
            crate::trace_file::parse(DEFAULT_TRACE.0, DEFAULT_TRACE.1, 0)
                .map_err(|e| fail("trace", e))?,
        ),
    };
    let last = fixes
        .iter()
        .map(|f| f.at)
        .max()
        .ok_or_else(|| fail("trace", "no fixes with a time"))?;
    let shift = Utc::now().signed_duration_since(last) - chrono::Duration::seconds(1);
    let shift = chrono::Duration::seconds(shift.num_seconds());
    for f in &mut fixes {
        f.at += shift;
    }
    Ok((name, fixes, shift))
}

/// The driver app's configuration on `dir`, talking to `url`.
pub fn driver_config(dir: &Path, url: &str) -> Config {
    config(dir, url, Role::Driver)
}

fn config(dir: &Path, url: &str, role: Role) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        server_url: url.to_string(),
        app_id: match role {
            Role::Driver => "com.example.waybill.driver".into(),
            Role::Shipper => "com.example.waybill.shipper".into(),
        },
        app_version: env!("CARGO_PKG_VERSION").into(),
        role,
        pinned_keys: vec![],
        control_key: None,
    }
}

/// The demo's people's numbers (reserved test ranges of China Mobile's 1380013xxxx block).
const DRIVER_PHONE: &str = "+86 138 0013 8000";
const SHIPPER_PHONE: &str = "+86 138 0013 8001";

/// Signs `client` in as a person would: the age question, a code to the number, the code
/// typed back (read here from the development sender's file next to the server database,
/// the reference server's stand-in for SMS).
async fn sign_in_by_code(
    client: &Waybill,
    phone: &str,
    server_db: &Path,
) -> Result<waybill_core::SignedIn, DemoError> {
    client.declare_age(34).map_err(|e| fail("age", e))?;
    client
        .request_sign_in_code(phone)
        .await
        .map_err(|e| fail("ask a code", e))?;
    let normalized = waybill_core::protocol::account::normalize_phone(phone).unwrap_or_default();
    let code = waybill_server::sign_in::DevFileSender::latest(server_db, &normalized, "sign_in")
        .ok_or_else(|| fail("read the code", "no code was sent"))?;
    client
        .sign_in_with_code(phone, &code)
        .await
        .map_err(|e| fail("sign in with the code", e))
}

fn step(n: u32, title: &str) {
    println!("\n[{n}] {title}");
}

fn say(line: &str) {
    println!("    {line}");
}

fn latlon(f: &Fix) -> LatLon {
    LatLon {
        lat: f.lat,
        lon: f.lon,
    }
}

/// What the run measured; written as `summary.json`.
#[derive(Debug, Default, serde::Serialize)]
pub struct Figures {
    trace: String,
    order_id: String,
    /// The parcel scanned at pickup against the order.
    parcel_scan: String,
    /// Each push the shipper's phone got, and what its targeted pull brought.
    pushes: Vec<String>,
    /// Points of the courier's route the shipper saw.
    followed_points: u64,
    /// What the shipper's courier view says after the delivery.
    shipper_view_after_delivery: String,
    /// One courier pull's round trip right after the driver's upload, ms (a fix on the
    /// server is in the shipper's next pull: the stream's interval bounds the wait).
    courier_pull_ms: f64,
    /// What the recipient's phone (signed out) saw of the waybill by its number.
    waybill_query: String,
    /// Notices the shipper's app showed.
    notices_shown: u32,
    fixes_from_phone: u64,
    fixes_kept: u64,
    /// The filter's counts by reason for the leg after the restart (a leg's counters live
    /// with the app process).
    fixes_rejected_since_restart: String,
    fixes_acknowledged_before_kill: u64,
    fixes_found_after_restart: u64,
    fixes_lost_after_kill: u64,
    server_points: u64,
    trajectory_uploads: u64,
    trajectory_body_bytes: u64,
    driver_wire_bytes_up: u64,
    driver_wire_bytes_down: u64,
    sync_attempts_offline: u64,
    driver_actions_taken: u64,
    driver_actions_on_server: u64,
    server_acceptances: u64,
    arrival_detected: bool,
    pickup_photo_bytes_in: u64,
    pickup_photo_bytes_kept: u64,
    delivery_photo_bytes: u64,
    delivery_upload_bytes_up: u64,
    proofs_linked_on_server: u64,
    refused: Vec<String>,
    fixes_purged_on_withdrawal: u64,
    seconds: f64,
}

/// Runs the demo; returns the figures (also written to the report folder).
pub async fn run(options: DemoOptions) -> Result<Figures, DemoError> {
    let started = Instant::now();
    let temp = tempfile::tempdir().map_err(|e| fail("temp dir", e))?;
    let root = options
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&options.report_dir).map_err(|e| fail("report dir", e))?;
    std::fs::create_dir_all(&root).map_err(|e| fail("data dir", e))?;
    let (trace_name, trace, shift) =
        load_trace(options.trace.as_deref(), options.utc_offset_hours)?;
    if trace.len() < 4 * CHUNK {
        return Err(fail(
            "trace",
            format!("{} fixes: too short to drive", trace.len()),
        ));
    }
    let mut fig = Figures {
        trace: trace_name.clone(),
        ..Figures::default()
    };
    let pickup = latlon(&trace[0]);
    let dropoff = latlon(trace.last().expect("checked above"));

    step(
        1,
        "Reference server on loopback; the driver's phone reaches it through a simulated mobile link",
    );
    let server_db = root.join("server.sqlite3");
    let server = waybill_server::start(&server_db, "127.0.0.1:0".parse().expect("literal"), false)
        .await
        .map_err(|e| fail("server", e))?;
    let link = LossyProxy::start(server.addr).await;
    say(&format!(
        "server {} (database {}), link {}",
        server.base_url(),
        server_db.display(),
        link.base_url()
    ));

    step(
        2,
        "Shipper Chen Jing (seed 003) places an errand: sender, recipient, item",
    );
    // The shipper's app is built with the controller's control key: it believes the
    // notices the controller signs (the driver's app below, built without, believes none).
    let control = waybill_server::control::ControlKey::for_db(&server_db)
        .map_err(|e| fail("control key", e))?;
    let shipper = Waybill::open_with_key_file(Config {
        control_key: Some(control.public_base64()),
        ..config(&root.join("shipper"), &server.base_url(), Role::Shipper)
    })
    .map_err(|e| fail("shipper", e))?;
    shipper
        .accept_policy("first_run_dialog")
        .map_err(|e| fail("shipper consent", e))?;
    sign_in_by_code(&shipper, SHIPPER_PHONE, &server_db).await?;
    let errand = NewErrand {
        pickup_label: "Sender: Chen Jing's shop".into(),
        pickup,
        dropoff_label: "Recipient: Huang Yang's office".into(),
        dropoff: Some(dropoff),
        goods: "2 cartons of documents".into(),
        weight_kg: 12.0,
        fee_minor: 4_500,
        currency: "CNY".into(),
        contact: OrderContact {
            consignor_name: "陈静".into(),
            consignor_phone: "13700001111".into(),
            consignee_name: "黄洋".into(),
            consignee_phone: "13600002222".into(),
            consignee_address: "No. 88 Century Avenue, floor 12".into(),
        },
    };
    // Status by push: allowed in the app and the OS, the APNs token registered at sync.
    shipper
        .report_permission(Permission::Notifications, PermissionState::Granted)
        .map_err(|e| fail("notifications", e))?;
    shipper
        .decide("push_notifications", true, "errand_screen")
        .map_err(|e| fail("push consent", e))?;
    shipper
        .set_push_token("demo-shipper-apns-token", waybill_core::PushPlatform::Apns)
        .map_err(|e| fail("push token", e))?;
    let placed = shipper
        .place_errand(&errand, true)
        .map_err(|e| fail("place errand", e))?;
    shipper.sync().await.map_err(|e| fail("shipper sync", e))?;
    let order = placed.id.clone();
    fig.order_id = order.clone();
    say(&format!(
        "errand {order}: {} → {} ({} fixes of trace {trace_name} to drive)",
        errand.pickup_label,
        errand.dropoff_label,
        trace.len()
    ));

    step(
        3,
        "Driver Wang (seed 002): nothing leaves the phone before he accepts the policy",
    );
    let driver_dir = root.join("driver");
    let driver_config = config(&driver_dir, &link.base_url(), Role::Driver);
    let wang = Waybill::open_with_key_file(driver_config.clone()).map_err(|e| fail("driver", e))?;
    match wang.request_sign_in_code(DRIVER_PHONE).await {
        Err(e @ Error::ConsentRequired { .. }) => {
            say(&format!("sign in before consent → refused: {e}"));
            fig.refused.push(format!("sign-in before the policy: {e}"));
        }
        other => {
            return Err(fail(
                "pre-consent",
                format!("expected ConsentRequired, got {other:?}"),
            ));
        }
    }
    wang.accept_policy("first_run_dialog")
        .map_err(|e| fail("driver consent", e))?;
    let signed = sign_in_by_code(&wang, DRIVER_PHONE, &server_db).await?;
    say(&format!(
        "signed in with the code sent to {} (age asked first)",
        signed.phone_masked
    ));
    let offers = wang
        .refresh_open_orders(pickup, 5_000)
        .await
        .map_err(|e| fail("offers", e))?;
    say(&format!(
        "{} offer(s) within 5 km; he accepts {order}",
        offers.len()
    ));
    wang.accept_order(&order).map_err(|e| fail("accept", e))?;
    // At the counter he scans the parcel's label (a QR URL ending in the waybill number).
    let scanned = format!("https://t.example.com/wb/{order}");
    let check = wang
        .check_parcel(&order, &scanned)
        .map_err(|e| fail("scan", e))?;
    say(&format!("scanned the parcel's label at pickup: {check:?}"));
    fig.parcel_scan = format!("{check:?}");
    wang.decide("proof_photos", true, "pickup_screen")
        .map_err(|e| fail("photo consent", e))?;
    wang.report_permission(Permission::Camera, PermissionState::Granted)
        .map_err(|e| fail("camera", e))?;
    let proof = wang
        .take_proof(
            &order,
            ProofKind::Pickup,
            ActionKind::PickUp,
            &ProofSource::Bytes(PICKUP_PHOTO.to_vec()),
            capture(),
        )
        .map_err(|e| fail("pickup photo", e))?;
    fig.pickup_photo_bytes_in = PICKUP_PHOTO.len() as u64;
    fig.pickup_photo_bytes_kept = proof.bytes;
    say(&format!(
        "pickup photo: {} B from the camera, {} B kept (EXIF with GPS position, serial number and thumbnail stripped; pixels untouched)",
        PICKUP_PHOTO.len(),
        proof.bytes
    ));
    wang.pick_up(&order).map_err(|e| fail("pick up", e))?;
    match wang.record_fixes(&order, &trace[..1]) {
        Err(e) => {
            say(&format!(
                "a fix before the trajectory consent → refused: {e}"
            ));
            fig.refused
                .push(format!("a fix before the trajectory consent: {e}"));
        }
        Ok(_) => {
            return Err(fail(
                "gate",
                "a fix was taken without the trajectory consent",
            ));
        }
    }
    wang.decide("trajectory_upload", true, "order_start_dialog")
        .map_err(|e| fail("trajectory consent", e))?;
    for p in [Permission::LocationPrecise, Permission::LocationBackground] {
        wang.report_permission(p, PermissionState::Granted)
            .map_err(|e| fail("location", e))?;
    }
    let report = wang.sync().await.map_err(|e| fail("sync", e))?;
    // The trace is a recording replayed fast, its fixes dated before this run began; on
    // the road the pickup came just before its first fix, so the server's pickup time is
    // set there (the courier view shows only positions after the pickup).
    rusqlite::Connection::open(&server_db)
        .and_then(|c| {
            c.busy_timeout(std::time::Duration::from_secs(5))?;
            c.execute(
                "UPDATE order_events SET at = ?2 WHERE order_id = ?1 AND kind = 'picked_up'",
                rusqlite::params![
                    order,
                    (trace[0].at - chrono::Duration::seconds(1)).to_rfc3339()
                ],
            )
        })
        .map_err(|e| fail("pickup time", e))?;
    // Each status change (accepted, picked up) reached the shipper's phone as one push
    // naming a topic only; each push became one targeted pull there.
    let pushes = waybill_server::push::DevPushSender::sent(&server_db);
    for (_, data) in &pushes {
        let refreshed = shipper
            .handle_push(&data.to_string())
            .await
            .map_err(|e| fail("push", e))?;
        fig.pushes
            .push(format!("{data} → pulled {}", refreshed.pulled));
    }
    say(&format!(
        "{} push(es) to the shipper ({}); her app now shows {:?}",
        pushes.len(),
        fig.pushes.join("; "),
        shipper
            .order(&order)
            .map_err(|e| fail("shipper order", e))?
            .status
    ));
    say(&format!(
        "synced: {} action(s), {} receipt(s), {} proof(s) uploaded; the core asks the shell for {:?}",
        report.pushed,
        report.receipts_sent,
        report.proofs_uploaded,
        wang.tracking_plan().map_err(|e| fail("plan", e))?
    ));

    let offline_from = trace.len() * 35 / 100;
    let kill_at = trace.len() / 2;
    let online_again = trace.len() * 65 / 100;
    step(
        4,
        &format!(
            "He drives ({} fixes at {}× speed); signal lost at fix {offline_from}, the app is killed at {kill_at}, signal back at {online_again}",
            trace.len(),
            options.speed
        ),
    );
    let bar = ProgressBar::new(trace.len() as u64).with_style(
        ProgressStyle::with_template("    {bar:40} {pos}/{len} fixes  {msg}")
            .map_err(|e| fail("progress", e))?,
    );
    let mut drive = Drive {
        options: &options,
        bar: &bar,
        order: &order,
        trace: &trace,
        link: &link,
        fig: &mut fig,
        last_sync: trace[0].at,
        offline: false,
        offline_fixes: Vec::new(),
    };
    drive.stretch(&wang, 1, offline_from).await?;
    drive.signal(false);
    drive.stretch(&wang, offline_from, kill_at).await?;
    drop(wang);
    let resume =
        drive.killed_and_restarted(&driver_config, kill_at, shift, options.trace.as_deref())?;
    let wang =
        Waybill::open_with_key_file(driver_config.clone()).map_err(|e| fail("restart", e))?;
    drive.stretch(&wang, resume, online_again).await?;
    drive.signal(true);
    drive.stretch(&wang, online_again, trace.len()).await?;
    let offline_fixes = std::mem::take(&mut drive.offline_fixes);
    drop(drive);
    bar.finish_and_clear();
    // Meanwhile the shipper follows the courier (in transit only, from the server).
    wang.sync()
        .await
        .map_err(|e| fail("sync before following", e))?;
    let pulled_at = std::time::Instant::now();
    let followed = shipper
        .follow_courier(&order)
        .await
        .map_err(|e| fail("follow", e))?;
    fig.courier_pull_ms = pulled_at.elapsed().as_secs_f64() * 1000.0;
    fig.followed_points = followed.route.len() as u64;
    let shipper_saw: Vec<(f64, f64)> = followed.route.iter().map(|p| (p.lat, p.lon)).collect();
    say(&format!(
        "the shipper follows the courier: {} point(s) since pickup, {:.1} km covered, {} left",
        followed.route.len(),
        followed.covered_m / 1000.0,
        followed
            .left_m
            .map_or("?".into(), |m| format!("{:.1} km", m / 1000.0))
    ));
    // The recipient got the waybill number from the shipper (a link): their phone, signed
    // out and consenting to nothing, sees its status and milestones, and no one's data.
    let number = shipper
        .order(&order)
        .map_err(|e| fail("shipper's order", e))?
        .waybill_no
        .unwrap_or_default();
    let recipient = Waybill::open_with_key_file(config(
        &root.join("recipient"),
        &server.base_url(),
        Role::Shipper,
    ))
    .map_err(|e| fail("recipient", e))?;
    let public = recipient
        .query_waybill(&format!("https://waybill.example/w/{number}"))
        .await
        .map_err(|e| fail("waybill query", e))?
        .ok_or_else(|| fail("waybill query", "no such waybill"))?;
    fig.waybill_query = format!(
        "{number}: {} ({})",
        public.status.as_str(),
        public
            .milestones
            .iter()
            .map(|m| serde_json::to_value(m.kind).map_or_else(|_| "?".into(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    say(&format!(
        "the recipient queries waybill {} signed out: {}",
        number, fig.waybill_query
    ));
    say(&format!(
        "kill: {} fixes acknowledged by the killed app, {} found after the restart, {} lost",
        fig.fixes_acknowledged_before_kill,
        fig.fixes_found_after_restart,
        fig.fixes_lost_after_kill
    ));

    step(
        5,
        "At the drop-off: arrival detected at the geofence, then Wang's phone dies; his new phone signs in with a code and finishes the job (a 3 MiB delivery photo, its upload torn mid-way)",
    );
    // The driver parks and pockets the phone: the app goes to the background and flushes.
    wang.flush_fixes().map_err(|e| fail("flush", e))?;
    let history = wang.order_history(&order).map_err(|e| fail("history", e))?;
    fig.arrival_detected = history.iter().any(|h| {
        h.by_me && h.event == "arrive" && h.note.as_deref().is_some_and(|n| n.contains("geofence"))
    });
    say(&format!(
        "arrival detected by the core: {}",
        fig.arrival_detected
    ));
    wang.sync().await.map_err(|e| fail("arrival sync", e))?;
    let diagnostics = wang
        .tracking_diagnostics(&order)
        .map_err(|e| fail("diagnostics", e))?;
    fig.fixes_rejected_since_restart = format!("{:?}", diagnostics.rejections);
    drop(wang); // the battery is gone
    let new_phone_config = config(
        &root.join("driver-new-phone"),
        &link.base_url(),
        Role::Driver,
    );
    let new_phone =
        Waybill::open_with_key_file(new_phone_config).map_err(|e| fail("new phone", e))?;
    new_phone
        .accept_policy("first_run_dialog")
        .map_err(|e| fail("new phone consent", e))?;
    let again = sign_in_by_code(&new_phone, DRIVER_PHONE, &server_db).await?;
    new_phone
        .sync()
        .await
        .map_err(|e| fail("new phone sync", e))?;
    let carried = new_phone
        .order(&order)
        .map_err(|e| fail("the order on the new phone", e))?;
    say(&format!(
        "new phone, same account ({}): order {order} is there, {:?}",
        again.phone_masked, carried.status
    ));
    new_phone
        .decide("proof_photos", true, "delivery_screen")
        .map_err(|e| fail("photo consent", e))?;
    new_phone
        .report_permission(Permission::Camera, PermissionState::Granted)
        .map_err(|e| fail("camera", e))?;
    let photo = crate::images::noise_png(DELIVERY_PHOTO_BYTES, 7);
    let proof = new_phone
        .take_proof(
            &order,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::Bytes(photo),
            capture(),
        )
        .map_err(|e| fail("delivery photo", e))?;
    fig.delivery_photo_bytes = proof.bytes;
    let before = link.bytes().0;
    link.cut_upstream_after(proof.bytes / 2);
    match new_phone.sync().await {
        Ok(r) => say(&format!(
            "torn sync: {} of {} B confirmed",
            r.proof_bytes_sent, proof.bytes
        )),
        Err(e) => say(&format!(
            "torn sync → {} (typed error); the queue keeps the offset the server confirmed",
            e.to_string().split(':').next().unwrap_or_default()
        )),
    }
    let report = new_phone
        .sync()
        .await
        .map_err(|e| fail("resume upload", e))?;
    count_uploads(&mut fig, &report);
    fig.delivery_upload_bytes_up = link.bytes().0 - before;
    say(&format!(
        "resumed: photo of {} B done with {} B sent up in all (HTTP included)",
        proof.bytes, fig.delivery_upload_bytes_up
    ));
    new_phone.deliver(&order).map_err(|e| fail("deliver", e))?;
    let report = new_phone
        .sync()
        .await
        .map_err(|e| fail("sign-off sync", e))?;
    count_uploads(&mut fig, &report);
    // The shipper's view ends with the delivery: the state, no position.
    let after = shipper
        .follow_courier(&order)
        .await
        .map_err(|e| fail("follow after delivery", e))?;
    fig.shipper_view_after_delivery = format!(
        "{:?}, {} new point(s), latest {}",
        after.state,
        after.route.len().saturating_sub(shipper_saw.len()),
        if after.latest.is_some() {
            "shown"
        } else {
            "none"
        }
    );
    say(&format!(
        "after the delivery the shipper's map says: {}",
        fig.shipper_view_after_delivery
    ));

    step(
        6,
        "Evening, the old phone charged: it hears of the delivery; privacy: export, then the driver withdraws the trajectory consent",
    );
    let wang =
        Waybill::open_with_key_file(driver_config.clone()).map_err(|e| fail("old phone", e))?;
    wang.sync().await.map_err(|e| fail("old phone sync", e))?;
    say(&format!(
        "the old phone shows order {order} as {:?}",
        wang.order(&order).map_err(|e| fail("order", e))?.status
    ));
    let export = wang.export_personal_data().map_err(|e| fail("export", e))?;
    let gpx = export_gpx(&export)?;
    write(&options.report_dir.join("day.gpx"), gpx.as_bytes())?;
    let held = wang.fixes(&order).map_err(|e| fail("fixes", e))?.len() as u64;
    wang.decide("trajectory_upload", false, "privacy_settings")
        .map_err(|e| fail("withdraw", e))?;
    fig.fixes_purged_on_withdrawal =
        held - wang.fixes(&order).map_err(|e| fail("fixes", e))?.len() as u64;
    say(&format!(
        "{} fixes purged from the phone at once (database and WAL)",
        fig.fixes_purged_on_withdrawal
    ));
    if let Err(e) = wang.record_fixes(&order, &trace[trace.len() - 1..]) {
        fig.refused.push(format!("a fix after the withdrawal: {e}"));
    }
    wang.sync().await.map_err(|e| fail("receipt sync", e))?;
    let export = wang.export_personal_data().map_err(|e| fail("export", e))?;
    write(&options.report_dir.join("export.json"), export.as_bytes())?;

    // The operator announces maintenance, signed with the control key: the shipper's
    // app shows it whatever her settings.
    let notice = waybill_core::Notice {
        id: "demo-maintenance".into(),
        kind: waybill_core::NoticeKind::Maintenance,
        title: "Planned maintenance tonight".into(),
        body:
            "Sync pauses from 02:00 to 03:00; actions you take meanwhile are kept and sent after."
                .into(),
        published_at: chrono::Utc::now(),
        stop_at: None,
        seq: 0, // the server gives it its place in the sequence
    };
    {
        let mut conn = rusqlite::Connection::open(&server_db).map_err(|e| fail("operator", e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| fail("operator", e))?;
        waybill_server::notices::publish(&mut conn, &control, &notice)
            .map_err(|e| fail("notice", e))?;
    }
    shipper
        .sync()
        .await
        .map_err(|e| fail("shipper notices", e))?;
    let shown = shipper.notices().map_err(|e| fail("notices", e))?;
    fig.notices_shown = shown.len() as u32;
    say(&format!(
        "a notice reached the shipper's app: {}",
        shown.first().map_or("none", |n| n.title.as_str())
    ));

    step(7, "What the server holds, and the figures");
    let account = wang
        .account_id()
        .map_err(|e| fail("account", e))?
        .unwrap_or_default();
    if again.account_id != account {
        return Err(fail(
            "new phone",
            "the new phone must be in the same account",
        ));
    }
    let conn = waybill_server::store::open(&server_db).map_err(|e| fail("server db", e))?;
    let events =
        waybill_server::store::events(&conn, &order).map_err(|e| fail("server events", e))?;
    fig.server_acceptances = events.iter().filter(|e| e.kind == "accepted").count() as u64;
    fig.driver_actions_on_server = events
        .iter()
        .filter(|e| ["accepted", "picked_up", "arrived", "delivered"].contains(&e.kind.as_str()))
        .count() as u64;
    // Both phones' own actions: the old one took the load, the new one signed it off.
    for phone in [&wang, &new_phone] {
        fig.driver_actions_taken += phone
            .order_history(&order)
            .map_err(|e| fail("history", e))?
            .iter()
            .filter(|h| h.by_me)
            .count() as u64;
    }
    fig.proofs_linked_on_server = events.iter().filter(|e| e.kind == "proof").count() as u64;
    let held = waybill_server::trajectory::get(&conn, &account, &order)
        .map_err(|e| fail("server trajectory", e))?;
    fig.server_points = held.points.len() as u64;
    let (up, down) = link.bytes();
    fig.driver_wire_bytes_up = up;
    fig.driver_wire_bytes_down = down;
    step(
        8,
        "The new phone lists the account's devices and signs the old one out; the old phone's next sync asks for a code",
    );
    let devices = new_phone
        .account_devices()
        .await
        .map_err(|e| fail("devices", e))?;
    let old = devices
        .devices
        .iter()
        .find(|d| !d.current)
        .ok_or_else(|| fail("devices", "the old phone must be listed"))?;
    new_phone
        .sign_out_device(&old.id)
        .await
        .map_err(|e| fail("sign out the old phone", e))?;
    match wang.sync().await {
        Err(e @ Error::SignInRequired) => {
            say(&format!(
                "{} device(s) were signed in; the old one is signed out: its sync → {e}",
                devices.devices.len()
            ));
        }
        other => {
            return Err(fail(
                "old phone",
                format!("a signed-out phone must need a code, got {other:?}"),
            ));
        }
    }
    fig.seconds = started.elapsed().as_secs_f64();
    server.stop().await.map_err(|e| fail("stop server", e))?;

    let map = MapLayers {
        raw: trace.iter().map(|f| (f.lat, f.lon)).collect(),
        offline: offline_fixes,
        kept: held.points.iter().map(|p| (p.lat, p.lon)).collect(),
        shipper_saw,
        markers: markers(&trace, &held.events, kill_at),
        title: format!(
            "Waybill demo: {trace_name}, {} fixes → {} points held",
            trace.len(),
            held.points.len()
        ),
    };
    write(
        &options.report_dir.join("map.svg"),
        crate::report::svg(&map).as_bytes(),
    )?;
    let summary = serde_json::to_string_pretty(&fig).map_err(|e| fail("summary", e))?;
    write(&options.report_dir.join("summary.json"), summary.as_bytes())?;
    print_summary(&fig);
    say(&format!("report: {}", options.report_dir.display()));
    if fig.server_acceptances != 1
        || fig.driver_actions_on_server != fig.driver_actions_taken
        || fig.fixes_lost_after_kill != 0
        || fig.proofs_linked_on_server != 2
    {
        return Err(fail(
            "invariants",
            format!(
                "acceptances {}, actions {} of {}, fixes lost {}, proofs linked {}",
                fig.server_acceptances,
                fig.driver_actions_on_server,
                fig.driver_actions_taken,
                fig.fixes_lost_after_kill,
                fig.proofs_linked_on_server
            ),
        ));
    }
    Ok(fig)
}

fn capture() -> Capture {
    Capture {
        at: Utc::now(),
        elapsed_ms: None,
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    std::fs::write(path, bytes).map_err(|e| fail(&path.display().to_string(), e))
}

fn count_uploads(fig: &mut Figures, report: &waybill_core::SyncReport) {
    fig.trajectory_uploads += u64::from(report.trajectory_batches);
    fig.trajectory_body_bytes += report.trajectory_bytes;
}

/// The GPX of the first trajectory in an export document.
fn export_gpx(export: &str) -> Result<String, DemoError> {
    let doc: serde_json::Value = serde_json::from_str(export).map_err(|e| fail("export", e))?;
    doc["trajectories"][0]["gpx"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| fail("export", "no trajectory in the export"))
}

fn markers(
    trace: &[Fix],
    events: &[waybill_core::protocol::TrajectoryEvent],
    kill_at: usize,
) -> Vec<Marker> {
    use waybill_core::protocol::TrajectoryEventKind;
    let first = &trace[0];
    let last = trace.last().expect("a trace");
    let killed = &trace[kill_at];
    let mut out = vec![
        Marker {
            lat: first.lat,
            lon: first.lon,
            label: "pickup".into(),
            color: "#2e9e44",
        },
        Marker {
            lat: last.lat,
            lon: last.lon,
            label: "drop-off".into(),
            color: "#c62828",
        },
        Marker {
            lat: killed.lat,
            lon: killed.lon,
            label: "app killed".into(),
            color: "#6a1b9a",
        },
    ];
    for e in events {
        if let (Some(lat), Some(lon)) = (e.lat, e.lon) {
            let label = match e.kind {
                TrajectoryEventKind::Stop => format!("stop {} s", (e.to_ms - e.from_ms) / 1000),
                TrajectoryEventKind::Arrival => "arrival detected".into(),
                _ => continue,
            };
            out.push(Marker {
                lat,
                lon,
                label,
                color: "#455a64",
            });
        }
    }
    out
}

fn print_summary(fig: &Figures) {
    let mut table = comfy_table::Table::new();
    table.set_header(vec!["measure", "value"]);
    let rows: Vec<(&str, String)> = vec![
        (
            "fixes from the phone / kept by the filter",
            format!("{} / {}", fig.fixes_from_phone, fig.fixes_kept),
        ),
        ("points the server holds", fig.server_points.to_string()),
        ("parcel scanned at pickup", fig.parcel_scan.clone()),
        (
            "pushes to the shipper (one per status change)",
            fig.pushes.len().to_string(),
        ),
        (
            "route points the shipper saw in transit",
            fig.followed_points.to_string(),
        ),
        (
            "one courier pull right after the upload, ms",
            format!("{:.1}", fig.courier_pull_ms),
        ),
        (
            "the shipper's map after the delivery",
            fig.shipper_view_after_delivery.clone(),
        ),
        (
            "waybill queried by the recipient (signed out)",
            fig.waybill_query.clone(),
        ),
        (
            "notices shown to the shipper",
            fig.notices_shown.to_string(),
        ),
        (
            "trajectory uploads (vs one request per fix)",
            format!("{} (vs {})", fig.trajectory_uploads, fig.fixes_from_phone),
        ),
        (
            "trajectory bytes (bodies) / per fix",
            format!(
                "{} / {:.2}",
                fig.trajectory_body_bytes,
                fig.trajectory_body_bytes as f64 / fig.fixes_from_phone.max(1) as f64
            ),
        ),
        (
            "driver's wire bytes up / down, all requests",
            format!(
                "{} / {}",
                fig.driver_wire_bytes_up, fig.driver_wire_bytes_down
            ),
        ),
        (
            "sync attempts without signal",
            fig.sync_attempts_offline.to_string(),
        ),
        (
            "driver actions taken offline-first / applied on the server",
            format!(
                "{} / {}",
                fig.driver_actions_taken, fig.driver_actions_on_server
            ),
        ),
        (
            "fixes acknowledged before the kill / found after / lost",
            format!(
                "{} / {} / {}",
                fig.fixes_acknowledged_before_kill,
                fig.fixes_found_after_restart,
                fig.fixes_lost_after_kill
            ),
        ),
        (
            "delivery photo / bytes sent up for it (torn once)",
            format!(
                "{} / {}",
                fig.delivery_photo_bytes, fig.delivery_upload_bytes_up
            ),
        ),
        (
            "pickup photo from camera / kept after stripping",
            format!(
                "{} / {}",
                fig.pickup_photo_bytes_in, fig.pickup_photo_bytes_kept
            ),
        ),
        (
            "proofs linked on the server",
            fig.proofs_linked_on_server.to_string(),
        ),
        (
            "arrival detected at the geofence",
            fig.arrival_detected.to_string(),
        ),
        ("refused by the privacy gate", fig.refused.len().to_string()),
        (
            "fixes purged on withdrawal",
            fig.fixes_purged_on_withdrawal.to_string(),
        ),
        ("seconds", format!("{:.1}", fig.seconds)),
    ];
    for (k, v) in rows {
        table.add_row(vec![k.to_string(), v]);
    }
    println!("{table}");
}

/// The drive: feeds the trace in chunks, syncs on the app's cadence while online.
struct Drive<'a> {
    options: &'a DemoOptions,
    bar: &'a ProgressBar,
    order: &'a str,
    trace: &'a [Fix],
    link: &'a LossyProxy,
    fig: &'a mut Figures,
    last_sync: DateTime<Utc>,
    offline: bool,
    offline_fixes: Vec<Vec<(f64, f64)>>,
}

impl Drive<'_> {
    async fn stretch(&mut self, wang: &Waybill, from: usize, to: usize) -> Result<(), DemoError> {
        let mut i = from;
        if self.offline {
            self.offline_fixes.push(Vec::new());
        }
        while i < to {
            let end = (i + CHUNK).min(to);
            let chunk = &self.trace[i..end];
            let kept = wang
                .record_fixes(self.order, chunk)
                .map_err(|e| fail("record fixes", e))?;
            self.fig.fixes_from_phone += chunk.len() as u64;
            self.fig.fixes_kept += u64::from(kept);
            if self.offline
                && let Some(stretch) = self.offline_fixes.last_mut()
            {
                stretch.extend(chunk.iter().map(|f| (f.lat, f.lon)));
            }
            self.bar.set_position(end as u64);
            let now = chunk[chunk.len() - 1].at;
            if (now - self.last_sync).num_seconds() >= SYNC_EVERY_S {
                self.last_sync = now;
                self.sync(wang).await?;
            }
            if self.options.speed > 0.0 {
                let span = (now - chunk[0].at).num_milliseconds().max(1000) as f64 / 1000.0;
                tokio::time::sleep(Duration::from_secs_f64(span / self.options.speed)).await;
            }
            i = end;
        }
        Ok(())
    }

    /// The phone loses (`false`) or regains (`true`) its signal.
    fn signal(&mut self, on: bool) {
        self.offline = !on;
        self.link.set_offline(!on);
        self.bar
            .set_message(if on { "signal back" } else { "no signal" });
    }

    async fn sync(&mut self, wang: &Waybill) -> Result<(), DemoError> {
        match wang.sync().await {
            Ok(report) => {
                count_uploads(self.fig, &report);
                Ok(())
            }
            Err(Error::Offline { .. }) => {
                self.fig.sync_attempts_offline += 1;
                Ok(())
            }
            Err(e) => Err(fail("sync", e)),
        }
    }

    /// Runs the app as a child process from `from`, SIGKILLs it after it acknowledged a
    /// few chunks, and records in the figures what it acknowledged and what is on disk.
    /// Returns where the restarted app resumes.
    fn killed_and_restarted(
        &mut self,
        config: &Config,
        from: usize,
        shift: chrono::Duration,
        trace: Option<&Path>,
    ) -> Result<usize, DemoError> {
        let stored_before = stored_fixes(config, self.order)?;
        let exe = std::env::current_exe().map_err(|e| fail("kill", e))?;
        let mut cmd = Command::new(exe);
        cmd.args(["drive-child", "--data-dir"])
            .arg(&config.data_dir)
            .args(["--server", &config.server_url, "--order", self.order])
            .args([
                "--from",
                &from.to_string(),
                "--shift-s",
                &shift.num_seconds().to_string(),
            ])
            .args([
                "--utc-offset-hours",
                &self.options.utc_offset_hours.to_string(),
            ]);
        if let Some(t) = trace {
            cmd.arg("--trace").arg(t);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| fail("spawn app", e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| fail("kill", "no stdout"))?;
        let (mut acked_at, mut acked_kept) = (from, 0u64);
        for (n, line) in BufReader::new(stdout).lines().enumerate() {
            let line = line.map_err(|e| fail("kill", e))?;
            let mut parts = line.split_whitespace().skip(1);
            acked_at = parts
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(acked_at);
            acked_kept = parts
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(acked_kept);
            if n >= 4 {
                break;
            }
        }
        child.kill().map_err(|e| fail("SIGKILL", e))?;
        let _ = child.wait();
        let found = stored_fixes(config, self.order)? - stored_before;
        self.fig.fixes_acknowledged_before_kill = acked_kept;
        self.fig.fixes_found_after_restart = found;
        self.fig.fixes_lost_after_kill = acked_kept.saturating_sub(found);
        self.fig.fixes_from_phone += (acked_at - from) as u64;
        self.fig.fixes_kept += found;
        // The phone takes a quarter of a minute to bring the app back.
        Ok((acked_at + 15).min(self.trace.len()))
    }
}

fn stored_fixes(config: &Config, order: &str) -> Result<u64, DemoError> {
    let conn = rusqlite::Connection::open(config.data_dir.join(waybill_core::db::DB_FILE_NAME))
        .map_err(|e| fail("driver db", e))?;
    conn.query_row(
        "SELECT COUNT(*) FROM track_fixes WHERE order_id = ?1",
        [order],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
    .map_err(|e| fail("driver db", e))
}

/// The app process the demo kills: records the trace from `from` in chunks, flushing each
/// (group commit), and prints `ack <next index> <fixes kept so far>` once it is durable.
pub fn drive_child(
    config: Config,
    order: &str,
    trace: Option<&Path>,
    utc_offset_hours: i32,
    from: usize,
    shift_s: i64,
) -> Result<(), DemoError> {
    let (_, mut fixes, own_shift) = load_trace(trace, utc_offset_hours)?;
    let fix_up = chrono::Duration::seconds(shift_s) - own_shift;
    for f in &mut fixes {
        f.at += fix_up;
    }
    let app = Waybill::open_with_key_file(config).map_err(|e| fail("child open", e))?;
    let mut kept = 0u64;
    let mut out = std::io::stdout().lock();
    for (n, chunk) in fixes[from..].chunks(CHUNK).enumerate() {
        kept += u64::from(
            app.record_fixes(order, chunk)
                .map_err(|e| fail("child record", e))?,
        );
        app.flush_fixes().map_err(|e| fail("child flush", e))?;
        writeln!(out, "ack {} {kept}", from + (n + 1) * CHUNK).map_err(|e| fail("child", e))?;
        out.flush().map_err(|e| fail("child", e))?;
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
