//! Transactional outbox: each local action is written in the same transaction as its
//! effect, with an idempotency key that every attempt reuses, so the server applies it
//! at most once however often the push is retried (and across restarts).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, Row, Transaction, params};
use waybill_protocol::{ActionKind, OrderAction, OrderStatus};

use crate::db::StorageResult;

/// A local action not yet confirmed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Push order.
    pub seq: i64,
    /// Order the action applies to.
    pub order_id: String,
    /// What to do.
    pub action: ActionKind,
    /// Sent with every attempt; the server's dedup key.
    pub idempotency_key: String,
    /// When the user took the action.
    pub created_at: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When a retry is due (backoff), if an attempt failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Free text of an exception report.
    pub note: Option<String>,
    /// JSON body (a placed errand).
    pub payload: Option<String>,
}

impl OutboxEntry {
    /// The entry as pushed.
    pub fn to_wire(&self) -> OrderAction {
        let extras = self.extras();
        OrderAction {
            key: self.idempotency_key.clone(),
            order_id: self.order_id.clone(),
            kind: self.action,
            at: self.created_at,
            note: self.note.clone(),
            errand: self
                .payload
                .as_deref()
                .filter(|_| self.action == ActionKind::Place)
                .and_then(|p| serde_json::from_str(p).ok()),
            stop: extras.stop,
            appointment_at: extras.appointment_at,
        }
    }

    fn extras(&self) -> Extras {
        self.payload
            .as_deref()
            .filter(|_| self.action != ActionKind::Place)
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default()
    }
}

/// The payload of an `arrive` or `appoint` entry.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Extras {
    /// Stop index, for `arrive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<u32>,
    /// Agreed time, for `appoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_at: Option<DateTime<Utc>>,
}

impl Extras {
    /// As stored in the payload column.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("extras serialize")
    }
}

/// Queues an action in `tx` with a fresh idempotency key. `target` is the status it leads
/// to (the effective status until the server answers); `None` leaves the status alone.
pub fn enqueue(
    tx: &Transaction<'_>,
    order_id: &str,
    action: ActionKind,
    target: Option<OrderStatus>,
    note: Option<&str>,
) -> StorageResult<i64> {
    enqueue_with_payload(tx, order_id, action, target, note, None)
}

