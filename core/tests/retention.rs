//! Retention (seed 000: logistics details are kept for a period after the order ends and
//! then deleted; the driver manifest keeps order records 90 days after the order closes):
//! after the sweep the data is gone from the rows, the database file and the WAL.

mod common;

use chrono::{DateTime, Duration, Utc};
use waybill_core::db::{DB_FILE_NAME, Database, StorageError};
use waybill_core::orders::{self, parties};
use waybill_core::privacy::{self, manifest};
use waybill_core::{DataAction, Error, OrderStatus, Role, Waybill};
use waybill_protocol::{Order, OrderContact};

const PLANTED_PHONE: &str = "13912340987";
use common::ME;

fn order(status: OrderStatus, revision: i64, at: DateTime<Utc>) -> Order {
    common::held_order("ord-ret-1", status, revision, at)
}

/// The data key the client itself uses in `dir` (`Waybill::open_with_key_file`).
fn key(dir: &std::path::Path) -> waybill_core::db::DataKey {
    waybill_core::secrets::data_key(&waybill_core::KeyFile::in_dir(dir)).unwrap()
}

fn raw(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(dir.join(DB_FILE_NAME)).unwrap();
    bytes.extend(std::fs::read(dir.join(format!("{DB_FILE_NAME}-wal"))).unwrap_or_default());
    bytes
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    holds_bytes(bytes, needle.as_bytes())
}

fn holds_bytes(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

/// The stored bytes of the contact's name and phone columns, read without the key.
fn sealed_contact(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.query_row(
        "SELECT consignee_name, consignee_phone FROM order_parties",
        [],
        |r| Ok(vec![r.get(0)?, r.get(1)?]),
    )
    .unwrap()
}

/// Stores the contact of an order this driver holds, through the gate, as sync does.
fn stored_contact(dir: &std::path::Path, closed_at: DateTime<Utc>) {
    let db = Database::open(dir, &key(dir)).unwrap();
    let accepted_at = closed_at - Duration::days(2);
    db.write(|tx| {
        let m = privacy::install_builtin(tx, Role::Driver, accepted_at)?;
        privacy::accept_policy(tx, &m, "first_run_dialog", accepted_at)?;
        let basis = privacy::check(tx, &m, "order_fulfilment")?;
        orders::upsert_from_server(tx, &order(OrderStatus::Accepted, 2, accepted_at), ME)?;
        parties::store(
            tx,
            &basis,
            "ord-ret-1",
            "consignee_contact",
            &OrderContact {
                consignor_name: "赵秀英".into(),
                consignor_phone: "13800000001".into(),
                consignee_name: "钱建国".into(),
                consignee_phone: PLANTED_PHONE.into(),
                consignee_address: "Nantong, No. 8 Harbour Road".into(),
            },
            accepted_at,
        )?;
        // The server closes the order (the shipper cancelled): the clock starts.
        orders::upsert_from_server(tx, &order(OrderStatus::Cancelled, 3, closed_at), ME)?;
        Ok::<_, Error>(())
    })
    .unwrap();
}

#[test]
fn the_retention_sweep_leaves_no_trace_of_a_closed_orders_contact() {
    let dir = tempfile::tempdir().unwrap();
    // Closed ten days ago: the sweep every start runs must leave it alone.
    let closed_at = Utc::now() - Duration::days(10);
    stored_contact(dir.path(), closed_at);
    let before = raw(dir.path());
    assert!(
        !holds(&before, PLANTED_PHONE),
        "contact columns are sealed at rest"
    );
    // What a sweep must remove from the file and WAL is the ciphertext (it would open
    // again with a key that leaked later).
    let sealed = sealed_contact(dir.path());
    assert!(
        sealed.iter().all(|c| holds_bytes(&before, c)),
        "sanity: planted"
    );

    let client = Waybill::open_with_key_file(common::config(dir.path(), Role::Driver)).unwrap();
    let days = manifest::Manifest::parse(manifest::builtin(Role::Driver))
        .unwrap()
        .purpose("order_fulfilment")
        .unwrap()
        .retention
        .days;
    assert_eq!(days, 90);
    let contact = client.order_contact("ord-ret-1", true).unwrap().unwrap();
    assert!(
        contact.masked,
        "a closed order's contact is shown masked only"
    );

    let just_before = closed_at + Duration::days(i64::from(days)) - Duration::minutes(1);
    assert_eq!(client.sweep_retention_as_of(just_before).unwrap(), 0);
    assert!(client.order_contact("ord-ret-1", false).unwrap().is_some());

    let due = closed_at + Duration::days(i64::from(days));
    // The contact, the order record and its history (two status changes) go together.
    assert_eq!(client.sweep_retention_as_of(due).unwrap(), 4);
    assert!(client.order("ord-ret-1").is_err());
    assert_eq!(client.order_contact("ord-ret-1", false).unwrap(), None);
    let log = client.transparency_log(5).unwrap();
    assert!(log.iter().any(|e| e.action == DataAction::Expired
        && e.categories == ["consignee_contact"]
        && e.items == 1));
    // Gone from the file and the WAL while the client is still open, not only after close.
    let bytes = raw(dir.path());
    assert!(
        !sealed.iter().any(|c| holds_bytes(&bytes, c)),
        "the sealed contact survived the sweep"
    );
}

#[test]
fn data_of_a_purpose_the_policy_no_longer_declares_goes_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    stored_contact(dir.path(), Utc::now());
    let db = Database::open(dir.path(), &key(dir.path())).unwrap();
    // Relabel the row as collected for a purpose no manifest declares.
    db.write(|tx| {
        tx.execute("UPDATE order_parties SET purpose = 'retired_purpose'", [])?;
        Ok::<_, StorageError>(())
    })
    .unwrap();
    drop(db);
    let client = Waybill::open_with_key_file(common::config(dir.path(), Role::Driver)).unwrap();
    assert_eq!(client.order_contact("ord-ret-1", false).unwrap(), None);
    assert!(!holds(&raw(dir.path()), PLANTED_PHONE));
}

