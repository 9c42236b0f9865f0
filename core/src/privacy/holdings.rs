//! Where the device holds personal data, in one registry: each table keeps the purpose a
//! row was collected for, so a withdrawal purges by purpose and the retention sweep reads
//! the purpose's period from the manifest in force. Each engine declares its own tables
//! (`orders::HOLDINGS`, `track::HOLDINGS`, `proof::HOLDINGS`) and the client registers
//! them; a table left out is neither purged nor swept
//! (`every_personal_table_is_registered` in `client.rs` checks the schema).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use super::manifest::{Manifest, RetentionStart};
use crate::db::StorageResult;

/// One table of personal data, declared by the engine that owns it.
#[derive(Debug)]
pub struct Holding {
    /// The table.
    pub table: &'static str,
    /// SQL giving a row's manifest categories, comma-separated (transparency log, counts).
    pub categories: &'static str,
    /// SQL giving the time a row's retention clock started, per start event (`None`:
    /// that event never applies to this table, so the clock has not started).
    /// `{order_closed_at}` stands for the close time of the row's order (its `order_id`),
    /// which the order engine knows how to read.
    pub clock: fn(RetentionStart) -> Option<&'static str>,
    /// Rows kept through an erasure request because an open contract still needs them.
    pub needed_for_open_order: Option<&'static str>,
}

/// Every personal table of the device, put together by the client from each engine's
/// declarations, so the privacy engine purges, sweeps and counts tables it does not own
/// without naming them.
#[derive(Debug)]
pub struct Registry {
    holdings: Vec<&'static Holding>,
    /// SQL giving the close time of the order `{table}.order_id` (from the order engine).
    order_closed_at: &'static str,
}

impl Registry {
    /// The registry of `holdings`; `order_closed_at` reads the close time of the order of
    /// a row of `{table}`.
    pub fn new(holdings: Vec<&'static Holding>, order_closed_at: &'static str) -> Registry {
        Registry {
            holdings,
            order_closed_at,
        }
    }

    /// The registered tables.
    pub fn tables(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.holdings.iter().map(|h| h.table)
    }

    fn clock(&self, h: &Holding, from: RetentionStart) -> Option<String> {
        let order_closed_at = self.order_closed_at.replace("{table}", h.table);
        (h.clock)(from).map(|c| c.replace("{order_closed_at}", &order_closed_at))
    }
}

/// Rows removed from one table for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// Purpose the rows were collected for.
    pub purpose: String,
    /// Their categories.
    pub categories: Vec<String>,
    /// How many rows.
    pub items: u32,
}

/// Deletes the rows of `h` matching `condition` and returns one `Removed` per purpose
/// and category set among them.
fn delete_where(
    tx: &Transaction<'_>,
    h: &Holding,
    condition: &str,
    params: impl rusqlite::Params,
) -> StorageResult<Vec<Removed>> {
    let mut stmt = tx.prepare(&format!(
        "DELETE FROM {} WHERE {condition} RETURNING purpose, {}",
        h.table, h.categories
    ))?;
    let mut rows: Vec<(String, String)> = stmt
        .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.sort();
    Ok(rows
        .chunk_by(|a, b| a == b)
        .map(|run| Removed {
            purpose: run[0].0.clone(),
            categories: run[0].1.split(',').map(str::to_owned).collect(),
            items: u32::try_from(run.len()).unwrap_or(u32::MAX),
        })
        .collect())
}

/// Deletes everything held for `purpose` (its consent was withdrawn or refused). The
/// caller checkpoints the WAL after the commit.
pub fn purge_purpose(
    tx: &Transaction<'_>,
    registry: &Registry,
    purpose: &str,
) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in &registry.holdings {
        out.extend(delete_where(tx, h, "purpose = ?1", [purpose])?);
    }
    Ok(out)
}

/// The retention sweep: deletes each row whose purpose's period, counted from the
/// purpose's start event, has ended at `now`, and every row whose purpose the manifest
/// in force no longer declares (no basis is left for it).
pub fn sweep(
    tx: &Transaction<'_>,
    registry: &Registry,
    manifest: &Manifest,
    now: DateTime<Utc>,
) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    let now = now.to_rfc3339();
    let declared =
        serde_json::to_string(&manifest.purposes.iter().map(|p| &p.id).collect::<Vec<_>>())
            .expect("a list of strings always serializes");
    for h in &registry.holdings {
        for p in &manifest.purposes {
            let Some(clock) = registry.clock(h, p.retention.from) else {
                continue;
            };
            out.extend(delete_where(
                tx,
                h,
                &format!(
                    "purpose = ?1 AND {clock} IS NOT NULL AND julianday({clock}) + ?2 <= julianday(?3)"
                ),
                params![p.id, p.retention.days, now],
            )?);
        }
        out.extend(delete_where(
            tx,
            h,
            "purpose NOT IN (SELECT value FROM json_each(?1))",
            [&declared],
        )?);
    }
    Ok(out)
}

/// Erasure at the user's request: deletes every personal row except those an order the
/// driver still holds cannot do without (PIPL Art. 47 allows keeping what a contract
/// in performance needs).
pub fn erase(tx: &Transaction<'_>, registry: &Registry) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in &registry.holdings {
        let keep = h.needed_for_open_order.unwrap_or("0");
        out.extend(delete_where(tx, h, &format!("NOT ({keep})"), [])?);
    }
    Ok(out)
}

/// Rows held per category, for the settings screen ("data held").
pub fn counts(conn: &Connection, registry: &Registry) -> StorageResult<Vec<(String, u32)>> {
    let mut out: Vec<(String, u32)> = vec![];
    for h in &registry.holdings {
        let mut stmt = conn.prepare(&format!(
            "SELECT {}, count(*) FROM {} GROUP BY 1",
            h.categories, h.table
        ))?;
        let rows: Vec<(String, u32)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (categories, n) in rows {
            for c in categories.split(',') {
                out.push((c.to_string(), n));
            }
        }
    }
    Ok(out)
}
