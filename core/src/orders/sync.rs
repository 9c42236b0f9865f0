//! The order engine's network step: pushes the outbox in batches, in `seq` order per
//! order, and pulls the change feed. Every effect is keyed by the entry's idempotency key,
//! so a retry after a lost reply (or after the app was killed mid-request) is applied
//! once by the server.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;
use waybill_protocol::{ActionBatch, ActionKind, ActionResult, ErrorCode, OrderStatus, Outcome};

use super::engine::Orders;
use super::history::{self, ActionState};
use super::outbox::{self, OutboxEntry};
use super::parties;
use super::rejections::{self, Rejection, RejectionReason};
use crate::error::{Error, Result};
use crate::privacy::gate::Gate;
use crate::privacy::transparency::DataAction;
use crate::session::Session;
use crate::ticket::Ticket;

/// Largest batch per request: 1,000 queued actions go in 5 requests.
const BATCH: usize = 200;

/// Most change-feed pages one pull reads (200,000 orders at the server's largest page);
/// the rest waits for the next sync rather than paging without end.
const MAX_PAGES: u32 = 200;

/// What one push did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pushed {
    /// Entries the server applied (or had already applied) and that left the outbox.
    pub pushed: u32,
    /// Entries the server refused for good; their optimistic effect was rolled back.
    pub rejected: Vec<Rejection>,
    /// HTTP requests made (batches).
    pub requests: u32,
}

impl Orders {
    /// Pushes the outbox until it is drained or `deadline` passes. `ignore_backoff`: a
    /// fresh signal (connectivity regained, app foregrounded, user action) retries at
    /// once. A transport failure records the attempt on the batch's entries and ends with
    /// [`Error::Offline`].
    pub(crate) async fn push(
        &self,
        session: &Session,
        ignore_backoff: bool,
        deadline: Option<Instant>,
    ) -> Result<Pushed> {
        let mut report = Pushed::default();
        let services = &self.services;
        let mut sent_keys: HashSet<String> = HashSet::new();
        while deadline.is_none_or(|d| Instant::now() < d) {
            let entries = services
                .blocking(move |s| {
                    Ok(s.db.read(|c| outbox::sendable(c, Utc::now(), ignore_backoff, BATCH))?)
                })
                .await?;
            // An entry that came back unsettled (nothing should) is not sent twice per sync.
            let entries: Vec<OutboxEntry> = entries
                .into_iter()
                .filter(|e| !sent_keys.contains(&e.idempotency_key))
                .collect();
            if entries.is_empty() {
                break;
            }
            let basis = self.gate.ticket(self.purpose()).await?;
            let batch = ActionBatch {
                actions: entries.iter().map(OutboxEntry::to_wire).collect(),
            };
            sent_keys.extend(entries.iter().map(|e| e.idempotency_key.clone()));
            report.requests += 1;
            let results = match services
                .api
                .push_actions(&basis, &session.token, &batch)
                .await
            {
                Ok(results) if results.results.len() == entries.len() => results.results,
                Ok(_) => {
                    return Err(Error::ProtocolViolation {
                        reason: "the server answered a different number of actions".into(),
                    });
                }
                Err(e) => {
                    let reason = e.to_string();
                    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
                    services
                        .blocking(move |s| {
                            let now = Utc::now();
                            Ok(s.db.write(|tx| {
                                seqs.iter().try_for_each(|&seq| {
                                    outbox::record_failure(tx, seq, &reason, now)
                                })
                            })?)
                        })
                        .await?;
                    tracing::warn!(error = %e, entries = entries.len(), "push failed; entries stay queued");
                    return Err(e.into());
                }
            };
            let account = session.account_id.clone();
            let gate = std::sync::Arc::clone(&self.gate);
            let (pushed, rejected) = services
                .blocking(move |s| {
                    s.db.write(|tx| settle(tx, &gate, &basis, &entries, &results, &account))
                })
                .await?;
            report.pushed += pushed;
            report.rejected.extend(rejected);
        }
        Ok(report)
    }