/// [`enqueue`] for an action that carries a JSON body.
pub fn enqueue_with_payload(
    tx: &Transaction<'_>,
    order_id: &str,
    action: ActionKind,
    target: Option<OrderStatus>,
    note: Option<&str>,
    payload: Option<&str>,
) -> StorageResult<i64> {
    let key = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    super::history::record_mine(tx, order_id, action, note, &key, now)?;
    tx.execute(
        "INSERT INTO outbox (order_id, action, idempotency_key, created_at, target_status, note,
             payload)
         VALUES (?1, ?2, ?3, ?4, ?5, seal(?6, 'outbox.note', ?3), seal(?7, 'outbox.payload', ?3))",
        params![
            order_id,
            action.as_str(),
            key,
            now.to_rfc3339(),
            target.map(OrderStatus::as_str),
            note,
            payload
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

const SELECT: &str = "SELECT seq, order_id, action, idempotency_key, created_at, attempts,
    last_error, next_attempt_at, unseal(note, 'outbox.note', idempotency_key),
    unseal(payload, 'outbox.payload', idempotency_key) FROM outbox";

fn time(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = r.get(i)?;
    Ok(text.and_then(|t| {
        DateTime::parse_from_rfc3339(&t)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let action: String = r.get(2)?;
    Ok(OutboxEntry {
        seq: r.get(0)?,
        order_id: r.get(1)?,
        action: ActionKind::parse(&action).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown outbox action {action:?}").into(),
            )
        })?,
        idempotency_key: r.get(3)?,
        created_at: time(r, 4)?.unwrap_or_default(),
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        next_attempt_at: time(r, 7)?,
        note: r.get(8)?,
        payload: r.get(9)?,
    })
}

/// Every queued entry in push order.
pub fn all(conn: &Connection) -> StorageResult<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY seq"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Entries to push now, in push order, at most `limit`: every entry of each order whose
/// first entry's backoff has ended (or all, with `ignore_backoff`: a fresh signal such as
/// connectivity regained). Orders never wait for each other.
pub fn sendable(
    conn: &Connection,
    now: DateTime<Utc>,
    ignore_backoff: bool,
    limit: usize,
) -> StorageResult<Vec<OutboxEntry>> {
    // An order's first entry decides for the order: while it backs off nothing of the order
    // goes; once it is due its followers go with it, whatever backoff an earlier failed
    // attempt (the same lost connection) left on them.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut blocked: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out = vec![];
    for entry in all(conn)? {
        if out.len() == limit {
            break;
        }
        if blocked.contains(&entry.order_id) {
            continue;
        }
        let first = seen.insert(entry.order_id.clone());
        let waiting = !ignore_backoff && entry.next_attempt_at.is_some_and(|t| t > now);
        if first && waiting {
            blocked.insert(entry.order_id.clone());
            continue;
        }
        out.push(entry);
    }
    Ok(out)
}

/// Whether an action of this kind is queued for the order.
pub fn has_pending(conn: &Connection, order_id: &str, action: ActionKind) -> StorageResult<bool> {
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

/// Removes `seq` and every later entry of the same order (they build on it). Returns the
/// removed entries.
pub fn remove_with_followers(tx: &Transaction<'_>, seq: i64) -> StorageResult<Vec<OutboxEntry>> {
    let mut stmt = tx.prepare(&format!(
        "{SELECT} WHERE seq >= ?1 AND order_id = (SELECT order_id FROM outbox WHERE seq = ?1)
         ORDER BY seq"
    ))?;
    let removed: Vec<OutboxEntry> = stmt.query_map([seq], from_row)?.collect::<Result<_, _>>()?;
    for entry in &removed {
        remove(tx, entry.seq)?;
    }
    Ok(removed)
}

/// Edits the note of a queued exception report not yet confirmed. Returns false if there
/// is no such entry (already sent, or not an exception report).
pub fn edit_note(tx: &Transaction<'_>, seq: i64, note: &str) -> StorageResult<bool> {
    let key: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
        "UPDATE outbox SET note = seal(?2, 'outbox.note', idempotency_key) WHERE seq = ?1 AND action = 'report_exception'
         RETURNING idempotency_key",
        params![seq, note],
        |r| r.get(0),
    ))?;
    if let Some(key) = &key {
        super::history::edit_note(tx, key, note)?;
    }
    Ok(key.is_some())
}

/// Full-jitter exponential backoff: a random delay in [0, min(cap, base · 2^attempts)].
/// Retries from thousands of devices after an outage then spread out instead of arriving
/// together.
pub fn backoff(attempts: u32) -> Duration {
    const BASE_MS: i64 = 2_000;
    const CAP_MS: i64 = 300_000;
    let ceiling = BASE_MS
        .saturating_mul(1_i64 << attempts.min(20))
        .min(CAP_MS);
    let jitter = uuid::Uuid::new_v4().as_u128() as i64 & i64::MAX;
    Duration::milliseconds(BASE_MS / 4 + jitter % ceiling.max(1))
}

/// Records a failed attempt; the entry stays queued with the same key and waits for its
/// backoff before the next automatic attempt.
pub fn record_failure(
    tx: &Transaction<'_>,
    seq: i64,
    error: &str,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let attempts: u32 = tx.query_row(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1
         RETURNING attempts",
        params![seq, error],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE outbox SET next_attempt_at = ?2 WHERE seq = ?1",
        params![seq, (now + backoff(attempts)).to_rfc3339()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_attempts_and_stays_under_the_cap() {
        let max = |attempts| (0..200).map(|_| backoff(attempts)).max().unwrap();
        assert!(max(1) <= Duration::milliseconds(4_500));
        assert!(max(6) > Duration::seconds(20), "grows");
        assert!(max(30) <= Duration::milliseconds(300_500), "capped");
        let spread: std::collections::HashSet<_> = (0..50).map(|_| backoff(8)).collect();
        assert!(spread.len() > 40, "jittered");
    }
}
