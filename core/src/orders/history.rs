//! Each order's history as this device saw it: the user's own actions (when they took
//! them, and whether the server confirmed, refused, or the user withdrew them) and the
//! server's status changes. Both facts of a conflict stay visible side by side.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use waybill_protocol::{ActionKind, OrderStatus};

use crate::db::StorageResult;

/// What became of one of my actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    /// Waiting for the server.
    Pending,
    /// Applied by the server.
    Confirmed,
    /// Refused by the server (see the rejections).
    Refused,
    /// Withdrawn by the user before it was sent.
    Withdrawn,
}

impl ActionState {
    fn as_str(self) -> &'static str {
        match self {
            ActionState::Pending => "pending",
            ActionState::Confirmed => "confirmed",
            ActionState::Refused => "refused",
            ActionState::Withdrawn => "withdrawn",
        }
    }

    fn parse(s: &str) -> Option<ActionState> {
        [
            ActionState::Pending,
            ActionState::Confirmed,
            ActionState::Refused,
            ActionState::Withdrawn,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One line of an order's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// An action (`accept`, `pick_up`...) when `by_me`, else the server's new status.
    pub event: String,
    /// Whether this user did it on this device.
    pub by_me: bool,
    /// When it happened (device time for my actions, server time for its changes).
    pub at: DateTime<Utc>,
    /// The note of an exception report.
    pub note: Option<String>,
    /// For my actions, what became of them.
    pub state: Option<ActionState>,
}

/// Records an action the user just took (pending), keyed by its idempotency key.
pub fn record_mine(
    tx: &Transaction<'_>,
    order_id: &str,
    kind: ActionKind,
    note: Option<&str>,
    key: &str,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO order_history (order_id, event, source, at, note, state, action_key)
         VALUES (?1, ?2, 'me', ?3, seal(?4, 'order_history.note', ?5), 'pending', ?5)",
        params![order_id, kind.as_str(), at.to_rfc3339(), note, key],
    )?;
    Ok(())
}

/// Sets what became of the action with idempotency key `key`.
pub fn settle(tx: &Transaction<'_>, key: &str, state: ActionState) -> StorageResult<()> {
    tx.execute(
        "UPDATE order_history SET state = ?2 WHERE action_key = ?1",
        params![key, state.as_str()],
    )?;
    Ok(())
}

/// Updates the note of a pending action (the user edited it before it was sent).
pub fn edit_note(tx: &Transaction<'_>, key: &str, note: &str) -> StorageResult<()> {
    tx.execute(
        "UPDATE order_history SET note = seal(?2, 'order_history.note', ?1) WHERE action_key = ?1",
        params![key, note],
    )?;
    Ok(())
}

/// Records a status change the server made.
pub fn record_server(
    tx: &Transaction<'_>,
    order_id: &str,
    status: OrderStatus,
    at: DateTime<Utc>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO order_history (order_id, event, source, at) VALUES (?1, ?2, 'server', ?3)",
        params![order_id, status.as_str(), at.to_rfc3339()],
    )?;
    Ok(())
}

/// When the last delivery this device saw happened: the driver's own `deliver`, or the
/// server's `delivered` status of an errand.
pub fn last_delivery(conn: &Connection) -> StorageResult<Option<DateTime<Utc>>> {
    let at: Option<String> = conn.query_row(
        "SELECT max(at) FROM order_history
         WHERE (source = 'me' AND event = 'deliver' AND state IN ('pending', 'confirmed'))
            OR (source = 'server' AND event = 'delivered')",
        [],
        |r| r.get(0),
    )?;
    Ok(at
        .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// An order's history, oldest first.
pub fn list(conn: &Connection, order_id: &str) -> StorageResult<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare(
        "SELECT event, source = 'me', at, unseal(note, 'order_history.note', action_key), state
         FROM order_history
         WHERE order_id = ?1 ORDER BY at, seq",
    )?;
    let rows = stmt.query_map([order_id], |r| {
        let at: String = r.get(2)?;
        let state: Option<String> = r.get(4)?;
        Ok(HistoryEntry {
            event: r.get(0)?,
            by_me: r.get(1)?,
            at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            note: r.get(3)?,
            state: state.as_deref().and_then(ActionState::parse),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
