//! The one place that owns SQLite connections and transactions.
//!
//! One writer connection behind a mutex (SQLite allows one writer at a time; a second
//! writer connection would only trade the mutex for `SQLITE_BUSY`) and one reader
//! connection, so UI reads never wait on a sync's write. WAL lets them run together.

pub mod meta;
mod migrations;
mod seal;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

pub use migrations::{LATEST_VERSION, MIGRATIONS};
pub use seal::{DataKey, KEY_LEN, SealError, register as register_seal};

/// Storage failures, internal to the core; mapped to the public error in `error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite refused an operation.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer version of the app.
    #[error("database schema version {found} is newer than the {supported} this build supports")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Latest version this build knows.
        supported: u32,
    },
    /// A migration failed; the transaction was rolled back and the file is unchanged.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The database's sealed values do not open with the key the secure store gave.
    #[error("the database was sealed with another data key")]
    WrongKey,
    /// The data directory could not be prepared.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
}

/// Result of storage operations.
pub type StorageResult<T> = Result<T, StorageError>;

/// How long a connection waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// File name of the client database inside the data directory.
pub const DB_FILE_NAME: &str = "waybill.sqlite3";

/// The client database: one writer and one reader connection on the same file.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    // Field order is drop order: the reader closes first, so the writer is the last
    // connection and its close checkpoints the WAL into the file and removes it (a
    // read-only last connection cannot).
    reader: Mutex<Connection>,
    writer: Mutex<Connection>,
}

impl Database {
    /// Opens (creating if needed) the database in `data_dir`, applies pending migrations,
    /// and refuses, without writing anything, a file from a newer schema or a key that
    /// does not open its sealed columns.
    pub fn open(data_dir: &Path, key: &DataKey) -> StorageResult<Database> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(DB_FILE_NAME);
        let mut writer = Connection::open(&path)?;
        writer.busy_timeout(BUSY_TIMEOUT)?;
        // Before any pragma that writes the header (journal_mode): a newer file stays as it is.
        migrations::check_not_newer(&writer)?;
        // Before the migrations: a step that seals existing rows calls `seal()`.
        seal::register(&writer, key)?;
        check_key(&writer)?;
        configure(&writer)?;
        // Table rebuilds in migrations need foreign keys off (a dropped parent would
        // cascade); each such step runs `foreign_key_check` before it commits.
        writer.pragma_update(None, "foreign_keys", "OFF")?;
        migrations::migrate(&mut writer)?;
        write_key_check(&writer)?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure_reader(&reader)?;
        seal::register(&reader, key)?;
        Ok(Database {
            path,
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one immediate write transaction: it commits if `f` returns `Ok`, and
    /// rolls back otherwise. The commit is durable (synchronous=FULL) when this returns.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StorageError::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(StorageError::from)?;
        Ok(value)
    }

    /// Moves every WAL frame into the database file and truncates the WAL to zero bytes,
    /// so deleted personal data does not linger in old frames (withdrawal, retention,
    /// wipe). Waits briefly for a reader that holds an old snapshot.
    pub fn checkpoint(&self) -> StorageResult<()> {
        let conn = lock(&self.writer);
        for _ in 0..50 {
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(StorageError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("a reader kept the WAL busy; checkpoint not complete".into()),
        )))
    }

    /// Deletes everything: drops every table, rebuilds the file (VACUUM, with
    /// `secure_delete` on), truncates the WAL, then recreates the empty schema. After
    /// this the file holds what a fresh install holds (account cancellation).
    pub fn wipe(&self) -> StorageResult<()> {
        {
            let mut conn = lock(&self.writer);
            // Off outside the transaction (it is a no-op inside): dropping a parent table
            // must not trip the foreign keys of a child that is dropped next.
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let tables: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            for table in tables {
                tx.execute_batch(&format!("DROP TABLE \"{}\"", table.replace('"', "\"\"")))?;
            }
            tx.pragma_update(None, "user_version", 0)?;
            tx.commit()?;
            conn.execute_batch("VACUUM")?;
            migrations::migrate(&mut conn)?;
            write_key_check(&conn)?;
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        self.checkpoint()
    }

    /// Runs `f` on the reader connection; sees the last committed state.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let conn = lock(&self.reader);
        f(&conn)
    }
}

