//! Waybill query (seed 000): anyone holding a waybill number sees its order's status and
//! public milestones (`GET /v1/waybills/{number}`, no credential, nothing personal in or
//! out); a signed-in shipper may follow a number and is told of its changes (a `waybills`
//! push, and every sync while something is followed). What was looked up or followed is
//! convenience data (P-39): kept only under the `convenience` consent, listed, forgotten one
//! by one or all at once, swept 90 days after it was last looked up. The server's list of
//! follows is brought in line with the device's at the next sync, so forgetting, clearing
//! and a withdrawal work offline and still reach the server.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use waybill_protocol::OrderStatus;
use waybill_protocol::waybills::{
    FollowedNumbers, MAX_FOLLOWED, Milestone, WaybillStatus, is_waybill_number,
};

use crate::db::StorageResult;
use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::net::NetError;
use crate::privacy::gate::Gate;
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::session::Session;

/// The manifest category of a kept waybill.
const CATEGORY: &str = "convenience_data";

/// Waybills kept at most (the oldest looked-up, not followed, goes first).
pub const MAX_KEPT: usize = 100;

/// Milestones a reply may carry: an order has a handful; a server sending more is lying.
const MAX_MILESTONES: usize = 500;

/// A waybill kept on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptWaybill {
    /// The waybill number.
    pub number: String,
    /// Its status when last checked.
    pub status: OrderStatus,
    /// Its public milestones when last checked, oldest first.
    pub milestones: Vec<Milestone>,
    /// Whether this account follows it.
    pub followed: bool,
    /// When the person last looked it up or followed it (retention runs from then).
    pub queried_at: DateTime<Utc>,
    /// When the server last told its status.
    pub checked_at: DateTime<Utc>,
}

/// The waybills engine.
pub(crate) struct Waybills {
    services: Arc<Services>,
    gate: Arc<Gate>,
}

/// A number the person typed or scanned, checked before anything is sent: a mistyped
/// digit fails the check digit.
fn checked(number: &str) -> Result<String> {
    let number = number.trim();
    if is_waybill_number(number) {
        Ok(number.to_string())
    } else {
        Err(Error::InvalidInput {
            reason: "not a waybill number: 18 digits, the last a check digit".into(),
        })
    }
}

/// What the server said about `number`, believed only if it is about `number` and sized
/// like an order's life.
fn believed(number: &str, status: WaybillStatus) -> Result<WaybillStatus> {
    if status.number != number || status.milestones.len() > MAX_MILESTONES {
        return Err(Error::ProtocolViolation {
            reason: "a waybill reply about another number, or with too many milestones".into(),
        });
    }
    Ok(status)
}

