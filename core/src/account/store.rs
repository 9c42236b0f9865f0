//! The account engine's storage: this installation's random id (in `meta`) and the
//! session row (token sealed at rest).
//!
//! The installation id is random, made on first open, and never derived from hardware
//! identifiers (IMEI, MAC, Android ID), which the seeds' policies treat as personal device
//! data.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::db::StorageResult;
use crate::db::meta::{self, MetaKey};
use crate::session::Session;

/// Returns the installation id, creating it in `tx` on first use.
pub fn installation_id(tx: &Transaction<'_>) -> StorageResult<String> {
    if let Some(id) = meta::get(tx, MetaKey::InstallationId)? {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    meta::set(tx, MetaKey::InstallationId, &id)?;
    Ok(id)
}

/// The stored session, if any.
pub fn load(conn: &Connection) -> StorageResult<Option<Session>> {
    Ok(conn
        .query_row(
            "SELECT account_id, unseal(token, 'session.token', id) FROM session WHERE id = 1",
            [],
            |r| {
                Ok(Session {
                    account_id: r.get(0)?,
                    token: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// The signed-in account id, if any, without opening the sealed token.
pub fn account_id(conn: &Connection) -> StorageResult<Option<String>> {
    Ok(conn
        .query_row("SELECT account_id FROM session WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Stores (or replaces) the session.
pub fn store(tx: &Transaction<'_>, session: &Session, server_url: &str) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO session (id, account_id, token, server_url, created_at)
         VALUES (1, ?1, seal(?2, 'session.token', 1), ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,
             token = excluded.token, server_url = excluded.server_url,
             created_at = excluded.created_at",
        params![
            session.account_id,
            session.token,
            server_url,
            Utc::now().to_rfc3339()
        ],
    )?;
    Ok(())
}

/// Forgets the session (the server refused its token). Queued actions stay queued.
pub fn clear(tx: &Transaction<'_>) -> StorageResult<()> {
    tx.execute("DELETE FROM session", [])?;
    Ok(())
}
