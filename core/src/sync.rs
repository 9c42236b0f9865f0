//! The scheduler: runs the engines' network steps in priority order within a time budget,
//! renews a refused session once, and reports. It holds no engine logic; no engine
//! imports it. The steps: the user's actions (orders), trajectory batches, proof uploads,
//! the server's changes (orders), consent receipts and rights requests (privacy), and last
//! the service log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::account::Account;
use crate::error::{Error, Result};
use crate::notices::Notices;
use crate::orders::engine::Orders;
use crate::orders::rejections::Rejection;
use crate::privacy::engine::Privacy;
use crate::proof::proofs::Proofs;
use crate::proof::queue::{CHUNK_METERED, CHUNK_UNMETERED};
use crate::push::Push;
use crate::service_log::ServiceLog;
use crate::track::tracker::Tracker;

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
    /// Service-log events the server now holds (deleted from the device).
    pub service_events_sent: u32,
    /// Push-token registrations or removals sent (0 or 1).
    pub push_registrations: u32,
    /// Followed waybills whose status the server sent (P-39 convenience data).
    pub waybills_refreshed: u32,
    /// New marketing messages kept (only under the `marketing` consent, P-64).
    pub marketing_kept: u32,
    /// New service notices that verified (shown whatever the settings).
    pub notices_kept: u32,
    /// Notices of the controller's signed sequence this device was never served (a front
    /// end withholding announcements), as of the last read of the controller's documents.
    pub notices_withheld: u32,
    /// Whether a newer policy manifest the controller published was installed (a material
    /// change then asks the person again before collection goes on).
    pub manifest_installed: bool,
}

/// What the shell knows of the network when it runs the background job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// No connectivity: nothing is attempted.
    Offline,
    /// Cellular or a metered Wi-Fi (bulk uploads wait; actions and changes go).
    Metered,
    /// Unmetered Wi-Fi.
    Unmetered,
}

/// What a background sync did and when the shell should run the next one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackgroundSync {
    /// What was done (empty when offline).
    pub report: SyncReport,
    /// Actions still queued.
    pub pending: u32,
    /// When the earliest queued action is due again (`None`: nothing queued).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the run stopped early, if it did (offline, server failure, budget).
    pub last_error: Option<String>,
}

/// The engines the scheduler drives.
#[derive(Clone)]
pub(crate) struct Engines {
    pub(crate) account: Arc<Account>,
    pub(crate) orders: Arc<Orders>,
    pub(crate) tracker: Arc<Tracker>,
    pub(crate) proofs: Arc<Proofs>,
    pub(crate) privacy: Arc<Privacy>,
    pub(crate) service_log: Arc<ServiceLog>,
    pub(crate) push: Arc<Push>,
    pub(crate) notices: Arc<Notices>,
    pub(crate) waybills: Arc<crate::waybills::Waybills>,
    pub(crate) marketing: Arc<crate::marketing::Marketing>,
}