impl Waybills {
    /// The engine over the shared services.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>) -> Waybills {
        Waybills { services, gate }
    }

    /// A waybill's public status; `None` when no order has the number. Kept (and logged)
    /// only under the `convenience` consent; without it nothing of the query stays.
    pub(crate) async fn query(&self, number: &str) -> Result<Option<WaybillStatus>> {
        let number = checked(number)?;
        let status = match self.services.api.waybill(&number).await {
            Ok(status) => believed(&number, status)?,
            Err(NetError::Rejected { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if let Ok(basis) = self.gate.check(Purpose::Convenience) {
            let (gate, kept) = (Arc::clone(&self.gate), status.clone());
            self.services
                .blocking(move |s| {
                    s.db.write(|tx| {
                        keep(tx, &kept, None, true)?;
                        gate.record(tx, DataAction::Collected, &basis, &[CATEGORY], 1)?;
                        Ok::<_, Error>(())
                    })
                })
                .await?;
        }
        Ok(Some(status))
    }

    /// Follows a waybill: the server tells this account of its changes. Needs the
    /// `convenience` consent (the number is kept to be followed) and a session;
    /// `OrderNotFound` when no order has the number.
    pub(crate) async fn follow(&self, session: &Session, number: &str) -> Result<WaybillStatus> {
        let number = checked(number)?;
        let basis = self.gate.ticket(Purpose::Convenience).await?;
        let followed = self.services.blocking(|s| Ok(s.db.read(followed)?)).await?;
        if followed.len() >= MAX_FOLLOWED && !followed.contains(&number) {
            return Err(Error::InvalidInput {
                reason: format!("at most {MAX_FOLLOWED} followed waybills: unfollow one first"),
            });
        }
        let status = match self
            .services
            .api
            .follow_waybill(&basis, &session.token, &number)
            .await
        {
            Ok(status) => believed(&number, status)?,
            Err(NetError::Rejected { status: 404, .. }) => {
                return Err(Error::OrderNotFound { order_id: number });
            }
            Err(e) => return Err(e.into()),
        };
        let (gate, kept) = (Arc::clone(&self.gate), status.clone());
        self.services
            .blocking(move |s| {
                s.db.write(|tx| {
                    keep(tx, &kept, Some(true), true)?;
                    meta::set(tx, MetaKey::WaybillFollows, "1")?;
                    gate.record(tx, DataAction::Sent, &basis, &[CATEGORY], 1)?;
                    Ok::<_, Error>(())
                })
            })
            .await?;
        Ok(status)
    }

    /// Stops following `number` (kept as looked up); the server hears at the next sync.
    pub(crate) fn unfollow(&self, number: &str) -> Result<bool> {
        let number = checked(number)?;
        self.services.db.write(|tx| {
            let rows = row_ids(tx, Some(&number))?;
            let mut changed = false;
            for (id, _, was_followed) in rows {
                if was_followed {
                    tx.execute("UPDATE waybills SET followed = 0 WHERE id = ?1", [id])?;
                    changed = true;
                }
            }
            Ok::<_, Error>(changed)
        })
    }

    /// Forgets `number` on the device (and, if followed, on the server at the next sync).
    pub(crate) fn forget(&self, number: &str) -> Result<bool> {
        let number = checked(number)?;
        self.services.db.write(|tx| {
            let mut removed = 0;
            for (id, _, _) in row_ids(tx, Some(&number))? {
                removed += tx.execute("DELETE FROM waybills WHERE id = ?1", [id])?;
            }
            Ok::<_, Error>(removed > 0)
        })
    }

    /// The waybills kept, most recently looked up first.
    pub(crate) fn kept(&self) -> Result<Vec<KeptWaybill>> {
        Ok(self.services.db.read(list)?)
    }

    /// The sync step: while the server may hold follows of this account, sends the
    /// device's list (dropping there what was forgotten, cleared or purged here) and
    /// keeps the statuses it returns. Returns the followed waybills refreshed; no request
    /// when nothing is or was followed.
    pub(crate) async fn sync(&self, session: &Session) -> Result<u32> {
        let (on_server, numbers) = self
            .services
            .blocking(|s| {
                Ok(s.db.read(|c| {
                    Ok::<_, crate::db::StorageError>((
                        meta::get(c, MetaKey::WaybillFollows)?.is_some(),
                        followed(c)?,
                    ))
                })?)
            })
            .await?;
        if !on_server && numbers.is_empty() {
            return Ok(0);
        }
        // Sending the numbers still followed re-sends data held under `convenience`: only
        // with the consent live (a withdrawal purged them: the list is then empty).
        let basis = if numbers.is_empty() {
            None
        } else {
            Some(self.gate.ticket(Purpose::Convenience).await?)
        };
        let reply = self
            .services
            .api
            .set_followed_waybills(
                &session.token,
                &FollowedNumbers {
                    numbers: numbers.clone(),
                },
            )
            .await?;
        let gate = Arc::clone(&self.gate);
        self.services
            .blocking(move |s| {
                s.db.write(|tx| {
                    let mut refreshed = 0;
                    for status in reply.waybills {
                        // Only what was asked about: a server cannot add to the list.
                        if numbers.contains(&status.number)
                            && status.milestones.len() <= MAX_MILESTONES
                        {
                            refreshed += keep(tx, &status, None, false)?;
                        }
                    }
                    if numbers.is_empty() {
                        meta::delete(tx, MetaKey::WaybillFollows)?;
                    }
                    if let (Some(basis), true) = (&basis, refreshed > 0) {
                        gate.record(tx, DataAction::Received, basis, &[CATEGORY], refreshed)?;
                    }
                    Ok::<_, Error>(u32::try_from(refreshed).unwrap_or(u32::MAX))
                })
            })
            .await
    }
}

/// Every kept row: its id, number and whether it is followed (numbers are sealed, so a
/// number is found by reading the kept ones, at most [`MAX_KEPT`]).
fn row_ids(conn: &Connection, number: Option<&str>) -> StorageResult<Vec<(i64, String, bool)>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, unseal(number, 'waybills.number', id), followed FROM waybills
             ORDER BY queried_at DESC, id DESC",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<(i64, String, bool)>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|(_, n, _)| number.is_none_or(|want| n == want))
        .collect())
}

/// The numbers followed.
fn followed(conn: &Connection) -> StorageResult<Vec<String>> {
    Ok(row_ids(conn, None)?
        .into_iter()
        .filter(|(_, _, f)| *f)
        .map(|(_, n, _)| n)
        .collect())
}

