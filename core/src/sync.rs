//! Sync: pushes the outbox in order and pulls fresh offers. Every network effect is keyed
//! by the outbox entry's idempotency key, so a retry after a lost reply (or after the app
//! was killed mid-request) is applied once by the server.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use waybill_protocol::{ActionBatch, ActionKind, ActionResult, ErrorCode, OrderStatus, Outcome};

use crate::client::{ACCOUNT, Inner};
use crate::error::{Error, Result};
use crate::net::NetError;
use crate::orders;
use crate::orders::history::{self, ActionState};
use crate::orders::outbox::{self, OutboxEntry};
use crate::orders::parties;
use crate::orders::rejections::{self, Rejection, RejectionReason};
use crate::privacy::Ticket;
use crate::privacy::ledger;
use crate::privacy::rights;
use crate::privacy::transparency::{self, DataAction, DataEvent};
use crate::session::Session;
use crate::track;
use waybill_protocol::consent::ConsentReceipts;

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReport {
    /// Entries the server applied (or had already applied) and that left the outbox.
    pub pushed: u32,
    /// Entries the server refused for good; their optimistic effect was rolled back.
    pub rejected: Vec<Rejection>,
    /// Entries still queued (waiting for their backoff, or for an order ahead of them).
    pub remaining: u32,
    /// Consent receipts the server confirmed in this sync.
    pub receipts_sent: u32,
    /// Rights requests the server acknowledged in this sync.
    pub rights_requests_sent: u32,
    /// Orders the change feed brought.
    pub pulled: u32,
    /// HTTP requests made to push actions (batches).
    pub push_requests: u32,
    /// Whether every step ran (false: the time budget ended first; call again later).
    pub completed: bool,
    /// Trajectory batches the server stored in this sync.
    pub trajectory_batches: u32,
    /// Bytes of those batches (bodies).
    pub trajectory_bytes: u64,
    /// Proofs whose upload completed in this sync.
    pub proofs_uploaded: u32,
    /// Proof bytes sent in this sync (chunk bodies, including any chunk sent again).
    pub proof_bytes_sent: u64,
}