    /// Pulls the change feed from the stored cursor until it is drained; each page is
    /// applied with its cursor in one transaction, so a kill between pages loses nothing.
    pub(crate) async fn pull(&self, session: &Session) -> Result<u32> {
        let basis = std::sync::Arc::new(self.gate.ticket(self.purpose()).await?);
        let services = &self.services;
        let mut pulled = 0;
        for _ in 0..MAX_PAGES {
            let cursor = services
                .blocking(|s| Ok(s.db.read(super::changes_cursor)?))
                .await?;
            let page = services.api.changes(&basis, &session.token, cursor).await?;
            if let Some(bad) = page
                .orders
                .iter()
                .find(|o| !waybill_protocol::limits::is_valid_id(&o.id))
            {
                return Err(Error::ProtocolViolation {
                    reason: format!(
                        "the change feed sent an order id of {} bytes that is not an id",
                        bad.id.len()
                    ),
                });
            }
            // "More" with a cursor that does not move would page forever.
            if page.more && page.cursor <= cursor {
                return Err(Error::ProtocolViolation {
                    reason: "the change feed said more without moving its cursor".into(),
                });
            }
            pulled += u32::try_from(page.orders.len()).unwrap_or(u32::MAX);
            let more = page.more;
            let account = session.account_id.clone();
            let (gate, basis) = (
                std::sync::Arc::clone(&self.gate),
                std::sync::Arc::clone(&basis),
            );
            services
                .blocking(move |s| {
                    Ok(s.db.write(|tx| {
                        for order in &page.orders {
                            super::upsert_from_server(tx, order, &account)?;
                        }
                        // Contacts of orders this account holds (one taken on another
                        // phone): kept only for an order the same page shows held by
                        // this account and open, and only if none is held yet.
                        let mut received = 0;
                        for held in &page.contacts {
                            let holds = page.orders.iter().any(|o| {
                                o.id == held.order_id
                                    && o.assigned_to.as_deref() == Some(account.as_str())
                                    && !o.status.is_closed()
                            });
                            if holds && !parties::held(tx, &held.order_id)? {
                                let now = Utc::now();
                                parties::store(
                                    tx,
                                    &basis,
                                    &held.order_id,
                                    "consignee_contact",
                                    &held.contact,
                                    now,
                                )?;
                                received += 1;
                            }
                        }
                        if received > 0 {
                            gate.record(
                                tx,
                                DataAction::Received,
                                &basis,
                                &["consignee_contact"],
                                received,
                            )?;
                        }
                        super::set_changes_cursor(tx, page.cursor)
                    })?)
                })
                .await?;
            if !more {
                return Ok(pulled);
            }
        }
        Ok(pulled)
    }
}

/// Applies a batch's results in one transaction: applied and replayed entries leave the
/// outbox and the server's order is stored; a refused entry leaves with every later entry
/// of its order (they built on it), each recorded as a rejection for the UI.
fn settle(
    tx: &rusqlite::Transaction<'_>,
    gate: &Gate,
    basis: &Ticket,
    entries: &[OutboxEntry],
    results: &[ActionResult],
    account: &str,
) -> Result<(u32, Vec<Rejection>)> {
    let mut pushed = 0;
    let mut rejected = vec![];
    for (entry, result) in entries.iter().zip(results) {
        if result.key != entry.idempotency_key {
            return Err(Error::ProtocolViolation {
                reason: "the server answered actions out of order".into(),
            });
        }
        match result.outcome {
            Outcome::Applied | Outcome::Replayed => {
                if let Some(order) = &result.order {
                    if order.id != entry.order_id {
                        return Err(Error::ProtocolViolation {
                            reason: "the server answered an action with another order".into(),
                        });
                    }
                    let sent: &[&str] = if entry.action == ActionKind::Place {
                        &["party_contact", "order_records"]
                    } else {
                        &["order_records"]
                    };
                    super::upsert_from_server(tx, order, account)?;
                    gate.record(tx, DataAction::Sent, basis, sent, 1)?;
                    // The parties' contact the server disclosed with an acceptance of
                    // an order this driver now holds, stored under the order ticket; a
                    // contact on any other reply is not taken.
                    let mine = order.assigned_to.as_deref() == Some(account);
                    let accepted = entry.action == ActionKind::Accept;
                    if let (Some(contact), true) = (&result.contact, mine && accepted) {
                        let now = Utc::now();
                        parties::store(tx, basis, &order.id, "consignee_contact", contact, now)?;
                        gate.record(tx, DataAction::Received, basis, &["consignee_contact"], 1)?;
                    }
                }
                outbox::remove(tx, entry.seq)?;
                history::settle(tx, &entry.idempotency_key, ActionState::Confirmed)?;
                pushed += 1;
            }
            Outcome::Refused => {
                let code = result
                    .error
                    .as_ref()
                    .map_or(ErrorCode::BadRequest, |e| e.code);
                rejected.extend(settle_refused(tx, entry, code)?);
            }
            // Follows a refusal of the same order in this batch: already settled with it.
            Outcome::Skipped => {}
        }
    }
    Ok((pushed, rejected))
}

