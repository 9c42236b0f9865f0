//! Versioned schema migrations on `PRAGMA user_version`, one SQL file per version.
//!
//! Rules: never edit a shipped file, only add the next one; each step runs in its own
//! transaction together with the version bump, so a crash mid-upgrade leaves the previous
//! version intact. A file from a newer build is refused before anything is written.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations, SchemaVersion};

use super::{StorageError, StorageResult};
use crate::embedded::{embedded_text, minify_sql};

/// Every migration, in order: index + 1 is the schema version it produces. Carried
/// without comments and layout (`embedded_text!`); the files are what people read.
pub const MIGRATIONS: &[M<'static>] = &[
    M::up(embedded_text!(
        "../../migrations/001_session_and_orders.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/002_outbox_and_rejections.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/003_privacy.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/004_personal_data.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/005_order_lifecycle.sql",
        minify_sql
    ))
    .foreign_key_check(),
    M::up(embedded_text!(
        "../../migrations/006_order_history.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/007_routes.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/008_track_batches.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/009_track_events.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/010_proofs.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/011_sealed_columns.sql",
        minify_sql
    ))
    .foreign_key_check(),
    M::up(embedded_text!(
        "../../migrations/012_bound_seals.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/013_step_up_codes.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/014_real_name_uploads.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/015_indexed_retention.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/016_rights_answered_at.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/017_service_events.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/018_push_token.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/019_notices.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/020_sdk_forget.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/021_waybills_convenience_marketing.sql",
        minify_sql
    )),
    M::up(embedded_text!(
        "../../migrations/022_marketing_published_at.sql",
        minify_sql
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

    /// The library carries the migrations minified: applied as written (comments and all)
    /// they give the same objects, the same statements token for token and the same
    /// columns.
    #[test]
    fn minified_migrations_build_the_schema_the_files_describe() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "one file per migration");
        let as_written = connection();
        for file in &files {
            as_written
                .execute_batch(&std::fs::read_to_string(file).unwrap())
                .unwrap();
        }
        let mut carried = connection();
        migrate(&mut carried).unwrap();
        let tokens = |sql: &str| crate::embedded::compacted(minify_sql, sql).replace(' ', "");
        let (want, got) = (schema_of(&as_written), schema_of(&carried));
        assert_eq!(want.len(), got.len());
        for ((name_w, sql_w), (name_g, sql_g)) in want.iter().zip(&got) {
            assert_eq!(name_w, name_g);
            assert_eq!(tokens(sql_w), tokens(sql_g), "{name_w}");
            let columns = |conn: &Connection| -> Vec<(String, String, i64, Option<String>, i64)> {
                conn.prepare(
                    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?1)",
                )
                .unwrap()
                .query_map([name_w], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            };
            assert_eq!(columns(&as_written), columns(&carried), "{name_w}");
        }
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