/// Keeps `status` (a new row, or the existing one updated); `followed` sets the flag when
/// given; `queried` marks a look-up by the person (retention restarts). Returns rows
/// written. Drops the oldest unfollowed rows beyond [`MAX_KEPT`].
fn keep(
    tx: &Transaction<'_>,
    status: &WaybillStatus,
    followed: Option<bool>,
    queried: bool,
) -> StorageResult<usize> {
    let now = Utc::now().to_rfc3339();
    let milestones = serde_json::to_string(&status.milestones).expect("milestones serialize");
    let existing = row_ids(tx, Some(&status.number))?
        .first()
        .map(|(id, _, _)| *id);
    let id = match existing {
        Some(id) => id,
        None if queried => {
            tx.execute(
                "INSERT INTO waybills (purpose, number, status, milestones, followed,
                     queried_at, checked_at)
                 VALUES (?1, x'', x'', x'', 0, ?2, ?2)",
                params![Purpose::Convenience.id(), now],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE waybills SET number = seal(?2, 'waybills.number', ?1) WHERE id = ?1",
                params![id, status.number],
            )?;
            id
        }
        // A refresh of a number forgotten meanwhile does not bring it back.
        None => return Ok(0),
    };
    tx.execute(
        "UPDATE waybills SET status = seal(?2, 'waybills.status', ?1),
             milestones = seal(?3, 'waybills.milestones', ?1),
             followed = coalesce(?4, followed),
             queried_at = CASE WHEN ?5 THEN ?6 ELSE queried_at END, checked_at = ?6
         WHERE id = ?1",
        params![
            id,
            status.status.as_str(),
            milestones,
            followed,
            queried,
            now
        ],
    )?;
    tx.execute(
        "DELETE FROM waybills WHERE followed = 0 AND id NOT IN (
             SELECT id FROM waybills ORDER BY queried_at DESC, id DESC LIMIT ?1)",
        [MAX_KEPT as i64],
    )?;
    Ok(1)
}

/// Every kept waybill, most recently looked up first.
fn list(conn: &Connection) -> StorageResult<Vec<KeptWaybill>> {
    let rows = conn
        .prepare_cached(
            "SELECT unseal(number, 'waybills.number', id), unseal(status, 'waybills.status', id),
                 unseal(milestones, 'waybills.milestones', id), followed, queried_at, checked_at
             FROM waybills ORDER BY queried_at DESC, id DESC",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let time = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .filter_map(|(number, status, milestones, followed, queried, checked)| {
            Some(KeptWaybill {
                number,
                status: OrderStatus::parse(&status)?,
                milestones: serde_json::from_str(&milestones).unwrap_or_default(),
                followed,
                queried_at: time(&queried),
                checked_at: time(&checked),
            })
        })
        .collect())
}

/// Kept waybills, for the privacy engine: purged with `convenience`, swept 90 days after
/// the last look-up.
pub const HOLDINGS: &[Holding] = &[Holding {
    table: "waybills",
    categories: "'convenience_data'",
    purpose: "purpose",
    written_for: &[Purpose::Convenience],
    clock: |start| match start {
        RetentionStart::Collected => Some(Clock::Column("queried_at")),
        _ => None,
    },
    needed_for_open_order: None,
    order_bound: false,
}];

/// The engine's table, column by column (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[TableDecl {
    table: "waybills",
    held: Held::ForPurpose,
    personal: &[
        "number",
        "status",
        "milestones",
        "followed",
        "queried_at",
        "checked_at",
    ],
    plain: &["id", "purpose"],
    why_plain: "the row's key and the purpose it is kept for",
}];

#[cfg(test)]
mod tests {
    use super::*;
    use waybill_protocol::waybills::{MilestoneKind, waybill_number_from};

    #[test]
    fn a_lying_servers_waybill_reply_is_not_believed() {
        let number = waybill_number_from(7);
        let reply = |number: &str, milestones: usize| WaybillStatus {
            number: number.to_string(),
            status: OrderStatus::PickedUp,
            milestones: vec![
                Milestone {
                    kind: MilestoneKind::Placed,
                    at: Utc::now(),
                };
                milestones
            ],
        };
        assert!(believed(&number, reply(&number, 3)).is_ok());
        let other = waybill_number_from(8);
        assert!(matches!(
            believed(&number, reply(&other, 3)),
            Err(Error::ProtocolViolation { .. })
        ));
        assert!(matches!(
            believed(&number, reply(&number, MAX_MILESTONES + 1)),
            Err(Error::ProtocolViolation { .. })
        ));
        assert!(matches!(checked("12345"), Err(Error::InvalidInput { .. })));
    }
}