/// The first open stores a sealed check value; every later open must open it, so a wrong
/// key (a restored backup, a reset Keystore) is refused before anything is written with it.
fn check_key(conn: &Connection) -> StorageResult<()> {
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        // A fresh file: the first migration creates `meta`; the check is written below.
        return Ok(());
    }
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match stored {
        Some(_) => {
            // Bound (version 2) since migration 12; a file not yet migrated has version 1.
            let opens: rusqlite::Result<Option<String>> = conn
                .query_row(
                    "SELECT unseal(unhex(value), 'meta.value', key) FROM meta WHERE key = 'key_check'",
                    [],
                    |r| r.get(0),
                )
                .or_else(|_| {
                    conn.query_row(
                        "SELECT unseal(unhex(value)) FROM meta WHERE key = 'key_check'",
                        [],
                        |r| r.get(0),
                    )
                });
            match opens {
                Ok(Some(v)) if v == KEY_CHECK => Ok(()),
                _ => Err(StorageError::WrongKey),
            }
        }
        None => Ok(()),
    }
}

const KEY_CHECK: &str = "waybill";

/// Writes the key check value if the file has none yet.
fn write_key_check(conn: &Connection) -> StorageResult<()> {
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value)
         VALUES ('key_check', hex(seal(?1, 'meta.value', 'key_check')))",
        [KEY_CHECK],
    )?;
    Ok(())
}

/// A poisoned lock only means another thread panicked mid-call; the connection itself is
/// still valid (SQLite rolled back any open transaction when it was dropped), so go on.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Pragmas for the writer. FULL sync makes every acknowledged write survive power loss,
/// not only a process kill; the cost is one fsync per transaction, and writes are batched.
fn configure(conn: &Connection) -> StorageResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Android has no writable default temp dir (SQLITE_IOERR_GETTEMPPATH): keep temp in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
    // Deleted personal data is overwritten, not left in free pages (retention, withdrawal).
    conn.pragma_update(None, "secure_delete", "ON")?;
    harden(conn)
}

fn configure_reader(conn: &Connection) -> StorageResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    harden(conn)
}

/// Defensive mode blocks schema-corrupting writes; double-quoted strings as literals off.
fn harden(conn: &Connection) -> StorageResult<()> {
    use rusqlite::config::DbConfig;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    Ok(())
}

/// A fresh random key for unit tests.
#[cfg(test)]
pub(crate) fn test_key() -> DataKey {
    DataKey::from_bytes(&DataKey::generate_bytes().unwrap()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_is_wal_with_foreign_keys_and_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), &test_key()).unwrap();
        db.read(|c| {
            let mode: String = c.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            assert_eq!(mode, "wal");
            let fk: i64 = c.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
            assert_eq!(fk, 1);
            let v: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            assert_eq!(v, LATEST_VERSION);
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
    }

    #[test]
    fn closing_checkpoints_the_wal_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), &test_key()).unwrap();
        db.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('planted', 'zebra-7Q')",
                [],
            )?;
            Ok::<_, StorageError>(())
        })
        .unwrap();
        db.read(|c| c.query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0)))
            .unwrap();
        drop(db);
        let wal = dir.path().join(format!("{DB_FILE_NAME}-wal"));
        assert!(!wal.exists(), "the WAL is gone after close");
        let file = std::fs::read(dir.path().join(DB_FILE_NAME)).unwrap();
        assert!(
            file.windows(8).any(|w| w == b"zebra-7Q"),
            "the row is in the main file"
        );
    }

    #[test]
    fn failed_write_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), &test_key()).unwrap();
        let r: Result<(), StorageError> = db.write(|tx| {
            tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])?;
            Err(StorageError::Migration("boom".into()))
        });
        assert!(r.is_err());
        let n: i64 = db
            .read(|c| {
                c.query_row("SELECT count(*) FROM meta WHERE key = 'k'", [], |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(n, 0);
    }
}
