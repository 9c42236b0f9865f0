//! This installation's identity and its server session (the bearer token).
//!
//! The installation id is random, made on first open, and never derived from hardware
//! identifiers (IMEI, MAC, Android ID), which the seeds' policies treat as personal device
//! data. The token lives in the database for now; issue 10 moves it under the platform
//! key store (Keystore / Keychain).

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::db::StorageResult;

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Server-side account id.
    pub account_id: String,
    /// Bearer token. Never log it; [`mask_secret`] gives a loggable form.
    pub token: String,
}

const INSTALLATION_ID_KEY: &str = "installation_id";

/// Returns the installation id, creating it in `tx` on first use.
pub fn installation_id(tx: &Transaction<'_>) -> StorageResult<String> {
    let existing: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [INSTALLATION_ID_KEY],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        params![INSTALLATION_ID_KEY, id],
    )?;
    Ok(id)
}

/// The stored session, if any.
pub fn load(conn: &Connection) -> StorageResult<Option<Session>> {
    Ok(conn
        .query_row(
            "SELECT account_id, unseal(token) FROM session WHERE id = 1",
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

/// Stores (or replaces) the session.
pub fn store(tx: &Transaction<'_>, session: &Session, server_url: &str) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO session (id, account_id, token, server_url, created_at)
         VALUES (1, ?1, seal(?2), ?3, ?4)
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

/// A form of a secret that is safe to log: its length and first two characters.
pub fn mask_secret(secret: &str) -> String {
    let head: String = secret.chars().take(2).collect();
    format!("{head}…[{} chars]", secret.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secret_does_not_contain_the_secret() {
        let token = "tok_3f9a8b7c6d5e";
        let masked = mask_secret(token);
        assert!(!masked.contains(&token[2..]));
        assert_eq!(masked, "to…[16 chars]");
    }
}
