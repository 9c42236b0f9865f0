//! The bad-input matrix: every public entry point that takes a value from the app, fed
//! hostile values (NaN and infinite coordinates, 1 MiB strings, control characters, SQL
//! metacharacters, dates in 1970 and 2100, empty, sparse 2 GB and missing files). Each
//! call gets a typed error — or, for fixes, a counted rejection, because one bad fix must
//! not fail its batch — and afterwards every table of the database is byte-for-byte what
//! it was: nothing stored before is lost or touched.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeZone, Utc};
use waybill_core::protocol::ActionKind;
use waybill_core::{
    Capture, Error, Fix, LatLon, NewErrand, ProofKind, ProofSource, RightKind, Waybill,
};
use waybill_e2e::{
    SHANGHAI, ServerProcess, allow_trajectory, photographing_driver, sample_errand, shipper_config,
};

const SQL: &str = "'); DROP TABLE orders; --";

fn huge() -> String {
    "x".repeat(1 << 20)
}

/// Every row of every table, as text: the state a hostile call must leave untouched.
fn snapshot(data: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(data.join(waybill_core::db::DB_FILE_NAME)).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let columns = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..columns)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            (t, rows)
        })
        .collect()
}

fn fix(lat: f64, lon: f64, at: chrono::DateTime<Utc>) -> Fix {
    Fix {
        at,
        lat,
        lon,
        accuracy_m: Some(5.0),
        elapsed_ms: None,
        mock: false,
    }
}

fn errand(edit: impl FnOnce(&mut NewErrand)) -> NewErrand {
    let mut e = sample_errand(0);
    edit(&mut e);
    e
}