/// Every sealed cell of `order_id` in the order-bound tables, read without the key.
fn sealed_cells_of(dir: &std::path::Path, order_id: &str) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    let mut out = vec![];
    for sql in [
        "SELECT pickup_label FROM orders WHERE id = ?1",
        "SELECT stops_json FROM orders WHERE id = ?1",
        "SELECT consignee_phone FROM order_parties WHERE order_id = ?1",
        "SELECT note FROM order_history WHERE order_id = ?1 AND note IS NOT NULL",
        "SELECT payload FROM outbox WHERE order_id = ?1 AND payload IS NOT NULL",
        "SELECT lat FROM track_fixes WHERE order_id = ?1",
        "SELECT lat FROM proof_fixes WHERE order_id = ?1",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let cells: Vec<Vec<u8>> = stmt
            .query_map([order_id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!cells.is_empty(), "sanity: planted for {sql}");
        out.extend(cells);
    }
    out
}

/// Rows of `order_id` left in each order-bound table.
fn rows_of(dir: &std::path::Path, order_id: &str) -> Vec<(&'static str, i64)> {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    [
        ("orders", "id"),
        ("order_parties", "order_id"),
        ("order_history", "order_id"),
        ("outbox", "order_id"),
        ("rejections", "order_id"),
        ("track_fixes", "order_id"),
        ("proofs", "order_id"),
        ("proof_fixes", "order_id"),
    ]
    .into_iter()
    .map(|(t, c)| {
        let n = conn
            .query_row(
                &format!("SELECT count(*) FROM {t} WHERE {c} = ?1"),
                [order_id],
                |r| r.get(0),
            )
            .unwrap();
        (t, n)
    })
    .collect()
}

