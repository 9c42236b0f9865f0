//! Where the device holds personal data, in one registry: each table keeps the purpose a
//! row was collected for, so a withdrawal purges by purpose and the retention sweep reads
//! the purpose's period from the manifest in force. Each engine declares its own tables
//! (`orders::HOLDINGS`, `track::HOLDINGS`, `proof::HOLDINGS`, `account::real_name`) and the
//! client registers them; a table left out is neither purged nor swept (the schema
//! registry test in `client.rs` fails on any table or column not declared personal or
//! non-personal).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use super::manifest::{Manifest, RetentionStart};
use crate::db::StorageResult;
use crate::purpose::Purpose;

/// When a row's retention period starts, as SQL the sweep can answer from an index: the
/// dates are plain (unsealed) RFC 3339 text in UTC, compared as text with a cutoff
/// computed once, never through a function of the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// A timestamp column of the row itself.
    Column(&'static str),
    /// The close time of the row's order (its `order_id`), found through the orders'
    /// index on `closed_at`.
    OrderClosed,
    /// A timestamp column of the row, counted only once the row's order has closed.
    ColumnOnceClosed(&'static str),
}

/// One table of personal data, declared by the engine that owns it.
#[derive(Debug)]
pub struct Holding {
    /// The table.
    pub table: &'static str,
    /// SQL giving a row's manifest categories, comma-separated (transparency log, counts).
    pub categories: &'static str,
    /// SQL giving the purpose a row was collected for: its `purpose` column, or
    /// `{order_purpose}` for rows that exist only as part of their order (history, queued
    /// actions, rejections), which serve the order's purpose.
    pub purpose: &'static str,
    /// The purposes the owning engine writes the table for (their tickets): the sweep
    /// looks for expired rows of these only, so a table is never scanned for a purpose
    /// it cannot hold.
    pub written_for: &'static [Purpose],
    /// When a row's period starts, per start event (`None`: that event never applies to
    /// this table, so the clock has not started).
    pub clock: fn(RetentionStart) -> Option<Clock>,
    /// Rows kept through an erasure request because an open contract still needs them.
    pub needed_for_open_order: Option<&'static str>,
    /// The row belongs to an order (`order_id`): nothing of an order outlives its record,
    /// so when the order's record expires, this row goes with it whatever its purpose.
    pub order_bound: bool,
}

/// How a table of the device database is held. Every table is declared by the engine
/// that owns it, column by column (`the_schema_registry_declares_every_table_and_column`
/// in `client.rs` fails on a table or column that is not).
#[derive(Debug)]
pub struct TableDecl {
    /// The table.
    pub table: &'static str,
    /// What its rows are.
    pub held: Held,
    /// Columns holding personal values (sealed at rest, or a time or state that says
    /// something about the person).
    pub personal: &'static [&'static str],
    /// Columns without a personal value.
    pub plain: &'static [&'static str],
    /// Why the plain columns hold nothing personal.
    pub why_plain: &'static str,
}