impl Engines {
    /// Every step once, most valuable first, starting none after `deadline`.
    /// `report.completed` says whether everything was done.
    async fn steps(
        &self,
        ignore_backoff: bool,
        deadline: Option<Instant>,
        proof_chunk: usize,
    ) -> Result<SyncReport> {
        // The controller's documents first, before the session is needed: an incident or a
        // stop reaches a signed-out phone too, and a stop, a switch or a new policy applies
        // before anything below sends. A foreground sync reads them now; a background one
        // once per `CONTROLLER_INTERVAL`.
        let controller = self.notices.sync(&self.privacy, ignore_backoff).await?;
        let mut report = SyncReport {
            notices_kept: controller.notices_kept,
            notices_withheld: controller.notices_withheld,
            manifest_installed: controller.manifest_installed,
            ..SyncReport::default()
        };
        let session = self.account.session().await?;
        let in_time = || deadline.is_none_or(|d| Instant::now() < d);
        let pushed = self.orders.push(&session, ignore_backoff, deadline).await?;
        report.pushed = pushed.pushed;
        report.rejected = pushed.rejected;
        report.push_requests = pushed.requests;
        if in_time() {
            let up = self.tracker.upload(&session, deadline).await?;
            (report.trajectory_batches, report.trajectory_bytes) = (up.batches, up.bytes);
        }
        if in_time() {
            let up = self.proofs.upload(&session, deadline, proof_chunk).await?;
            (report.proofs_uploaded, report.proof_bytes_sent) = (up.proofs, up.bytes_sent);
        }
        if in_time() {
            self.account.send_real_name(&session).await?;
        }
        if in_time() {
            report.pulled = self.orders.pull(&session).await?;
        }
        if in_time() {
            report.receipts_sent = self.privacy.push_receipts(&session).await?;
        }
        if in_time() {
            report.rights_requests_sent = self.privacy.push_rights_requests(&session).await?;
        }
        if in_time() {
            report.push_registrations = u32::from(self.push.sync(&session).await?);
        }
        // After the receipts: the server has this device's latest decisions on both.
        if in_time() {
            report.waybills_refreshed = self.waybills.sync(&session).await?;
        }
        if in_time() {
            report.marketing_kept = self.marketing.sync(&session).await?;
        }
        // The least valuable step, last: a long log never delays the change feed.
        if in_time() {
            report.service_events_sent = self.service_log.upload(&session, deadline).await?;
            report.completed = true;
        }
        report.remaining = u32::try_from(self.orders.pending()?.len()).unwrap_or(u32::MAX);
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

    /// Signs in afresh after the server refused the session (expired, rotated, lost):
    /// registration is idempotent on the installation id, and the queue resumes by itself.
    async fn renew_session(&self) -> Result<()> {
        tracing::info!("session refused; signing in again");
        self.account.forget_session().await?;
        self.account.sign_in().await.map(drop)
    }
}

/// A user-visible sync: everything, backoff ignored; a refused session is renewed once and
/// the sync resumed, so the queue never sticks on a 401.
pub(crate) async fn foreground(engines: Engines) -> Result<SyncReport> {
    match engines.steps(true, None, CHUNK_METERED).await {
        Err(Error::Unauthorized) => {
            engines.renew_session().await?;
            engines.steps(true, None, CHUNK_METERED).await
        }
        other => other,
    }
}

/// The shell's background job: the most valuable work first within `budget`, retries
/// respecting each entry's backoff. Transport and server failures are reported, not
/// thrown: the job reschedules at `next_attempt_at`. `online`: the network is up and an
/// account is signed in (the caller checked; without it no request is made).
pub(crate) async fn background(
    engines: Engines,
    budget: Duration,
    network: Network,
    online: bool,
) -> Result<BackgroundSync> {
    let mut outcome = BackgroundSync::default();
    if online {
        let deadline = Instant::now() + budget;
        let chunk = match network {
            Network::Unmetered => CHUNK_UNMETERED,
            _ => CHUNK_METERED,
        };
        let run = engines.steps(false, Some(deadline), chunk);
        // A hard stop a little after the budget: every step is idempotent and each write
        // transactional, so cutting a request short loses nothing.
        match tokio::time::timeout(budget + Duration::from_secs(2), run).await {
            Ok(Ok(report)) => outcome.report = report,
            Ok(Err(e @ (Error::Offline { .. } | Error::Server { .. }))) => {
                outcome.last_error = Some(e.to_string());
            }
            Ok(Err(Error::Unauthorized)) => {
                engines.renew_session().await?;
                outcome.last_error = Some("session renewed; run again".into());
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => outcome.last_error = Some("time budget exhausted".into()),
        }
    }
    let pending = engines.orders.pending()?;
    outcome.pending = u32::try_from(pending.len()).unwrap_or(u32::MAX);
    outcome.next_attempt_at = Orders::next_attempt_at(&pending);
    Ok(outcome)
}
