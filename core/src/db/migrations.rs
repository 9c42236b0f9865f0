//! Versioned schema migrations on `PRAGMA user_version`, one SQL file per version.
//!
//! Rules: never edit a shipped file, only add the next one; each step runs in its own
//! transaction together with the version bump, so a crash mid-upgrade leaves the previous
//! version intact. A file from a newer build is refused before anything is written.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations, SchemaVersion};

use super::{StorageError, StorageResult};

/// Every migration, in order: index + 1 is the schema version it produces.
pub const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/001_session_and_orders.sql")),
    M::up(include_str!(
        "../../migrations/002_outbox_and_rejections.sql"
    )),
    M::up(include_str!("../../migrations/003_privacy.sql")),
    M::up(include_str!("../../migrations/004_personal_data.sql")),
    M::up(include_str!("../../migrations/005_order_lifecycle.sql")).foreign_key_check(),
    M::up(include_str!("../../migrations/006_order_history.sql")),
    M::up(include_str!("../../migrations/007_routes.sql")),
    M::up(include_str!("../../migrations/008_track_batches.sql")),
    M::up(include_str!("../../migrations/009_track_events.sql")),
    M::up(include_str!("../../migrations/010_proofs.sql")),
    M::up(include_str!("../../migrations/011_sealed_columns.sql")).foreign_key_check(),
    M::up(include_str!("../../migrations/012_bound_seals.sql")),
    M::up(include_str!("../../migrations/013_step_up_codes.sql")),
    M::up(include_str!("../../migrations/014_real_name_uploads.sql")),
    M::up(include_str!("../../migrations/015_indexed_retention.sql")),
    M::up(include_str!("../../migrations/016_rights_answered_at.sql")),
    M::up(include_str!("../../migrations/017_service_events.sql")),
    M::up(include_str!("../../migrations/018_push_token.sql")),
    M::up(include_str!("../../migrations/019_notices.sql")),
    M::up(include_str!("../../migrations/020_sdk_forget.sql")),
    M::up(include_str!(
        "../../migrations/021_waybills_convenience_marketing.sql"
    )),
];

/// The schema version a fully migrated database has.
pub const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

/// Refuses a newer file without touching it, then applies the pending steps.
pub(super) fn migrate(conn: &mut Connection) -> StorageResult<()> {
    let migrations = Migrations::from_slice(MIGRATIONS);
    if let SchemaVersion::Outside(found) = migrations
        .current_version(conn)
        .map_err(|e| StorageError::Migration(e.to_string()))?
    {
        return Err(StorageError::SchemaTooNew {
            found: u32::try_from(found.get()).unwrap_or(u32::MAX),
            supported: LATEST_VERSION,
        });
    }
    migrations
        .to_latest(conn)
        .map_err(|e| StorageError::Migration(e.to_string()))
}

/// Reads the schema version without changing anything.
pub(super) fn check_not_newer(conn: &Connection) -> StorageResult<()> {
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > LATEST_VERSION {
        return Err(StorageError::SchemaTooNew {
            found,
            supported: LATEST_VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection as the core opens it: with `seal()`/`unseal()` (step 11 calls them).
    fn connection() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        super::super::seal::register(&conn, &super::super::test_key()).unwrap();
        conn
    }

    #[test]
    fn migrations_apply_in_order_and_go_no_further() {
        let mut conn = connection();
        migrate(&mut conn).unwrap();
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST_VERSION);
        migrate(&mut conn).unwrap();
    }

    /// Upgrading step by step from every older version yields exactly the schema a fresh
    /// install gets (application-services' `assert_schema_matches_new_database`).
    #[test]
    fn upgrade_from_every_version_matches_fresh_schema() {
        let mut fresh = connection();
        migrate(&mut fresh).unwrap();
        let want = schema_of(&fresh);
        for start in 0..LATEST_VERSION as usize {
            let mut old = connection();
            Migrations::from_slice(MIGRATIONS)
                .to_version(&mut old, start)
                .unwrap();
            migrate(&mut old).unwrap();
            assert_eq!(schema_of(&old), want, "upgrade from v{start}");
        }
    }

    #[test]
    fn step_12_binds_every_sealed_value_to_its_row() {
        let mut conn = connection();
        Migrations::from_slice(MIGRATIONS)
            .to_version(&mut conn, 11)
            .unwrap();
        for id in ["ord-1", "ord-2"] {
            conn.execute(
                "INSERT INTO orders (id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label,
                     goods, weight_kg, fee_minor, currency, revision, updated_at, fetched_at, stops_json)
                 VALUES (?1, 'open', seal(?1 || ' depot'), seal(31.2), seal(121.4), seal('Suzhou'),
                     'boxes', 1.0, 100, 'CNY', 1, 't', 't', seal('[]'))",
                [id],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let label = |id: &str| -> rusqlite::Result<String> {
            conn.query_row(
                "SELECT unseal(pickup_label, 'orders.pickup_label', id) FROM orders WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
        };
        assert_eq!(label("ord-1").unwrap(), "ord-1 depot");
        // Copy ord-2's sealed label onto ord-1: it no longer opens there.
        conn.execute_batch(
            "UPDATE orders SET pickup_label = (SELECT pickup_label FROM orders WHERE id = 'ord-2')
             WHERE id = 'ord-1'",
        )
        .unwrap();
        assert!(label("ord-1").is_err());
        assert_eq!(label("ord-2").unwrap(), "ord-2 depot");
    }

    fn schema_of(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}