/// Uploads waiting proofs over tus, the most important first, chunk by chunk; the URL and
/// the confirmed offset are committed after every step, so a resume after a kill or a
/// lost connection costs one HEAD and re-sends at most one chunk. An upload the server
/// lost or let expire starts over; a proof the server already has is done at once.
async fn push_proofs(
    inner: &Arc<Inner>,
    session: &Session,
    deadline: Option<Instant>,
    chunk: usize,
    report: &mut SyncReport,
) -> Result<()> {
    use crate::proof::queue;
    use crate::proof::tus::{Remote, Tus};

    let in_time = || deadline.is_none_or(|d| Instant::now() < d);
    let tus = Tus {
        http: inner.api.http(),
        base_url: inner.api.base_url(),
        token: &session.token,
    };
    // Uploads of proofs deleted before they completed end on the server first: their
    // bytes have no basis there either.
    for url in inner.blocking(|i| i.db.read(queue::terminations)).await? {
        tus.terminate(&url).await?;
        inner
            .blocking(move |i| i.db.write(|tx| queue::terminated(tx, &url)))
            .await?;
    }
    let folder = crate::proof::folder(&inner.config.data_dir);
    let mut checksum: Option<bool> = None;
    // An upload the server keeps losing is left for the next sync, not retried forever.
    let mut rounds: std::collections::HashMap<String, u32> = Default::default();
    while in_time() {
        // Withdrawn: the proofs are purged already, and nothing is sent.
        let Ok(basis) = inner.gate(crate::client::PROOF_PHOTOS).await else {
            return Ok(());
        };
        let Some(p) = inner.blocking(|i| i.db.read(queue::next)).await? else {
            return Ok(());
        };
        let round = rounds.entry(p.sha256.clone()).or_default();
        *round += 1;
        if *round > 3 {
            return Ok(());
        }
        let remote = match &p.url {
            Some(url) => tus.offset(url).await?,
            None => Remote::Gone,
        };
        let (url, mut offset) = match remote {
            Remote::At(offset) => (p.url.clone().unwrap_or_default(), offset),
            Remote::Gone => {
                let (url, offset) = tus
                    .create(
                        p.bytes,
                        &[
                            ("order", &p.order_id),
                            ("kind", &p.kind),
                            ("sha256", &p.sha256),
                            ("filename", &p.file_name),
                        ],
                    )
                    .await?;
                let (sha, u) = (p.sha256.clone(), url.clone());
                inner
                    .blocking(move |i| {
                        i.db.write(|tx| queue::set_progress(tx, &sha, Some(&u), offset))
                    })
                    .await?;
                (url, offset)
            }
        };
        let file = folder.join(&p.file_name);
        while offset < p.bytes && in_time() {
            let len = (p.bytes - offset).min(chunk as u64) as usize;
            let body = crate::proof::read_chunk(&inner.key, &file, offset, len)?;
            let sent = body.len() as u64;
            let verify = match checksum {
                Some(v) => v,
                None => *checksum.insert(tus.verifies_sha1().await?),
            };
            match tus.append(&url, offset, body, verify).await? {
                Remote::At(next) => {
                    report.proof_bytes_sent += sent;
                    offset = next;
                    let (sha, u) = (p.sha256.clone(), url.clone());
                    inner
                        .blocking(move |i| {
                            i.db.write(|tx| queue::set_progress(tx, &sha, Some(&u), next))
                        })
                        .await?;
                    inner.listeners.notify(crate::observe::Topic::Orders);
                }
                Remote::Gone => {
                    // Expired: forget the URL; the next round creates it again.
                    let sha = p.sha256.clone();
                    inner
                        .blocking(move |i| i.db.write(|tx| queue::set_progress(tx, &sha, None, 0)))
                        .await?;
                    break;
                }
            }
        }
        if offset >= p.bytes {
            let recipient = inner.manifest().controller.name.clone();
            let (sha, total) = (p.sha256.clone(), p.bytes);
            inner
                .blocking(move |i| {
                    i.db.write(|tx| {
                        let now = Utc::now();
                        queue::set_done(tx, &sha, total, now)?;
                        transparency::record(
                            tx,
                            &DataEvent::new(
                                DataAction::Sent,
                                basis.purpose(),
                                &["proof_photos"],
                                Some(&recipient),
                                1,
                                now,
                            ),
                        )?;
                        Ok::<_, Error>(())
                    })
                })
                .await?;
            // The server has it: the photo leaves the device now (seed 002: deleted after
            // upload); its record stays while the order is open.
            let _ = std::fs::remove_file(&file);
            report.proofs_uploaded += 1;
            inner.listeners.notify(crate::observe::Topic::Orders);
        }
    }
    Ok(())
}