/// What the rows of a declared table are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Personal data kept for a purpose: a registered [`Holding`], purged with the purpose
    /// and swept by its retention.
    ForPurpose,
    /// The account's own records on this device (its session, number, consent receipts,
    /// rights requests, the log of what was done with its data), kept while the account
    /// is signed in here and wiped at sign-out or closing: the reason.
    WithAccount(&'static str),
    /// Nothing personal: the reason.
    NotPersonal(&'static str),
}

/// What the order engine tells the registry about orders, so the privacy engine sweeps
/// order-bound rows without naming the order tables itself.
#[derive(Debug, Clone, Copy)]
pub struct OrderClock {
    /// The table of order records.
    pub table: &'static str,
    /// SQL selecting the ids of orders closed at or before `?2`.
    pub closed_by: &'static str,
    /// SQL selecting the ids of orders of purpose `?1` closed at or before `?2`.
    pub closed_for_purpose_by: &'static str,
    /// SQL selecting the ids of every closed order.
    pub closed: &'static str,
    /// SQL giving the purpose of the order of a row of `{table}`.
    pub purpose_of_row: &'static str,
}

/// Every personal table of the device, put together by the client from each engine's
/// declarations, so the privacy engine purges, sweeps and counts tables it does not own
/// without naming them.
#[derive(Debug)]
pub struct Registry {
    holdings: Vec<&'static Holding>,
    orders: OrderClock,
}

impl Registry {
    /// The registry of `holdings`, with what the order engine says about orders.
    pub fn new(holdings: Vec<&'static Holding>, orders: OrderClock) -> Registry {
        Registry { holdings, orders }
    }

    /// A registry of no table (unit tests of other parts).
    pub fn empty() -> Registry {
        Registry::new(
            vec![],
            OrderClock {
                table: "",
                closed_by: "SELECT NULL WHERE 0",
                closed_for_purpose_by: "SELECT NULL WHERE 0",
                closed: "SELECT NULL WHERE 0",
                purpose_of_row: "NULL",
            },
        )
    }

    /// The registered tables.
    pub fn tables(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.holdings.iter().map(|h| h.table)
    }

    /// The registered holdings.
    pub fn holdings(&self) -> impl Iterator<Item = &'static Holding> + '_ {
        self.holdings.iter().copied()
    }

    fn purpose_of(&self, h: &Holding) -> String {
        let of_order = self.orders.purpose_of_row.replace("{table}", h.table);
        h.purpose.replace("{order_purpose}", &of_order)
    }

    /// The condition of an expired row of purpose `?1`, its period ending at `?2`.
    fn expired(&self, h: &Holding, clock: Clock) -> String {
        // `+` keeps the planner on the clock's index rather than a scan by purpose.
        let purpose = self.purpose_of(h);
        match clock {
            Clock::Column(c) => format!("{c} <= ?2 AND +{purpose} = ?1"),
            Clock::OrderClosed => {
                format!(
                    "order_id IN ({}) AND +{purpose} = ?1",
                    self.orders.closed_by
                )
            }
            Clock::ColumnOnceClosed(c) => format!(
                "order_id IN ({}) AND {c} <= ?2 AND +{purpose} = ?1",
                self.orders.closed
            ),
        }
    }
}

/// The privacy engine's tables, column by column.
pub const TABLES: &[TableDecl] = &[
    TableDecl {
        table: "consent_ledger",
        held: Held::WithAccount("the person's decisions, hash-chained: the proof of consent"),
        personal: &["kind", "purpose", "asked_via", "at"],
        plain: &["seq", "policy_version", "prev_hash", "hash"],
        why_plain: "the chain's order and hashes and the policy version",
    },
    TableDecl {
        table: "consent_receipts_sent",
        held: Held::NotPersonal("which ledger entries the server has (sequence numbers)"),
        personal: &[],
        plain: &["seq"],
        why_plain: "sequence numbers",
    },
    TableDecl {
        table: "manifests",
        held: Held::NotPersonal("the policies as published, the same for every user"),
        personal: &[],
        plain: &["version", "document", "installed_at", "active"],
        why_plain: "the published policy documents",
    },
    TableDecl {
        table: "permissions",
        held: Held::WithAccount("what the person answered to each OS permission, and when"),
        personal: &["state", "updated_at", "last_refused_at"],
        plain: &["permission"],
        why_plain: "the permission's name",
    },
    TableDecl {
        table: "rights_requests",
        held: Held::WithAccount(
            "the person's requests and the answers (text sealed), kept to show their status \
             and deadline, and 90 days after the server closed them",
        ),
        personal: &[
            "detail",
            "answer",
            "step_up_code",
            "created_at",
            "submitted_at",
            "answered_at",
        ],
        plain: &["id", "kind", "status", "due_at"],
        why_plain: "the request's id, kind, state and deadline",
    },
    TableDecl {
        table: "transparency_log",
        held: Held::WithAccount("what was collected, sent and deleted, kept 365 days"),
        personal: &["at", "items"],
        plain: &["seq", "action", "purpose", "categories", "recipient"],
        why_plain: "kinds of action, purposes, categories and recipients: no value",
    },
    TableDecl {
        table: "sqlite_sequence",
        held: Held::NotPersonal("SQLite's own counters of AUTOINCREMENT tables"),
        personal: &[],
        plain: &["name", "seq"],
        why_plain: "table names and counters",
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
    registry: &Registry,
    h: &Holding,
    condition: &str,
    params: impl rusqlite::Params,
) -> StorageResult<Vec<Removed>> {
    let mut stmt = tx.prepare_cached(&format!(
        "DELETE FROM {} WHERE {condition} RETURNING {}, {}",
        h.table,
        registry.purpose_of(h),
        h.categories
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
        let condition = format!("{} = ?1", registry.purpose_of(h));
        out.extend(delete_where(tx, registry, h, &condition, [purpose])?);
    }
    Ok(out)
}

/// The retention sweep: deletes each row whose purpose's period, counted from the
/// purpose's start event, has ended at `now`. Each delete runs on an index (the clock's
/// column, or the orders closed by the cutoff), so the sweep at every start costs what it
/// deletes, not what is held (`benches/open_sweep.rs`). With `all_purposes` it also
/// deletes every row whose purpose the manifest in force no longer declares (no basis is
/// left for it): a scan, which the caller runs only when the manifest changed.
pub fn sweep(
    tx: &Transaction<'_>,
    registry: &Registry,
    manifest: &Manifest,
    now: DateTime<Utc>,
    all_purposes: bool,
) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    // Order records last: what belongs to an order is swept before the order it names.
    let mut holdings = registry.holdings.clone();
    holdings.sort_by_key(|h| h.table == registry.orders.table);
    for h in holdings {
        for written in h.written_for {
            let Some(p) = manifest.purpose(written.id()) else {
                continue;
            };
            let Some(clock) = (h.clock)(p.retention.from) else {
                continue;
            };
            let cutoff = (now - chrono::Duration::days(i64::from(p.retention.days))).to_rfc3339();
            if h.table == registry.orders.table {
                let of_expired = format!("order_id IN ({})", registry.orders.closed_for_purpose_by);
                for bound in registry.holdings.iter().filter(|b| b.order_bound) {
                    out.extend(delete_where(
                        tx,
                        registry,
                        bound,
                        &of_expired,
                        params![p.id, cutoff],
                    )?);
                }
            }
            let condition = registry.expired(h, clock);
            out.extend(delete_where(
                tx,
                registry,
                h,
                &condition,
                params![p.id, cutoff],
            )?);
        }
        if all_purposes {
            let declared =
                serde_json::to_string(&manifest.purposes.iter().map(|p| &p.id).collect::<Vec<_>>())
                    .expect("a list of strings always serializes");
            let condition = format!(
                "{} NOT IN (SELECT value FROM json_each(?1))",
                registry.purpose_of(h)
            );
            out.extend(delete_where(tx, registry, h, &condition, [&declared])?);
        }
    }
    Ok(out)
}

/// Erasure at the user's request: deletes every personal row except those an order the
/// driver still holds cannot do without (PIPL Art. 47 allows keeping what a contract
/// in performance needs).
pub fn erase(tx: &Transaction<'_>, registry: &Registry) -> StorageResult<Vec<Removed>> {
    erase_keeping(tx, registry, |h| h.needed_for_open_order.unwrap_or("0"))
}

/// Erasure when the service stopped (P-70): no contract is in performance any more, so
/// every personal row goes, open orders' too.
pub fn erase_all(tx: &Transaction<'_>, registry: &Registry) -> StorageResult<Vec<Removed>> {
    erase_keeping(tx, registry, |_| "0")
}

fn erase_keeping(
    tx: &Transaction<'_>,
    registry: &Registry,
    keep: impl Fn(&Holding) -> &'static str,
) -> StorageResult<Vec<Removed>> {
    let mut out = vec![];
    for h in &registry.holdings {
        out.extend(delete_where(
            tx,
            registry,
            h,
            &format!("NOT ({})", keep(h)),
            [],
        )?);
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