type Case<'a> = (
    &'static str,
    Box<dyn Fn(&Waybill) -> Result<(), Error> + 'a>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_get_typed_errors_and_leave_the_store_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (driver, order) = photographing_driver(&data, &server.base_url).await;
    allow_trajectory(&driver);
    let now = Utc::now();
    driver
        .record_fixes(
            &order,
            &[fix(31.23, 121.47, now - chrono::Duration::seconds(5))],
        )
        .unwrap();
    driver.flush_fixes().unwrap();
    driver.sync().await.unwrap();

    let sparse = dir.path().join("sparse.jpg");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let captured = Capture {
        at: now,
        elapsed_ms: None,
    };
    let o = order.as_str();
    let proof = |source: ProofSource| {
        move |c: &Waybill| {
            c.take_proof(
                o,
                ProofKind::Delivery,
                ActionKind::Deliver,
                &source,
                captured,
            )
            .map(drop)
        }
    };
    let cases: Vec<Case> = vec![
        (
            "accept a 1 MiB id",
            Box::new(|c| c.accept_order(&huge()).map(drop)),
        ),
        (
            "accept an SQL id",
            Box::new(|c| c.accept_order(SQL).map(drop)),
        ),
        ("pick up an SQL id", Box::new(|c| c.pick_up(SQL).map(drop))),
        (
            "deliver an unknown id",
            Box::new(|c| c.deliver("ord-nope").map(drop)),
        ),
        (
            "exception with a 1 MiB note",
            Box::new(|c| c.report_exception(o, &huge()).map(drop)),
        ),
        (
            "exception with an empty note",
            Box::new(|c| c.report_exception(o, "  ").map(drop)),
        ),
        (
            "exception with control characters",
            Box::new(|c| c.report_exception(o, "a\0b\u{7}").map(drop)),
        ),
        (
            "appointment in 1970",
            Box::new(|c| {
                c.set_appointment(o, Utc.timestamp_opt(0, 0).unwrap())
                    .map(drop)
            }),
        ),
        (
            "appointment in 2100",
            Box::new(|c| {
                c.set_appointment(o, Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap())
                    .map(drop)
            }),
        ),
        (
            "decide a 1 MiB purpose",
            Box::new(|c| c.decide(&huge(), true, "x").map(drop)),
        ),
        (
            "decide an SQL purpose",
            Box::new(|c| c.decide(SQL, false, "x").map(drop)),
        ),
        (
            "decide with a 1 MiB asked_via",
            Box::new(|c| c.decide("proof_photos", false, &huge()).map(drop)),
        ),
        (
            "install a 1 MiB manifest",
            Box::new(|c| c.install_manifest(&huge()).map(drop)),
        ),
        (
            "install a truncated manifest",
            Box::new(|c| c.install_manifest("{\"version\":").map(drop)),
        ),
        (
            "declare an age of 4 billion",
            Box::new(|c| c.declare_age(u32::MAX).map(drop)),
        ),
        (
            "a rights request of 1 MiB",
            Box::new(|c| {
                c.request_right(RightKind::Correction, &huge(), None)
                    .map(drop)
            }),
        ),
        (
            "disclose to an SQL SDK",
            Box::new(|c| c.disclose_to_sdk(SQL, "location", 1)),
        ),
        (
            "proof of no bytes",
            Box::new(proof(ProofSource::Bytes(vec![]))),
        ),
        (
            "proof of 1 MiB of text",
            Box::new(proof(ProofSource::Bytes(huge().into_bytes()))),
        ),
        (
            "proof from an empty file",
            Box::new(proof(ProofSource::File(empty.clone()))),
        ),
        (
            "proof from a sparse 2 GB file",
            Box::new(proof(ProofSource::File(sparse.clone()))),
        ),
        (
            "proof from a missing file",
            Box::new(proof(ProofSource::File(dir.path().join("nope.jpg")))),
        ),
        (
            "proof for an SQL order",
            Box::new(|c| {
                c.take_proof(
                    SQL,
                    ProofKind::Delivery,
                    ActionKind::Deliver,
                    &ProofSource::Bytes(vec![0xff; 200]),
                    captured,
                )
                .map(drop)
            }),
        ),
        (
            "fixes for an SQL order",
            Box::new(|c| c.record_fixes(SQL, &[fix(31.2, 121.4, now)]).map(drop)),
        ),
        (
            "proof check of a 1 MiB order id",
            Box::new(|c| c.proof_check(&huge(), ActionKind::Deliver).map(drop)),
        ),
    ];
    let before = snapshot(&data);
    let mut refused = Vec::new();
    for (name, call) in &cases {
        match call(&driver) {
            Ok(()) => panic!("{name}: accepted"),
            Err(Error::Internal { reason }) => panic!("{name}: untyped internal error {reason}"),
            Err(e) => refused.push(format!("{name} → {e:?}")),
        }
    }
    // Coordinates and times no phone can produce: counted rejections, nothing stored.
    let hostile_fixes = [
        fix(f64::NAN, 121.4, now),
        fix(31.2, f64::INFINITY, now),
        fix(91.0, 121.4, now),
        fix(31.2, -181.0, now),
        fix(31.2, 121.4, Utc.timestamp_opt(0, 0).unwrap()),
        fix(
            31.2,
            121.4,
            Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(),
        ),
    ];
    assert_eq!(driver.record_fixes(&order, &hostile_fixes).unwrap(), 0);
    driver.flush_fixes().unwrap();
    let counts = driver.tracking_diagnostics(&order).unwrap().rejections;
    assert!(
        counts.invalid + counts.backwards + counts.from_future >= 6,
        "{counts:?}"
    );
    // Async entry points.
    for (near, radius) in [
        (
            LatLon {
                lat: f64::NAN,
                lon: 0.0,
            },
            1_000,
        ),
        (
            LatLon {
                lat: 95.0,
                lon: 0.0,
            },
            1_000,
        ),
        (SHANGHAI, 0),
        (SHANGHAI, u32::MAX),
    ] {
        assert!(matches!(
            driver.refresh_open_orders(near, radius).await,
            Err(Error::InvalidInput { .. })
        ));
    }
    assert_eq!(
        snapshot(&data),
        before,
        "hostile calls changed the store:\n{}",
        refused.join("\n")
    );
    let check: String = rusqlite::Connection::open(data.join(waybill_core::db::DB_FILE_NAME))
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");

    // SQL metacharacters are data, not code: stored verbatim, the tables intact.
    driver.report_exception(&order, SQL).unwrap();
    let history = driver.order_history(&order).unwrap();
    assert_eq!(history.last().unwrap().note.as_deref(), Some(SQL));
    assert!(driver.search_orders(SQL).unwrap().is_empty());
    assert!(
        driver.search_orders("%").unwrap().is_empty(),
        "a LIKE wildcard is a character, not 'everything'"
    );

    // The shipper's errand form.
    let shipper =
        Waybill::open_with_key_file(shipper_config(&dir.path().join("s"), &server.base_url))
            .unwrap();
    shipper.accept_policy("first_run_dialog").unwrap();
    waybill_e2e::sign_in(&shipper).await;
    let shipper_before = snapshot(&dir.path().join("s"));
    let bad_errands = [
        errand(|e| e.weight_kg = f64::NAN),
        errand(|e| e.weight_kg = f64::INFINITY),
        errand(|e| e.fee_minor = -1),
        errand(|e| e.pickup.lat = f64::NAN),
        errand(|e| e.pickup_label = huge()),
        errand(|e| e.goods = "\0".into()),
        errand(|e| e.contact.consignee_phone = SQL.into()),
        errand(|e| e.currency = "元".into()),
    ];
    for (i, e) in bad_errands.iter().enumerate() {
        assert!(
            matches!(
                shipper.place_errand(e, true),
                Err(Error::InvalidInput { .. })
            ),
            "errand {i}"
        );
    }
    assert_eq!(snapshot(&dir.path().join("s")), shipper_before);
    println!(
        "{} hostile calls refused with typed errors, {} hostile fixes rejected, {} bad \
         errands refused; the stores unchanged",
        refused.len(),
        hostile_fixes.len(),
        bad_errands.len()
    );
}