/// The server said no for good: the entry and every later entry of its order leave the
/// outbox (which undoes their optimistic effect), the refusal's news about the order is
/// recorded, and each dropped entry becomes a rejection the UI shows until dismissed.
fn settle_refused(
    tx: &rusqlite::Transaction<'_>,
    entry: &OutboxEntry,
    code: ErrorCode,
) -> Result<Vec<Rejection>> {
    let (reason, order_status) = match code {
        ErrorCode::OrderTaken => (
            RejectionReason::TakenByAnotherDriver,
            Some(Some(OrderStatus::Accepted)),
        ),
        ErrorCode::OrderCancelled => (
            RejectionReason::OrderCancelled,
            Some(Some(OrderStatus::Cancelled)),
        ),
        ErrorCode::OrderNotFound => (RejectionReason::OrderNotFound, Some(None)),
        ErrorCode::InvalidTransition => (RejectionReason::NotAllowedNow, None),
        _ => (RejectionReason::Invalid, None),
    };
    // A refused errand never existed on the server: its local order goes too.
    let order_status = if entry.action == ActionKind::Place {
        Some(None)
    } else {
        order_status
    };
    tracing::warn!(
        seq = entry.seq,
        ?code,
        "server refused a queued action; rolled back"
    );
    let dropped = outbox::remove_with_followers(tx, entry.seq)?;
    if let Some(status) = order_status {
        super::apply_refusal(tx, &entry.order_id, status)?;
    }
    let mut rejections = vec![];
    for (i, d) in dropped.iter().enumerate() {
        let why = if i == 0 {
            reason
        } else {
            RejectionReason::EarlierActionRefused
        };
        history::settle(tx, &d.idempotency_key, ActionState::Refused)?;
        rejections.push(rejections::record(
            tx,
            &d.order_id,
            d.action.as_str(),
            why,
            d.created_at,
        )?);
    }
    Ok(rejections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::driver;
    use waybill_protocol::LatLon;

    #[test]
    fn an_unreachable_server_keeps_the_action_queued_with_its_attempt() {
        let d = driver();
        let drop = LatLon {
            lat: 31.25,
            lon: 121.45,
        };
        d.server_order("o-1", OrderStatus::Open, false, drop);
        let order = d
            .orders
            .take("o-1", ActionKind::Accept, None, None)
            .unwrap();
        assert!(order.assigned_to_me, "the acceptance is optimistic");
        let session = Session {
            account_id: crate::test_support::ME.into(),
            token: "tok_test".into(),
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let pushed = runtime.block_on(d.orders.push(&session, true, None));
        assert!(matches!(pushed, Err(Error::Offline { .. })), "{pushed:?}");
        let queued = d.orders.pending().unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].attempts, 1);
        assert!(queued[0].next_attempt_at.is_some(), "backoff set");
        // Without the backoff ignored, the entry is not due yet: nothing is sent.
        let waited = runtime
            .block_on(d.orders.push(&session, false, None))
            .unwrap();
        assert_eq!(waited, Pushed::default());
    }

    #[test]
    fn an_orders_later_actions_go_with_its_first_once_it_is_due() {
        let d = driver();
        let drop = LatLon {
            lat: 31.25,
            lon: 121.45,
        };
        d.server_order("o-1", OrderStatus::Open, false, drop);
        d.server_order("o-2", OrderStatus::Open, false, drop);
        for (order, kind) in [
            ("o-1", ActionKind::Accept),
            ("o-1", ActionKind::PickUp),
            ("o-2", ActionKind::Accept),
        ] {
            d.orders.take(order, kind, None, None).unwrap();
        }
        let now = Utc::now();
        let due = |at: chrono::DateTime<Utc>| {
            d.services
                .db
                .read(|c| outbox::sendable(c, at, false, BATCH))
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        };
        // One lost connection failed all three, each drawing its own jittered backoff.
        d.services
            .db
            .write(|tx| {
                for (seq, wait) in [(1, 60), (2, 90), (3, 120)] {
                    outbox::record_failure(tx, seq, "connect", now)?;
                    tx.execute(
                        "UPDATE outbox SET next_attempt_at = ?2 WHERE seq = ?1",
                        rusqlite::params![
                            seq,
                            (now + chrono::Duration::seconds(wait)).to_rfc3339()
                        ],
                    )?;
                }
                Ok::<_, crate::Error>(())
            })
            .unwrap();
        assert!(
            due(now + chrono::Duration::seconds(30)).is_empty(),
            "nothing is due yet"
        );
        assert_eq!(
            due(now + chrono::Duration::seconds(61)),
            [1, 2],
            "the pickup goes with its acceptance, not a run later"
        );
        assert_eq!(due(now + chrono::Duration::seconds(121)), [1, 2, 3]);
        let pending = d.orders.pending().unwrap();
        assert_eq!(
            Orders::next_attempt_at(&pending),
            Some(now + chrono::Duration::seconds(60))
        );
    }
}
