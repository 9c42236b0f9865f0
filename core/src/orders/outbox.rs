//! Transactional outbox: each local action is written in the same transaction as its
//! effect, with an idempotency key that every attempt reuses, so the server applies it
//! at most once however often the push is retried (and across restarts).

use chrono::Utc;
use rusqlite::{Connection, Transaction, params};

use crate::db::StorageResult;

/// A local action not yet confirmed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Push order.
    pub seq: i64,
    /// Order the action applies to.
    pub order_id: String,
    /// What to do.
    pub action: Action,
    /// Sent with every attempt; the server's dedup key.
    pub idempotency_key: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// Kinds of queued actions. Grows with the order engine (pickup, deliver, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Accept an open offer.
    Accept,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        match s {
            "accept" => Some(Action::Accept),
            _ => None,
        }
    }
}

/// Queues an action in `tx` with a fresh idempotency key.
pub fn enqueue(tx: &Transaction<'_>, order_id: &str, action: Action) -> StorageResult<OutboxEntry> {
    let key = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO outbox (order_id, action, idempotency_key, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![order_id, action.as_str(), key, Utc::now().to_rfc3339()],
    )?;
    Ok(OutboxEntry {
        seq: tx.last_insert_rowid(),
        order_id: order_id.to_string(),
        action,
        idempotency_key: key,
        attempts: 0,
    })
}

/// Every queued entry in push order.
pub fn all(conn: &Connection) -> StorageResult<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, order_id, action, idempotency_key, attempts FROM outbox ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        let action: String = r.get(2)?;
        Ok(OutboxEntry {
            seq: r.get(0)?,
            order_id: r.get(1)?,
            action: Action::parse(&action).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("unknown outbox action {action:?}").into(),
                )
            })?,
            idempotency_key: r.get(3)?,
            attempts: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether an action of this kind is queued for the order.
pub fn has_pending(conn: &Connection, order_id: &str, action: Action) -> StorageResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE order_id = ?1 AND action = ?2)",
        params![order_id, action.as_str()],
        |r| r.get(0),
    )?)
}

/// Removes an entry the server has settled (applied or refused for good).
pub fn remove(tx: &Transaction<'_>, seq: i64) -> StorageResult<()> {
    tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
    Ok(())
}

/// Records a failed attempt; the entry stays queued with the same key.
pub fn record_failure(tx: &Transaction<'_>, seq: i64, error: &str) -> StorageResult<()> {
    tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
        params![seq, error],
    )?;
    Ok(())
}
