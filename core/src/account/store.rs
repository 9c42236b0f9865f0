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

/// This installation's ECDSA P-256 device key as PKCS#8 (sealed in `meta`), made in `tx`
/// on first use.
pub fn device_key(tx: &Transaction<'_>) -> crate::error::Result<Vec<u8>> {
    if let Some(pkcs8) =
        meta::get_sealed(tx, MetaKey::DeviceKey)?.and_then(|hex| waybill_protocol::unhex(&hex))
    {
        return Ok(pkcs8);
    }
    let made = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .map_err(|_| crate::error::Error::Internal {
        reason: "no randomness for the device key".into(),
    })?;
    meta::set_sealed(
        tx,
        MetaKey::DeviceKey,
        &waybill_protocol::hex(made.as_ref()),
    )?;
    Ok(made.as_ref().to_vec())
}

/// The time to sign the next proof at: `candidate`, or just after the last proof if that
/// was later (the server takes each proof once and never an older one, and the server's
/// `Date` the candidate is corrected by has a one-second grain). Recorded in `tx` before
/// the proof is sent, so a proof whose reply was lost is never signed again.
pub fn next_proof_time(
    tx: &Transaction<'_>,
    candidate: chrono::DateTime<Utc>,
) -> StorageResult<chrono::DateTime<Utc>> {
    let last = meta::get(tx, MetaKey::LastProofAt)?
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(chrono::DateTime::from_timestamp_millis);
    // A last proof more than the server's window ahead was signed on a wrong clock and
    // refused: it does not hold the next one back.
    let window = chrono::Duration::minutes(5);
    let at = match last {
        Some(last) if last >= candidate && last - candidate < window => {
            last + chrono::Duration::milliseconds(1)
        }
        _ => candidate,
    };
    meta::set(tx, MetaKey::LastProofAt, &at.timestamp_millis().to_string())?;
    Ok(at)
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
