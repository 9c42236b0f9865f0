//! The scheduler across the FFI: what a sync did, the network the background job runs
//! on, when to come back, and the two sync entry points.

use std::time::SystemTime;

use waybill_core as core;

use crate::error::Result;
use std::sync::Arc;

use crate::client::{CallToken, guarded};
use crate::object::Waybill;
use crate::orders::Rejection;

/// What a sync did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncReport {
    /// Actions the server applied.
    pub pushed: u32,
    /// Actions the server refused (rolled back locally).
    pub rejected: Vec<Rejection>,
    /// Actions still queued.
    pub remaining: u32,
    /// Consent receipts the server confirmed.
    pub receipts_sent: u32,
    /// Rights requests the server acknowledged.
    pub rights_requests_sent: u32,
    /// Orders the change feed brought.
    pub pulled: u32,
    /// HTTP requests made to push actions.
    pub push_requests: u32,
    /// Whether every step ran (false: the time budget ended first).
    pub completed: bool,
    /// Trajectory batches the server stored.
    pub trajectory_batches: u32,
    /// Their bytes.
    pub trajectory_bytes: u64,
    /// Proofs whose upload completed.
    pub proofs_uploaded: u32,
    /// Proof bytes sent (including any chunk sent again).
    pub proof_bytes_sent: u64,
    /// Service-log events the server now holds (deleted from the device).
    pub service_events_sent: u32,
    /// Push-token registrations or removals sent (0 or 1).
    pub push_registrations: u32,
    /// Followed waybills whose status the server sent.
    pub waybills_refreshed: u32,
    /// New marketing messages kept (only under the `marketing` consent).
    pub marketing_kept: u32,
    /// New service notices that verified.
    pub notices_kept: u32,
    /// Notices the controller's signed sequence names that this device was never served
    /// (a front end withholding announcements): not 0 is worth telling the person (P-69).
    pub notices_withheld: u32,
}

/// The network as the shell sees it when its background job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Network {
    /// No connectivity: nothing is attempted.
    Offline,
    /// Cellular or metered Wi-Fi.
    Metered,
    /// Unmetered Wi-Fi.
    Unmetered,
}

mirror_enum!(Network, core::Network, Offline, Metered, Unmetered);

/// What a background sync did and when to run the next one.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BackgroundSync {
    /// What was done.
    pub report: SyncReport,
    /// Actions still queued.
    pub pending: u32,
    /// When the earliest queued action is due again (schedule the next job then).
    pub next_attempt_at: Option<SystemTime>,
    /// Why the run stopped early, if it did.
    pub last_error: Option<String>,
}

impl From<core::BackgroundSync> for BackgroundSync {
    fn from(b: core::BackgroundSync) -> Self {
        BackgroundSync {
            report: b.report.into(),
            pending: b.pending,
            next_attempt_at: b.next_attempt_at.map(Into::into),
            last_error: b.last_error,
        }
    }
}

impl From<core::SyncReport> for SyncReport {
    fn from(r: core::SyncReport) -> Self {
        SyncReport {
            pushed: r.pushed,
            rejected: r.rejected.into_iter().map(Into::into).collect(),
            remaining: r.remaining,
            receipts_sent: r.receipts_sent,
            rights_requests_sent: r.rights_requests_sent,
            pulled: r.pulled,
            push_requests: r.push_requests,
            completed: r.completed,
            trajectory_batches: r.trajectory_batches,
            trajectory_bytes: r.trajectory_bytes,
            proofs_uploaded: r.proofs_uploaded,
            proof_bytes_sent: r.proof_bytes_sent,
            service_events_sent: r.service_events_sent,
            push_registrations: r.push_registrations,
            waybills_refreshed: r.waybills_refreshed,
            marketing_kept: r.marketing_kept,
            notices_kept: r.notices_kept,
            notices_withheld: r.notices_withheld,
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// Pushes queued actions.
    #[uniffi::method(default(call))]
    pub async fn sync(&self, call: Option<Arc<CallToken>>) -> Result<SyncReport> {
        Ok(guarded(call, self.inner.sync()).await?.into())
    }

    /// The background job's entry point: most valuable work first within `budget_ms`,
    /// nothing when offline; says when to run next.
    #[uniffi::method(default(call))]
    pub async fn sync_in_background(
        &self,
        budget_ms: u32,
        network: Network,
        call: Option<Arc<CallToken>>,
    ) -> Result<BackgroundSync> {
        let budget = std::time::Duration::from_millis(u64::from(budget_ms));
        Ok(
            guarded(call, self.inner.sync_in_background(budget, network.into()))
                .await?
                .into(),
        )
    }
}