/// Uploads unsent fixes as simplified, encoded batches, per order batch after batch: first
/// a batch attempted before and not confirmed (same fixes, same key), then new ones. The
/// server also deduplicates points on (order, time).
async fn push_trajectories(
    inner: &Arc<Inner>,
    session: &Session,
    deadline: Option<Instant>,
    report: &mut SyncReport,
) -> Result<()> {
    let orders = inner
        .blocking(|i| i.db.read(track::orders_with_unsent))
        .await?;
    for order_id in orders {
        while deadline.is_none_or(|d| Instant::now() < d) {
            // The trajectory's own consent: withdrawn means its fixes are gone already,
            // and nothing is sent.
            let Ok(basis) = inner.gate(crate::client::TRAJECTORY).await else {
                return Ok(());
            };
            let id = order_id.clone();
            let next = inner
                .blocking(move |i| {
                    i.db.write(|tx| {
                        track::next_batch(tx, &id, Utc::now(), track::DEFAULT_EPSILON_M)
                    })
                })
                .await?;
            let Some(batch) = next else {
                break;
            };
            let (body, points) = track::encode_outgoing(&batch, track::DEFAULT_EPSILON_M);
            let bytes = body.len() as u64;
            match inner
                .api
                .upload_trajectory(&basis, &session.token, &order_id, &batch.key, body)
                .await
            {
                Ok(_) => {}
                // The server lost the point this batch continues from: send it whole.
                Err(NetError::Rejected { body, .. }) if body.code == ErrorCode::AnchorUnknown => {
                    let key = batch.key.clone();
                    inner
                        .blocking(move |i| i.db.write(|tx| track::drop_anchor(tx, &key)))
                        .await?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            let recipient = inner.manifest().controller.name.clone();
            inner
                .blocking(move |i| {
                    i.db.write(|tx| {
                        let now = Utc::now();
                        track::mark_sent(tx, &batch, now)?;
                        transparency::record(
                            tx,
                            &DataEvent::new(
                                DataAction::Sent,
                                basis.purpose(),
                                &["trajectory"],
                                Some(&recipient),
                                points,
                                now,
                            ),
                        )?;
                        Ok::<_, Error>(())
                    })
                })
                .await?;
            report.trajectory_batches += 1;
            report.trajectory_bytes += bytes;
        }
    }
    Ok(())
}

/// Largest batch per request: 1,000 queued actions go in 5 requests.
const BATCH: usize = 200;

/// Pushes the outbox in batches, in `seq` order per order, then pulls the change feed,
/// then sends consent receipts and rights requests. `ignore_backoff`: a fresh signal
/// (connectivity regained, app foregrounded, user action) retries at once. A transport
/// failure records the attempt on the batch's entries and ends with [`Error::Offline`].
pub(crate) async fn run(inner: Arc<Inner>, ignore_backoff: bool) -> Result<SyncReport> {
    run_until(
        inner,
        ignore_backoff,
        None,
        crate::proof::queue::CHUNK_METERED,
    )
    .await
}

/// [`run`] that stops starting new work at `deadline`, most valuable work first: the
/// user's actions, then the server's changes, then receipts and rights requests.
/// `report.completed` says whether everything was done.
pub(crate) async fn run_until(
    inner: Arc<Inner>,
    ignore_backoff: bool,
    deadline: Option<Instant>,
    proof_chunk: usize,
) -> Result<SyncReport> {
    let session = inner.require_session().await?;
    let mut report = SyncReport::default();
    let in_time = || deadline.is_none_or(|d| Instant::now() < d);
    push(&inner, &session, ignore_backoff, deadline, &mut report).await?;
    if in_time() {
        push_trajectories(&inner, &session, deadline, &mut report).await?;
    }
    if in_time() {
        push_proofs(&inner, &session, deadline, proof_chunk, &mut report).await?;
    }
    if in_time() {
        report.pulled = pull(&inner, &session).await?;
    }
    if in_time() {
        report.receipts_sent = push_receipts(&inner, &session).await?;
    }
    if in_time() {
        report.rights_requests_sent = push_rights_requests(&inner, &session).await?;
        report.completed = true;
    }
    report.remaining = inner
        .blocking(|i| Ok(i.db.read(outbox::all)?.len()))
        .await?
        .try_into()
        .unwrap_or(u32::MAX);
    tracing::info!(
        pushed = report.pushed,
        rejected = report.rejected.len(),
        remaining = report.remaining,
        pulled = report.pulled,
        requests = report.push_requests,
        "sync done"
    );
    Ok(report)
}

async fn push(
    inner: &Arc<Inner>,
    session: &Session,
    ignore_backoff: bool,
    deadline: Option<Instant>,
    report: &mut SyncReport,
) -> Result<()> {
    let mut sent_keys: HashSet<String> = HashSet::new();
    while deadline.is_none_or(|d| Instant::now() < d) {
        let entries = inner
            .blocking(move |i| {
                Ok(i.db.read(|c| outbox::sendable(c, Utc::now(), ignore_backoff, BATCH))?)
            })
            .await?;
        // An entry that came back unsettled (nothing should) is not sent twice per sync.
        let entries: Vec<OutboxEntry> = entries
            .into_iter()
            .filter(|e| !sent_keys.contains(&e.idempotency_key))
            .collect();
        if entries.is_empty() {
            return Ok(());
        }
        let basis = inner.gate(inner.order_purpose()).await?;
        let batch = ActionBatch {
            actions: entries.iter().map(OutboxEntry::to_wire).collect(),
        };
        sent_keys.extend(entries.iter().map(|e| e.idempotency_key.clone()));
        report.push_requests += 1;
        let results = match inner.api.push_actions(&basis, &session.token, &batch).await {
            Ok(results) if results.results.len() == entries.len() => results.results,
            Ok(_) => {
                return Err(Error::ProtocolViolation {
                    reason: "the server answered a different number of actions".into(),
                });
            }
            Err(e) => {
                let reason = e.to_string();
                let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
                inner
                    .blocking(move |i| {
                        let now = Utc::now();
                        Ok(i.db.write(|tx| {
                            seqs.iter()
                                .try_for_each(|&seq| outbox::record_failure(tx, seq, &reason, now))
                        })?)
                    })
                    .await?;
                tracing::warn!(error = %e, entries = entries.len(), "push failed; entries stay queued");
                return Err(e.into());
            }
        };
        let account = session.account_id.clone();
        let recipient = inner.manifest().controller.name.clone();
        let (pushed, rejected) = inner
            .blocking(move |i| {
                i.db.write(|tx| settle(tx, &basis, &entries, &results, &account, &recipient))
            })
            .await?;
        report.pushed += pushed;
        report.rejected.extend(rejected);
    }
    Ok(())
}

/// Applies a batch's results in one transaction: applied and replayed entries leave the
/// outbox and the server's order is stored; a refused entry leaves with every later entry
/// of its order (they built on it), each recorded as a rejection for the UI.
fn settle(
    tx: &rusqlite::Transaction<'_>,
    basis: &Ticket,
    entries: &[OutboxEntry],
    results: &[ActionResult],
    account: &str,
    recipient: &str,
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
                    let sent: &[&str] = if entry.action == ActionKind::Place {
                        &["party_contact", "order_records"]
                    } else {
                        &["order_records"]
                    };
                    let contact = result.contact.as_ref();
                    apply_confirmed(tx, basis, order, contact, account, recipient, sent)?;
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

/// Pulls the change feed from the stored cursor until it is drained; each page is applied
/// with its cursor in one transaction, so a kill between pages loses nothing.
async fn pull(inner: &Arc<Inner>, session: &Session) -> Result<u32> {
    let basis = inner.gate(inner.order_purpose()).await?;
    let mut pulled = 0;
    loop {
        let cursor = inner
            .blocking(|i| Ok(i.db.read(orders::changes_cursor)?))
            .await?;
        let page = inner.api.changes(&basis, &session.token, cursor).await?;
        pulled += u32::try_from(page.orders.len()).unwrap_or(u32::MAX);
        let more = page.more;
        let account = session.account_id.clone();
        inner
            .blocking(move |i| {
                Ok(i.db.write(|tx| {
                    for order in &page.orders {
                        orders::upsert_from_server(tx, order, &account)?;
                    }
                    orders::set_changes_cursor(tx, page.cursor)
                })?)
            })
            .await?;
        if !more {
            return Ok(pulled);
        }
    }
}

/// Applies an action the server confirmed: the order as the server has it, what was sent
/// (transparency log), and the parties' contact it disclosed with an acceptance, stored
/// under the order ticket.
fn apply_confirmed(
    tx: &rusqlite::Transaction<'_>,
    basis: &Ticket,
    order: &waybill_protocol::Order,
    contact: Option<&waybill_protocol::OrderContact>,
    account: &str,
    recipient: &str,
    sent: &[&str],
) -> Result<()> {
    let now = Utc::now();
    orders::upsert_from_server(tx, order, account)?;
    transparency::record(
        tx,
        &DataEvent::new(
            DataAction::Sent,
            basis.purpose(),
            sent,
            Some(recipient),
            1,
            now,
        ),
    )?;
    let mine = order.assigned_to.as_deref() == Some(account);
    if let (Some(contact), true) = (contact, mine) {
        parties::store(tx, basis, &order.id, "consignee_contact", contact, now)?;
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
        orders::apply_refusal(tx, &entry.order_id, status)?;
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
