//! Opening a client that holds a working week: 100,000 trajectory fixes over 20 orders in
//! transit, 2,000 queued actions, and 10 orders closed past their periods. Prints the open
//! time (migrations check, manifest, the retention sweep at every start) and the sweep
//! alone. The sweep runs on indexes, so it costs what it deletes, not what is held. Run with
//! `make bench`.

use std::time::Instant;

use chrono::{Duration, Utc};
use waybill_core::db::Database;
use waybill_core::orders::{self, outbox};
use waybill_core::privacy::{self, holdings::Registry};
use waybill_core::{Fix, LatLon, OrderStatus, Permission, PermissionState, Role, Waybill};
use waybill_protocol::{ActionKind, Order};

const ORDERS: usize = 20;
const FIXES_PER_ORDER: usize = 5_000;
const QUEUED: usize = 2_000;
const CLOSED: usize = 10;
const RUNS: usize = 7;
const ME: &str = "acct_bench";

fn order(id: &str, status: OrderStatus, at: chrono::DateTime<Utc>) -> Order {
    Order {
        id: id.into(),
        status,
        pickup_label: "Shanghai Baoshan depot".into(),
        pickup: LatLon {
            lat: 31.4,
            lon: 121.49,
        },
        dropoff_label: "Nantong, 8 Harbour Road".into(),
        goods: "steel coils".into(),
        weight_kg: 900.0,
        fee_minor: 120_000,
        currency: "CNY".into(),
        assigned_to: Some(ME.into()),
        shipper_id: None,
        stops: vec![],
        appointment_at: None,
        waybill_no: None,
        revision: 1,
        updated_at: at,
    }
}

fn plant(dir: &std::path::Path) {
    let key = waybill_core::secrets::data_key(&waybill_core::KeyFile::in_dir(dir)).unwrap();
    let db = Database::open(dir, &key).unwrap();
    let now = Utc::now();
    let start = now - Duration::days(200);
    let registry = Registry::empty();
    db.write(|tx| {
        let m = privacy::install_builtin(tx, Role::Driver, start)?;
        privacy::accept_policy(tx, &m, "first_run_dialog", start)?;
        privacy::decide(tx, &registry, &m, "trajectory_upload", true, "bench", start)?;
        for p in [Permission::LocationPrecise, Permission::LocationBackground] {
            privacy::report_permission(tx, &registry, &m, p, PermissionState::Granted, start)?;
        }
        let trajectory = privacy::check(tx, &m, "trajectory_upload")?;
        for i in 0..ORDERS + CLOSED {
            let id = format!("ord-bench-{i}");
            let open = i < ORDERS;
            let at = if open {
                now - Duration::hours(2)
            } else {
                start
            };
            orders::upsert_from_server(tx, &order(&id, OrderStatus::PickedUp, at), ME)?;
            let fixes: Vec<Fix> = (0..if open { FIXES_PER_ORDER } else { 100 })
                .map(|k| Fix {
                    at: at + Duration::seconds(k as i64),
                    lat: 31.4 + k as f64 * 1e-5,
                    lon: 121.49 + k as f64 * 1e-5,
                    accuracy_m: Some(5.0),
                    elapsed_ms: None,
                    mock: false,
                })
                .collect();
            waybill_core::track::record(tx, &trajectory, &id, &fixes, at)?;
            if !open {
                let mut closed = order(&id, OrderStatus::Delivered, start + Duration::hours(1));
                closed.revision = 2;
                orders::upsert_from_server(tx, &closed, ME)?;
            }
        }
        for n in 0..QUEUED {
            let id = format!("ord-bench-{}", n % ORDERS);
            let note = format!("delay #{n}: traffic on the G15");
            outbox::enqueue(tx, &id, ActionKind::ReportException, None, Some(&note))?;
        }
        Ok::<_, waybill_core::Error>(())
    })
    .unwrap();
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let config = waybill_core::Config {
        data_dir: dir.path().to_path_buf(),
        server_url: "http://127.0.0.1:9".into(),
        app_id: "com.example.waybill.driver".into(),
        app_version: "0.1.0-bench".into(),
        role: Role::Driver,
        pinned_keys: vec![],
        control_key: None,
    };
    let bytes = std::fs::metadata(dir.path().join(waybill_core::db::DB_FILE_NAME))
        .map(|m| m.len())
        .unwrap_or(0);
    let (mut open_ms, mut sweep_ms) = (vec![], vec![]);
    let mut first = 0;
    for run in 0..RUNS {
        let started = Instant::now();
        let client = Waybill::open_with_key_file(config.clone()).unwrap();
        open_ms.push(started.elapsed().as_secs_f64() * 1e3);
        if run == 0 {
            first = client.fixes("ord-bench-0").unwrap().len();
        }
        let started = Instant::now();
        client.sweep_retention().unwrap();
        sweep_ms.push(started.elapsed().as_secs_f64() * 1e3);
        drop(client);
    }
    let client = Waybill::open_with_key_file(config).unwrap();
    let queued = client.pending_actions().unwrap();
    let closed_left = (ORDERS..ORDERS + CLOSED)
        .filter(|i| client.order(&format!("ord-bench-{i}")).is_ok())
        .count();
    assert_eq!(
        closed_left, 0,
        "the closed orders' periods ended: swept at the first open"
    );
    assert_eq!(first, FIXES_PER_ORDER, "open orders keep their trajectory");
    println!(
        "open with the retention sweep: {} fixes and {queued} queued actions held ({:.1} MB database); \
         median of {RUNS} opens {:.1} ms (first, which swept {CLOSED} closed orders: {:.1} ms); \
         the sweep alone {:.2} ms",
        ORDERS * FIXES_PER_ORDER,
        bytes as f64 / 1e6,
        median(&mut open_ms.clone()),
        open_ms[0],
        median(&mut sweep_ms),
    );
}
