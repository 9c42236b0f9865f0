//! The transparency log: what was collected, received, sent, purged, expired, exported or
//! erased, when, for which purpose, which categories, to whom and how many items. It never
//! holds the values themselves. Repeated events (a fix a second) coalesce into one row per
//! hour, so the log stays small and readable.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::holdings::Removed;
use crate::db::StorageResult;

/// What happened to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataAction {
    /// Recorded on the device.
    Collected,
    /// Received from the server (e.g. a consignee's contact).
    Received,
    /// Sent to a recipient.
    Sent,
    /// Deleted after a withdrawal.
    Purged,
    /// Deleted because its retention ended.
    Expired,
    /// Copied out for the user (right of access).
    Exported,
    /// Deleted at the user's request.
    Erased,
}

impl DataAction {
    fn as_str(self) -> &'static str {
        match self {
            DataAction::Collected => "collected",
            DataAction::Received => "received",
            DataAction::Sent => "sent",
            DataAction::Purged => "purged",
            DataAction::Expired => "expired",
            DataAction::Exported => "exported",
            DataAction::Erased => "erased",
        }
    }

    fn parse(s: &str) -> Option<DataAction> {
        [
            DataAction::Collected,
            DataAction::Received,
            DataAction::Sent,
            DataAction::Purged,
            DataAction::Expired,
            DataAction::Exported,
            DataAction::Erased,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct DataEvent {
    /// When it (first) happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub action: DataAction,
    /// For which purpose.
    pub purpose: String,
    /// Category ids.
    pub categories: Vec<String>,
    /// Who received it, for `Sent` (and who sent it, for `Received`).
    pub recipient: Option<String>,
    /// How many items.
    pub items: u32,
}

impl DataEvent {
    /// An event at `at`.
    pub fn new(
        action: DataAction,
        purpose: &str,
        categories: &[&str],
        recipient: Option<&str>,
        items: usize,
        at: DateTime<Utc>,
    ) -> DataEvent {
        DataEvent {
            at,
            action,
            purpose: purpose.to_string(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            recipient: recipient.map(str::to_owned),
            items: u32::try_from(items).unwrap_or(u32::MAX),
        }
    }
}

/// How long a log line may absorb repeats of the same event.
const COALESCE_WINDOW: Duration = Duration::hours(1);
/// Log lines older than this are dropped by the retention sweep.
pub const KEEP_DAYS: i64 = 365;

/// Appends an event, or adds `items` to the latest line if it is the same event within
/// the last hour.
pub fn record(tx: &Transaction<'_>, event: &DataEvent) -> StorageResult<()> {
    let categories = event.categories.join(",");
    let latest: Option<(i64, String, String, String, Option<String>)> = tx
        .query_row(
            "SELECT seq, at, action, purpose || '|' || categories, recipient
             FROM transparency_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    if let Some((seq, at, action, key, recipient)) = latest {
        let recent = DateTime::parse_from_rfc3339(&at)
            .is_ok_and(|t| event.at - t.with_timezone(&Utc) < COALESCE_WINDOW);
        if recent
            && action == event.action.as_str()
            && key == format!("{}|{categories}", event.purpose)
            && recipient == event.recipient
        {
            tx.execute(
                "UPDATE transparency_log SET items = items + ?2 WHERE seq = ?1",
                params![seq, event.items],
            )?;
            return Ok(());
        }
    }
    tx.execute(
        "INSERT INTO transparency_log (at, action, purpose, categories, recipient, items)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            event.at.to_rfc3339(),
            event.action.as_str(),
            event.purpose,
            categories,
            event.recipient,
            event.items
        ],
    )?;
    Ok(())
}

/// Records deletions (purge, sweep, erasure) as log lines.
pub fn record_removed(
    tx: &Transaction<'_>,
    action: DataAction,
    removed: &[Removed],
    now: DateTime<Utc>,
) -> StorageResult<()> {
    for r in removed {
        record(
            tx,
            &DataEvent {
                at: now,
                action,
                purpose: r.purpose.clone(),
                categories: r.categories.clone(),
                recipient: None,
                items: r.items,
            },
        )?;
    }
    Ok(())
}

/// The latest `limit` lines, newest first.
pub fn recent(conn: &Connection, limit: u32) -> StorageResult<Vec<DataEvent>> {
    let mut stmt = conn.prepare(
        "SELECT at, action, purpose, categories, recipient, items
         FROM transparency_log ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        let at: String = r.get(0)?;
        let action: String = r.get(1)?;
        let categories: String = r.get(3)?;
        Ok(DataEvent {
            at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            action: DataAction::parse(&action).unwrap_or(DataAction::Collected),
            purpose: r.get(2)?,
            categories: categories
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            recipient: r.get(4)?,
            items: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Drops lines older than [`KEEP_DAYS`].
pub fn prune(tx: &Transaction<'_>, now: DateTime<Utc>) -> StorageResult<usize> {
    // A text cutoff on the indexed column: the log is pruned at every start.
    let cutoff = (now - chrono::Duration::days(KEEP_DAYS)).to_rfc3339();
    Ok(tx.execute("DELETE FROM transparency_log WHERE at <= ?1", [cutoff])?)
}
