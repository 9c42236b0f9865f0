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
    /// SQL giving a row's manifest categories, comma-separated (transparency log, counts).
    categories: &'static str,
    /// SQL giving the time a row's retention clock started, per start event (`None`:
    /// that event never applies to this table, so the clock has not started).
    clock: fn(RetentionStart) -> Option<&'static str>,
    /// Rows kept through an erasure request because an open contract still needs them.
    needed_for_open_order: Option<&'static str>,
}

const HOLDINGS: &[Holding] = &[
    Holding {
        table: "order_parties",
        categories: "category",
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
        categories: "'precise_location,trajectory'",
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
    Holding {
        table: "proofs",
        categories: "'proof_photos'",
        clock: |from| match from {
            RetentionStart::Collected => Some("collected_at"),
            RetentionStart::OrderClosed => {
                Some("(SELECT o.closed_at FROM orders o WHERE o.id = proofs.order_id)")
            }
            // The photo itself is deleted when its upload completes; the record (hash,
            // kind, step — no image) stays while the order is open, as the proof that
            // the step's requirement is met.
            RetentionStart::Uploaded => Some(
                "(SELECT CASE WHEN o.closed_at IS NULL THEN NULL ELSE proofs.uploaded_at END
                  FROM orders o WHERE o.id = proofs.order_id)",
            ),
            RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: None,
    },
    Holding {
        table: "proof_fixes",
        categories: "'precise_location'",
        clock: |from| match from {
            RetentionStart::Collected => Some("collected_at"),
            RetentionStart::OrderClosed => {
                Some("(SELECT o.closed_at FROM orders o WHERE o.id = proof_fixes.order_id)")
            }
            RetentionStart::Uploaded | RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: None,
    },
    Holding {
        table: "track_events",
        categories: "'trajectory'",
        clock: |from| match from {
            RetentionStart::Collected => Some("collected_at"),
            RetentionStart::OrderClosed => {
                Some("(SELECT o.closed_at FROM orders o WHERE o.id = track_events.order_id)")
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
pub fn purge_purpose(tx: &Transaction<'_>, purpose: &str) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in HOLDINGS {
        out.extend(delete_where(tx, h, "purpose = ?1", [purpose])?);
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
    let declared =
        serde_json::to_string(&manifest.purposes.iter().map(|p| &p.id).collect::<Vec<_>>())
            .expect("a list of strings always serializes");
    for h in HOLDINGS {
        for p in &manifest.purposes {
            let Some(clock) = (h.clock)(p.retention.from) else {
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
pub fn erase(tx: &Transaction<'_>) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in HOLDINGS {
        let keep = h.needed_for_open_order.unwrap_or("0");
        out.extend(delete_where(tx, h, &format!("NOT ({keep})"), [])?);
    }
    Ok(out)
}

/// Rows held per category, for the settings screen ("data held").
pub fn counts(conn: &Connection) -> StorageResult<Vec<(String, u32)>> {
    let mut out: Vec<(String, u32)> = vec![];
    for h in HOLDINGS {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_personal_table_is_registered() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(dir.path(), &crate::db::test_key()).unwrap();
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
