//! Sync: pushes the outbox in order and pulls fresh offers. Every network effect is keyed
//! by the outbox entry's idempotency key, so a retry after a lost reply (or after the app
//! was killed mid-request) is applied once by the server.

use std::collections::HashSet;
use std::sync::Arc;

use waybill_protocol::{ErrorCode, OrderStatus};

use crate::client::{ACCOUNT, Inner, ORDER_FULFILMENT};
use crate::error::{Error, Result};
use crate::net::NetError;
use crate::orders;
use crate::orders::outbox::{self, Action, OutboxEntry};
use crate::orders::rejections::{self, Rejection, RejectionReason};
use crate::privacy::Ticket;
use crate::privacy::ledger;
use crate::session::Session;
use waybill_protocol::consent::ConsentReceipts;

/// What one push did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReport {
    /// Entries the server applied (or had already applied) and that left the outbox.
    pub pushed: u32,
    /// Entries the server refused for good; their optimistic effect was rolled back.
    pub rejected: Vec<Rejection>,
    /// Entries still queued (their order waits behind a failed entry).
    pub remaining: u32,
    /// Consent receipts the server confirmed in this sync.
    pub receipts_sent: u32,
}

/// Pushes every queued entry in `seq` order. Entries of one order stay in order: after a
/// transient failure, that order's later entries wait; other orders go on. A transport
/// failure ends the push with [`Error::Offline`] after recording the attempt: the network
/// is down for all of them.
pub(crate) async fn push_outbox(inner: Arc<Inner>) -> Result<SyncReport> {
    let session = inner.require_session().await?;
    let basis = inner.gate(ORDER_FULFILMENT).await?;
    let entries = inner
        .blocking(|inner| Ok(inner.db.read(outbox::all)?))
        .await?;
    let mut report = SyncReport::default();
    let mut held_back: HashSet<String> = HashSet::new();
    for entry in entries {
        if held_back.contains(&entry.order_id) {
            report.remaining += 1;
            continue;
        }
        match send(&inner, &basis, &session, &entry).await {
            Ok(order) => {
                let account = session.account_id.clone();
                inner
                    .blocking(move |inner| {
                        inner.db.write(|tx| {
                            orders::upsert_from_server(tx, &order, &account)?;
                            outbox::remove(tx, entry.seq)?;
                            Ok::<_, Error>(())
                        })
                    })
                    .await?;
                report.pushed += 1;
            }
            Err(NetError::Rejected { body, .. }) => {
                let rejection = settle_refused(&inner, entry, body.code).await?;
                report.rejected.push(rejection);
            }
            Err(e) => {
                let transient = e.is_transient();
                let seq = entry.seq;
                let reason = e.to_string();
                inner
                    .blocking(move |inner| {
                        inner
                            .db
                            .write(|tx| outbox::record_failure(tx, seq, &reason))
                            .map_err(Error::from)
                    })
                    .await?;
                tracing::warn!(seq, attempts = entry.attempts + 1, error = %e, "push failed; entry stays queued");
                if matches!(e, NetError::Transport(_) | NetError::Unauthorized) || !transient {
                    return Err(e.into());
                }
                held_back.insert(entry.order_id);
                report.remaining += 1;
            }
        }
    }
    report.receipts_sent = push_receipts(&inner, &session).await?;
    tracing::info!(
        pushed = report.pushed,
        rejected = report.rejected.len(),
        remaining = report.remaining,
        "outbox pushed"
    );
    Ok(report)
}

/// Sends the consent receipts the server has not confirmed, so it holds the proof of
/// every decision. Receipts made before sign-in go out with the first sync after it.
async fn push_receipts(inner: &Arc<Inner>, session: &Session) -> Result<u32> {
    let unsent = inner.blocking(|i| Ok(i.db.read(ledger::unsent)?)).await?;
    if unsent.is_empty() {
        return Ok(0);
    }
    let basis = inner.gate(ACCOUNT).await?;
    let body = ConsentReceipts {
        receipts: unsent.iter().map(|r| r.to_wire()).collect(),
    };
    inner
        .api
        .send_receipts(&basis, &session.token, &body)
        .await?;
    let seqs: Vec<i64> = unsent.iter().map(|r| r.seq).collect();
    let count = u32::try_from(seqs.len()).unwrap_or(u32::MAX);
    inner
        .blocking(move |i| Ok(i.db.write(|tx| ledger::mark_sent(tx, &seqs))?))
        .await?;
    Ok(count)
}

async fn send(
    inner: &Inner,
    basis: &Ticket,
    session: &Session,
    entry: &OutboxEntry,
) -> Result<waybill_protocol::Order, NetError> {
    match entry.action {
        Action::Accept => inner
            .api
            .accept(
                basis,
                &session.token,
                &entry.order_id,
                &entry.idempotency_key,
            )
            .await
            .map(|accepted| accepted.order),
    }
}

/// The server said no for good: drop the entry (which undoes its optimistic effect),
/// record what the refusal says about the order, and keep the refusal for the UI.
async fn settle_refused(
    inner: &Arc<Inner>,
    entry: OutboxEntry,
    code: ErrorCode,
) -> Result<Rejection> {
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
        _ => (RejectionReason::Invalid, None),
    };
    tracing::warn!(
        seq = entry.seq,
        ?code,
        "server refused a queued action; rolled back"
    );
    inner
        .blocking(move |inner| {
            inner.db.write(|tx| {
                outbox::remove(tx, entry.seq)?;
                if let Some(status) = order_status {
                    orders::apply_refusal(tx, &entry.order_id, status)?;
                }
                Ok::<_, Error>(rejections::record(tx, &entry.order_id, reason)?)
            })
        })
        .await
}