#[test]
fn nothing_of_a_closed_order_outlives_its_longest_period_rows_files_or_wal() {
    use waybill_core::orders::{history, outbox, rejections};
    use waybill_core::{Fix, RejectionReason};
    use waybill_protocol::ActionKind;
    let dir = tempfile::tempdir().unwrap();
    let closed_at = Utc::now() - Duration::days(10);
    let accepted_at = closed_at - Duration::days(1);
    stored_contact(dir.path(), closed_at);
    let db = Database::open(dir.path(), &key(dir.path())).unwrap();
    let registry = privacy::holdings::Registry::empty();
    db.write(|tx| {
        let m = privacy::install_builtin(tx, Role::Driver, accepted_at)?;
        for p in ["trajectory_upload", "proof_photos"] {
            privacy::decide(
                tx,
                &registry,
                &m,
                p,
                true,
                "order_start_dialog",
                accepted_at,
            )?;
        }
        for p in [
            waybill_core::Permission::LocationPrecise,
            waybill_core::Permission::LocationBackground,
            waybill_core::Permission::Camera,
        ] {
            privacy::report_permission(
                tx,
                &registry,
                &m,
                p,
                waybill_core::PermissionState::Granted,
                accepted_at,
            )?;
        }
        let order = "ord-ret-1";
        history::record_mine(
            tx,
            order,
            ActionKind::ReportException,
            Some(&format!("call me on {PLANTED_PHONE}")),
            "key-note-1",
            accepted_at,
        )?;
        outbox::enqueue_with_payload(
            tx,
            order,
            ActionKind::ReportException,
            None,
            Some("never sent"),
            Some(&format!("{{\"phone\":\"{PLANTED_PHONE}\"}}")),
        )?;
        rejections::record(
            tx,
            order,
            "pick_up",
            RejectionReason::OrderCancelled,
            accepted_at,
        )?;
        let trajectory = privacy::check(tx, &m, "trajectory_upload")?;
        let fix = Fix {
            at: accepted_at,
            lat: 31.40123,
            lon: 121.49123,
            accuracy_m: Some(5.0),
            elapsed_ms: None,
            mock: false,
        };
        waybill_core::track::record(tx, &trajectory, order, &[fix], accepted_at)?;
        let photos = privacy::check(tx, &m, "proof_photos")?;
        waybill_core::proof::record(
            tx,
            &photos,
            order,
            waybill_core::ProofKind::Damage,
            "report_exception",
            "ab12",
            "ab12.jpg",
            100,
            waybill_core::Capture {
                at: accepted_at,
                elapsed_ms: None,
            },
            accepted_at,
        )?;
        waybill_core::proof::record_position(tx, &trajectory, order, "ab12", &fix, accepted_at)?;
        Ok::<_, Error>(())
    })
    .unwrap();
    drop(db);
    let proofs = waybill_core::proof::folder(dir.path());
    std::fs::create_dir_all(&proofs).unwrap();
    std::fs::write(proofs.join("ab12.jpg"), b"sealed image bytes").unwrap();
    let sealed = sealed_cells_of(dir.path(), "ord-ret-1");

    let client = Waybill::open_with_key_file(common::config(dir.path(), Role::Driver)).unwrap();
    let count = |table: &str| {
        rows_of(dir.path(), "ord-ret-1")
            .into_iter()
            .find(|(t, _)| *t == table)
            .unwrap()
            .1
    };
    let minute = Duration::minutes(1);
    // The trajectory's 30 days: positions (the leg's and the proof's) go, the rest stays.
    let thirty = closed_at + Duration::days(30);
    client.sweep_retention_as_of(thirty - minute).unwrap();
    assert!(rows_of(dir.path(), "ord-ret-1").iter().all(|(_, n)| *n > 0));
    client.sweep_retention_as_of(thirty).unwrap();
    assert_eq!((count("track_fixes"), count("proof_fixes")), (0, 0));
    assert!(count("orders") == 1 && count("outbox") == 1 && count("proofs") == 1);
    // The order's 90 days: everything of it, every table, its proof file too.
    let ninety = closed_at + Duration::days(90);
    client.sweep_retention_as_of(ninety - minute).unwrap();
    for table in [
        "orders",
        "order_parties",
        "order_history",
        "outbox",
        "rejections",
        "proofs",
    ] {
        assert!(count(table) > 0, "{table} present a minute before");
    }
    assert!(proofs.join("ab12.jpg").exists());
    client.sweep_retention_as_of(ninety).unwrap();
    let left = rows_of(dir.path(), "ord-ret-1");
    assert!(left.iter().all(|(_, n)| *n == 0), "{left:?}");
    assert!(
        !proofs.join("ab12.jpg").exists(),
        "the proof file went with its record"
    );
    let bytes = raw(dir.path());
    assert!(
        !sealed.iter().any(|c| holds_bytes(&bytes, c)),
        "no sealed cell of the order survives in the file or the WAL"
    );
    drop(client);
}

#[test]
fn each_purpose_keeps_its_own_period_counted_from_the_close() {
    let dir = tempfile::tempdir().unwrap();
    let closed_at = Utc::now() - Duration::days(10);
    stored_contact(dir.path(), closed_at);
    let client = Waybill::open_with_key_file(common::config(dir.path(), Role::Driver)).unwrap();
    let ninety = closed_at + Duration::days(90);
    assert_eq!(
        client
            .sweep_retention_as_of(ninety - Duration::minutes(1))
            .unwrap(),
        0
    );
    assert!(client.order("ord-ret-1").is_ok(), "present a minute before");
    assert!(client.sweep_retention_as_of(ninety).unwrap() >= 2);
    assert!(
        client.order("ord-ret-1").is_err(),
        "the record itself goes at 90 days"
    );
    assert!(client.order_history("ord-ret-1").unwrap().is_empty());
}
