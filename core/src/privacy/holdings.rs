//! Where the device holds personal data, in one registry: each table keeps the purpose a
//! row was collected for, so a withdrawal purges by purpose and the retention sweep reads
//! the purpose's period from the manifest in force. A new personal table is added here or
//! it is neither purged nor swept (`every_personal_table_is_registered` checks the schema).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use super::manifest::{Manifest, RetentionStart};
use crate::db::StorageResult;

/// One table of personal data.
struct Holding {
    table: &'static str,
    /// Manifest categories its rows carry (for the transparency log).
    categories: &'static [&'static str],
    /// SQL giving the time a row's retention clock started, per start event (`None`:
    /// that event never applies to this table, so the clock has not started).
    clock: fn(RetentionStart) -> Option<&'static str>,
    /// Rows kept through an erasure request because an open contract still needs them.
    needed_for_open_order: Option<&'static str>,
}

const HOLDINGS: &[Holding] = &[
    Holding {
        table: "order_parties",
        categories: &["consignee_contact"],
        clock: |from| match from {
            RetentionStart::Collected => Some("collected_at"),
            RetentionStart::OrderClosed => {
                Some("(SELECT o.closed_at FROM orders o WHERE o.id = order_parties.order_id)")
            }
            RetentionStart::Uploaded | RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: Some(
            "order_id IN (SELECT id FROM orders WHERE assigned_to_me = 1 AND closed_at IS NULL)",
        ),
    },
    Holding {
        table: "track_fixes",
        categories: &["precise_location", "trajectory"],
        clock: |from| match from {
            RetentionStart::Collected => Some("collected_at"),
            RetentionStart::OrderClosed => {
                Some("(SELECT o.closed_at FROM orders o WHERE o.id = track_fixes.order_id)")
            }
            RetentionStart::Uploaded => Some("sent_at"),
            RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: None,
    },
];

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

fn removed(purpose: &str, holding: &Holding, items: usize) -> Option<Removed> {
    (items > 0).then(|| Removed {
        purpose: purpose.to_string(),
        categories: holding.categories.iter().map(|c| c.to_string()).collect(),
        items: u32::try_from(items).unwrap_or(u32::MAX),
    })
}

/// Deletes everything held for `purpose` (its consent was withdrawn or refused). The
/// caller checkpoints the WAL after the commit.
pub fn purge_purpose(tx: &Transaction<'_>, purpose: &str) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in HOLDINGS {
        let n = tx.execute(
            &format!("DELETE FROM {} WHERE purpose = ?1", h.table),
            [purpose],
        )?;
        out.extend(removed(purpose, h, n));
    }
    Ok(out)
}

/// The retention sweep: deletes each row whose purpose's period, counted from the
/// purpose's start event, has ended at `now`, and every row whose purpose the manifest
/// in force no longer declares (no basis is left for it).
pub fn sweep(
    tx: &Transaction<'_>,
    manifest: &Manifest,
    now: DateTime<Utc>,
) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    let now = now.to_rfc3339();
    for h in HOLDINGS {
        for p in &manifest.purposes {
            let Some(clock) = (h.clock)(p.retention.from) else {
                continue;
            };
            let n = tx.execute(
                &format!(
                    "DELETE FROM {} WHERE purpose = ?1 AND {clock} IS NOT NULL
                       AND julianday({clock}) + ?2 <= julianday(?3)",
                    h.table
                ),
                params![p.id, p.retention.days, now],
            )?;
            out.extend(removed(&p.id, h, n));
        }
        let declared =
            serde_json::to_string(&manifest.purposes.iter().map(|p| &p.id).collect::<Vec<_>>())
                .expect("a list of strings always serializes");
        let mut stmt = tx.prepare(&format!(
            "DELETE FROM {} WHERE purpose NOT IN (SELECT value FROM json_each(?1)) RETURNING purpose",
            h.table
        ))?;
        let orphans = stmt
            .query_map([&declared], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        out.extend(by_purpose(orphans, h));
    }
    Ok(out)
}

/// Erasure at the user's request: deletes every personal row except those an order the
/// driver still holds cannot do without (PIPL Art. 47 allows keeping what a contract
/// in performance needs).
pub fn erase(tx: &Transaction<'_>) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in HOLDINGS {
        let keep = h.needed_for_open_order.unwrap_or("0");
        let mut stmt = tx.prepare(&format!(
            "DELETE FROM {} WHERE NOT ({keep}) RETURNING purpose",
            h.table
        ))?;
        let purposes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        out.extend(by_purpose(purposes, h));
    }
    Ok(out)
}

/// One `Removed` per purpose among the purposes of deleted rows.
fn by_purpose(mut purposes: Vec<String>, h: &Holding) -> Vec<Removed> {
    purposes.sort();
    purposes
        .chunk_by(|a, b| a == b)
        .filter_map(|run| removed(&run[0], h, run.len()))
        .collect()
}

/// Rows held per category, for the settings screen ("data held").
pub fn counts(conn: &Connection) -> StorageResult<Vec<(String, u32)>> {
    let mut out: Vec<(String, u32)> = vec![];
    for h in HOLDINGS {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {}", h.table), [], |r| {
            r.get(0)
        })?;
        for c in h.categories {
            out.push((c.to_string(), u32::try_from(n).unwrap_or(u32::MAX)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_personal_table_is_registered() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(dir.path()).unwrap();
        // A table with a `purpose` column holds data collected for a purpose.
        let tables: Vec<String> = db
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND p.name = 'purpose' AND m.name != 'consent_ledger'
                       AND m.name != 'transparency_log'",
                )?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        let registered: Vec<&str> = HOLDINGS.iter().map(|h| h.table).collect();
        for t in &tables {
            assert!(registered.contains(&t.as_str()), "{t} is not in HOLDINGS");
        }
        assert_eq!(tables.len(), registered.len());
    }
}
