//! The `waybill` binary as a user runs it: the demo at full speed, its report checked
//! against the server's database; `inspect` masking; `replay` figures; typed failures.

use std::path::Path;
use std::process::{Command, Output};

fn waybill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waybill"))
        .args(args)
        .output()
        .expect("the waybill binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn count(conn: &rusqlite::Connection, sql: &str, order: &str) -> u64 {
    conn.query_row(sql, [order], |r| r.get::<_, i64>(0))
        .unwrap() as u64
}

/// The `points` of the polyline with `id` in an SVG document, checked to lie on the page.
fn polyline(doc: &roxmltree::Document<'_>, id: &str) -> usize {
    let node = doc
        .descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no {id} track in the map"));
    let (w, h): (f64, f64) = (
        doc.root_element()
            .attribute("width")
            .unwrap()
            .parse()
            .unwrap(),
        doc.root_element()
            .attribute("height")
            .unwrap()
            .parse()
            .unwrap(),
    );
    let points: Vec<(f64, f64)> = node
        .attribute("points")
        .unwrap()
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    assert!(
        points
            .iter()
            .all(|(x, y)| (0.0..=w).contains(x) && (0.0..=h).contains(y)),
        "{id} lies on the page"
    );
    points.len()
}

/// Runs the demo at full speed with its databases in `dir/data` and its report in
/// `dir/report`; returns what it printed.
fn demo(dir: &Path) -> String {
    let out = waybill(&[
        "demo",
        "--speed",
        "0",
        "--data-dir",
        dir.join("data").to_str().unwrap(),
        "--report-dir",
        dir.join("report").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[test]
fn the_demo_report_agrees_with_the_server_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let report = dir.path().join("report");
    let printed = demo(dir.path());
    for step in ["[1]", "[4]", "[7]", "points the server holds"] {
        assert!(printed.contains(step), "{step} in {printed}");
    }

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    let order = summary["order_id"].as_str().unwrap();
    let n = |k: &str| {
        summary[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {summary}"))
    };
    let server = rusqlite::Connection::open(data.join("server.sqlite3")).unwrap();
    assert_eq!(
        n("server_points"),
        count(
            &server,
            "SELECT COUNT(*) FROM trajectory_points WHERE order_id = ?1",
            order
        )
    );
    assert!(n("server_points") > 20 && n("server_points") < n("fixes_kept"));
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM order_events WHERE order_id = ?1 AND kind = 'accepted'",
            order
        ),
        1
    );
    assert_eq!(n("server_acceptances"), 1);
    assert_eq!(
        n("driver_actions_on_server"),
        count(
            &server,
            "SELECT COUNT(*) FROM order_events WHERE order_id = ?1 \
             AND kind IN ('accepted', 'picked_up', 'arrived', 'delivered')",
            order
        )
    );
    assert_eq!(n("driver_actions_taken"), n("driver_actions_on_server"));
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM order_events WHERE order_id = ?1 AND kind = 'arrived' \
             AND note LIKE '%geofence%'",
            order
        ),
        1,
        "the arrival was detected, not tapped"
    );
    assert!(summary["arrival_detected"].as_bool().unwrap());
    assert_eq!(
        n("proofs_linked_on_server"),
        count(
            &server,
            "SELECT COUNT(*) FROM order_events WHERE order_id = ?1 AND kind = 'proof'",
            order
        )
    );
    let uploads: Vec<u64> = std::fs::read_dir(data.join("server.sqlite3.uploads"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert!(uploads.contains(&n("delivery_photo_bytes")), "{uploads:?}");
    assert!(
        uploads.contains(&n("pickup_photo_bytes_kept")),
        "{uploads:?}"
    );
    assert!(n("pickup_photo_bytes_kept") < n("pickup_photo_bytes_in"));
    assert!(
        n("delivery_upload_bytes_up") > n("delivery_photo_bytes"),
        "the torn upload re-sent something"
    );
    assert!(
        n("delivery_upload_bytes_up") < n("delivery_photo_bytes") + (4 << 20),
        "…at most one chunk"
    );
    assert_eq!(n("fixes_lost_after_kill"), 0);
    assert!(n("fixes_found_after_restart") >= n("fixes_acknowledged_before_kill"));
    assert!(n("fixes_acknowledged_before_kill") > 0);
    assert!(n("sync_attempts_offline") > 0);
    assert!(n("trajectory_uploads") >= 2 && n("trajectory_uploads") < 20);
    assert_eq!(summary["refused"].as_array().unwrap().len(), 3);

    // The phone holds no fix after the withdrawal; the export says so and masks third parties.
    let driver = rusqlite::Connection::open(data.join("driver/waybill.sqlite3")).unwrap();
    assert_eq!(
        count(
            &driver,
            "SELECT COUNT(*) FROM track_fixes WHERE order_id = ?1",
            order
        ),
        0
    );
    assert_eq!(n("fixes_purged_on_withdrawal"), n("fixes_kept"));
    let export = std::fs::read_to_string(report.join("export.json")).unwrap();
    let export_doc: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert!(export_doc["trajectories"].as_array().unwrap().is_empty());
    assert!(
        !export.contains("13600002222"),
        "the recipient's phone is masked"
    );

    // The GPX (exported before the withdrawal) holds every fix the phone kept.
    let gpx = gpx::read(std::fs::File::open(report.join("day.gpx")).unwrap()).unwrap();
    let gpx_points: usize = gpx
        .tracks
        .iter()
        .flat_map(|t| &t.segments)
        .map(|s| s.points.len())
        .sum();
    assert_eq!(gpx_points as u64, n("fixes_kept"));

    // The map: valid SVG; the raw track, the stretch without signal and the points held.
    let svg = std::fs::read_to_string(report.join("map.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(polyline(&doc, "raw"), 1194);
    assert_eq!(polyline(&doc, "kept") as u64, n("server_points"));
    assert!(polyline(&doc, "offline-0") > 0 && polyline(&doc, "offline-1") > 0);
    assert!(svg.contains(">pickup<") && svg.contains(">drop-off<"));
}

#[test]
fn inspect_masks_personal_fields_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    // The phone that finished the delivery (the first one was signed out: no session).
    let driver = dir.path().join("data/driver-new-phone");
    let masked = waybill(&["inspect", driver.to_str().unwrap()]);
    assert!(masked.status.success(), "{}", text(&masked));
    let shown = text(&masked);
    for section in ["Orders (1)", "Proof queue (1)", "Consent ledger", "Outbox"] {
        assert!(shown.contains(section), "{section} in {shown}");
    }
    assert!(shown.contains("136****2222"), "{shown}");
    assert!(!shown.contains("13600002222"));
    let conn = rusqlite::Connection::open(driver.join("waybill.sqlite3")).unwrap();
    let key = waybill_core::secrets::data_key(&waybill_core::KeyFile::in_dir(&driver)).unwrap();
    waybill_core::db::register_seal(&conn, &key).unwrap();
    let token: String = conn
        .query_row(
            "SELECT unseal(token, 'session.token', id) FROM session",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let unmasked = text(&waybill(&[
        "inspect",
        driver.to_str().unwrap(),
        "--unmasked",
    ]));
    assert!(unmasked.contains("13600002222"));
    assert!(!unmasked.contains(&token), "the token is never shown");
}

#[test]
fn replay_prints_the_pipeline_figures_of_a_trace() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/traces/around-visnjan-with-car.gpx");
    let out = waybill(&["replay", trace.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(f["fixes"], 104);
    assert!(f["points"].as_u64().unwrap() < f["kept"].as_u64().unwrap());
    assert!(f["max_deviation_m"].as_f64().unwrap() <= f["epsilon_m"].as_f64().unwrap());
    let table = text(&waybill(&["replay", trace.to_str().unwrap()]));
    assert!(table.contains("points after simplification"), "{table}");
}

#[test]
fn bad_input_is_a_clear_error_and_a_failing_exit() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "lat,lon,time\n48.1,11.5,yesterday\n").unwrap();
    for (args, expected) in [
        (
            vec!["replay", broken.to_str().unwrap()],
            "CSV line 2: unreadable time",
        ),
        (vec!["replay", "/no/such/trace.gpx"], "/no/such/trace.gpx"),
        (vec!["replay", "trace.kml"], "unknown trace format"),
        (
            vec!["inspect", dir.path().to_str().unwrap()],
            "no such database file",
        ),
    ] {
        let out = waybill(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out).contains(expected),
            "{args:?}: {} lacks {expected}",
            text(&out)
        );
    }
}

#[test]
fn the_whole_demo_day_logs_no_personal_value_in_any_form() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("day.log");
    let out = Command::new(env!("CARGO_BIN_EXE_waybill"))
        .args(["demo", "--speed", "0", "--report-dir"])
        .arg(dir.path().join("report"))
        .env("WAYBILL_CAPTURE_LOGS", &capture)
        .output()
        .expect("the demo runs");
    assert!(out.status.success(), "{}", text(&out));
    let logged = std::fs::read_to_string(&capture).unwrap();
    // Every record an app's sink gets, both roles, both phones, the killed child too.
    assert!(logged.lines().count() >= 30, "{logged}");
    for role in ["role=shipper", "role=driver"] {
        assert!(logged.contains(role), "{role} logged");
    }
    // The demo's personal values, each in the forms people and code write them.
    let planted = [
        "+86 138 0013 8000",
        "+8613800138000",
        "13800138000",
        "13800138001",
        "13700001111",
        "13600002222",
        "137 0000 1111",
        "陈静",
        "黄洋",
        "Chen Jing",
        "Huang Yang",
        "Century Avenue",
    ];
    for value in planted {
        assert!(
            !logged.contains(value),
            "{value} reached the log:\n{logged}"
        );
    }
    // No session token either (they start `tok_`; only a masked prefix may appear).
    assert!(
        !logged
            .lines()
            .any(|l| l.contains("tok_") && !l.contains('…')),
        "{logged}"
    );
}
