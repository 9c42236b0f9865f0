//! Sync: pushes the outbox in order and pulls fresh offers. Every network effect is keyed
//! by the outbox entry's idempotency key, so a retry after a lost reply (or after the app
//! was killed mid-request) is applied once by the server.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use waybill_protocol::{Accepted, ErrorCode, OrderStatus};

use crate::client::{ACCOUNT, Inner, ORDER_FULFILMENT};
use crate::error::{Error, Result};
use crate::net::NetError;
use crate::orders;
use crate::orders::outbox::{self, Action, OutboxEntry};
use crate::orders::parties;
use crate::orders::rejections::{self, Rejection, RejectionReason};
use crate::privacy::Ticket;
use crate::privacy::ledger;
use crate::privacy::rights;
use crate::privacy::transparency::{self, DataAction, DataEvent};
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
    /// Rights requests the server acknowledged in this sync.
    pub rights_requests_sent: u32,
}

/// Applies an acceptance the server confirmed: the order as the server has it, and the
/// parties' contact it disclosed to this driver, stored under the fulfilment ticket.
fn apply_accepted(
    tx: &rusqlite::Transaction<'_>,
    basis: &Ticket,
    accepted: &Accepted,
    account: &str,
    recipient: &str,
) -> Result<()> {
    let now = Utc::now();
    orders::upsert_from_server(tx, &accepted.order, account)?;
    transparency::record(
        tx,
        &DataEvent::new(
            DataAction::Sent,
            basis.purpose(),
            &["order_records"],
            Some(recipient),
            1,
            now,
        ),
    )?;
    let mine = accepted.order.assigned_to.as_deref() == Some(account);
    if let (Some(contact), true) = (&accepted.contact, mine) {
        parties::store(tx, basis, &accepted.order.id, contact, now)?;
        transparency::record(
            tx,
            &DataEvent::new(
                DataAction::Received,
                basis.purpose(),
                &["consignee_contact"],
                Some(recipient),
                1,
                now,
            ),
        )?;
    }
    Ok(())
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
            Ok(accepted) => {
                let account = session.account_id.clone();
                let recipient = inner.manifest().controller.name.clone();
                let basis = inner.gate(ORDER_FULFILMENT).await?;
                inner
                    .blocking(move |inner| {
                        inner.db.write(|tx| {
                            apply_accepted(tx, &basis, &accepted, &account, &recipient)?;
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
    report.rights_requests_sent = push_rights_requests(&inner, &session).await?;
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

/// Submits queued rights requests (each id is its idempotency key), then, while any
/// request waits for an answer, reads their status back from the server.
async fn push_rights_requests(inner: &Arc<Inner>, session: &Session) -> Result<u32> {
    if !inner.blocking(|i| Ok(i.db.read(rights::any_open)?)).await? {
        return Ok(0);
    }
    let basis = inner.gate(ACCOUNT).await?;
    let queued = inner.blocking(|i| Ok(i.db.read(rights::queued)?)).await?;
    let mut sent = 0;
    for request in queued {
        let state = inner
            .api
            .file_rights_request(&basis, &session.token, &request.to_wire())
            .await?;
        inner
            .blocking(move |i| Ok(i.db.write(|tx| rights::update(tx, &state))?))
            .await?;
        sent += 1;
    }
    let states = inner.api.rights_requests(&basis, &session.token).await?;
    inner
        .blocking(move |i| {
            Ok(i.db.write(|tx| {
                states
                    .requests
                    .iter()
                    .try_for_each(|state| rights::update(tx, state))
            })?)
        })
        .await?;
    Ok(sent)
}

async fn send(
    inner: &Inner,
    basis: &Ticket,
    session: &Session,
    entry: &OutboxEntry,
) -> Result<Accepted, NetError> {
    match entry.action {
        Action::Accept => {
            inner
                .api
                .accept(
                    basis,
                    &session.token,
                    &entry.order_id,
                    &entry.idempotency_key,
                )
                .await
        }
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
