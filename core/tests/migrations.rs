//! Opening databases written by other schema versions, on real files.

mod common;

use rusqlite::Connection;
use waybill_core::db::{DB_FILE_NAME, LATEST_VERSION};
use waybill_core::{Config, Error, OrderList, Role, Waybill};

/// The v1 schema exactly as shipped (migrations are append-only, so the file is frozen).
const V1_SCHEMA: &str = include_str!("../migrations/001_session_and_orders.sql");

fn config(dir: &std::path::Path) -> Config {
    common::config(dir, Role::Driver)
}

#[test]
fn a_v1_database_is_upgraded_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
        old.execute_batch(V1_SCHEMA).unwrap();
        old.execute_batch(
            "INSERT INTO session (id, account_id, token, server_url, created_at)
                 VALUES (1, 'acct_1', 'tok_1', 'http://127.0.0.1:9', '2026-11-01T08:00:00Z');
             INSERT INTO orders (id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label,
                 goods, weight_kg, fee_minor, currency, assigned_to_me, revision, updated_at, fetched_at)
                 VALUES ('ord-1', 'open', 'Depot', 31.2, 121.4, 'Port', 'Water', 900.0, 12000, 'CNY', 0, 1,
                         '2026-11-01T08:00:00Z', '2026-11-01T08:00:00Z');
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }

    let client = Waybill::open_with_key_file(config(dir.path())).unwrap();
    assert_eq!(client.account_id().unwrap().as_deref(), Some("acct_1"));
    let open = client.orders(OrderList::Open).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].goods, "Water");
    // Nothing is sent or stored for an order before the policy is accepted (P-01), also
    // on an upgraded installation; then the v2 outbox works on the upgraded file.
    assert_eq!(
        client.accept_order("ord-1"),
        Err(Error::ConsentRequired {
            purpose: "order_fulfilment".into()
        })
    );
    client.accept_policy("first_run_dialog").unwrap();
    client.accept_order("ord-1").unwrap();
    assert_eq!(client.pending_actions().unwrap(), 1);
    drop(client);

    let version: u32 = Connection::open(dir.path().join(DB_FILE_NAME))
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, LATEST_VERSION);
}

#[test]
fn a_database_from_a_newer_app_is_refused_and_left_byte_for_byte_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        let newer = Connection::open(&path).unwrap();
        newer
            .execute_batch(&format!(
                "CREATE TABLE from_the_future (x INTEGER); INSERT INTO from_the_future VALUES (42);
                 PRAGMA user_version = {};",
                LATEST_VERSION + 5
            ))
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let err = Waybill::open_with_key_file(config(dir.path())).unwrap_err();
    assert_eq!(
        err,
        Error::SchemaTooNew {
            found: LATEST_VERSION + 5,
            supported: LATEST_VERSION
        }
    );
    assert!(err.to_string().contains("update the app"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file was not modified"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_a_storage_error_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    std::fs::write(
        &path,
        b"this is not an SQLite database, but it may be someone's data",
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        Waybill::open_with_key_file(config(dir.path())),
        Err(Error::Storage { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
