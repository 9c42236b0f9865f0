//! The privacy engine's handle: the settings screen, the user's decisions and their purge
//! consequences in the database, the manifest in force, retention, rights requests and
//! third-party SDKs. What a purge means for the other engines (files, fixes in memory) is
//! the client's one after-purge path; this handle says whether anything was purged.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use waybill_protocol::RightKind;

use super::gate::Gate;
use super::holdings::{self, Registry};
use super::ledger::{self, DecisionKind, Receipt};
use super::manifest::Permission;
use super::permissions::{PermissionAsk, PermissionState};
use super::rights::{self, RightsRequest};
use super::settings::{self, SettingsView};
use super::transparency::{self, DataAction, DataEvent};
use super::{PolicyStatus, PurposeState};
use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::purpose::Purpose;
use crate::services::Services;

/// The privacy engine.
pub(crate) struct Privacy {
    pub(super) services: Arc<Services>,
    pub(super) gate: Arc<Gate>,
    registry: Registry,
}

/// A decision recorded, and whether it purged data (the caller runs the after-purge path).
pub(crate) struct Decided<T> {
    /// What the call returns to the user.
    pub(crate) value: T,
    /// Whether rows were deleted (the WAL is to be truncated, files and fixes dropped).
    pub(crate) purged: bool,
}

impl Privacy {
    /// The engine over `gate`, purging and sweeping the tables of `registry`.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>, registry: Registry) -> Privacy {
        Privacy {
            services,
            gate,
            registry,
        }
    }

    /// The settings screen's view.
    pub(crate) fn settings(&self) -> Result<SettingsView> {
        let manifest = self.gate.manifest();
        self.services
            .db
            .read(|c| settings::build(c, &self.registry, &manifest))
    }

    /// The policy status for the manifest in force.
    pub(crate) fn policy_status(&self) -> Result<PolicyStatus> {
        let manifest = self.gate.manifest();
        self.services
            .db
            .read(|c| super::policy_status(c, &manifest))
    }

    /// The state of the purpose `purpose` (a manifest id).
    pub(crate) fn purpose_state(&self, purpose: &str) -> Result<PurposeState> {
        let manifest = self.gate.manifest();
        self.services
            .db
            .read(|c| super::purpose_state(c, &manifest, purpose))
    }

    /// The user accepted the policy in force.
    pub(crate) fn accept_policy(&self, asked_via: &str) -> Result<Vec<Receipt>> {
        check_asked_via(asked_via)?;
        let manifest = self.gate.manifest();
        let receipts = self
            .services
            .db
            .write(|tx| super::accept_policy(tx, &manifest, asked_via, Utc::now()))?;
        tracing::info!(version = %manifest.policy_version, "policy accepted");
        Ok(receipts)
    }

    /// The user switched a consent-based purpose on or off; off purges its data.
    pub(crate) fn decide(
        &self,
        purpose: &str,
        allow: bool,
        asked_via: &str,
    ) -> Result<Decided<Receipt>> {
        check_asked_via(asked_via)?;
        let manifest = self.gate.manifest();
        let receipt = self.services.db.write(|tx| {
            super::decide(
                tx,
                &self.registry,
                &manifest,
                purpose,
                allow,
                asked_via,
                Utc::now(),
            )
        })?;
        tracing::info!(purpose, kind = ?receipt.kind, "consent decision recorded");
        let purged = receipt.kind != DecisionKind::Granted;
        Ok(Decided {
            value: receipt,
            purged,
        })
    }

    /// Deletes everything held for `purpose` at the person's request, the consent staying
    /// as it is (P-39's "clear"): logged as erased. Returns the rows deleted.
    pub(crate) fn clear(&self, purpose: Purpose) -> Result<u32> {
        let removed = self.services.db.write(|tx| {
            let removed = holdings::purge_purpose(tx, &self.registry, purpose.id())?;
            transparency::record_removed(tx, DataAction::Erased, &removed, Utc::now())?;
            Ok::<_, Error>(removed)
        })?;
        Ok(removed.iter().map(|r| r.items).sum())
    }

    /// The user's age; a minor without a guardian's consent has everything purged.
    pub(crate) fn declare_age(&self, age_years: u32) -> Result<Decided<bool>> {
        let manifest = self.gate.manifest();
        let minor = self
            .services
            .db
            .write(|tx| super::declare_age(tx, &self.registry, &manifest, age_years))?;
        Ok(Decided {
            value: minor,
            purged: minor,
        })
    }

    /// A guardian consented for a minor user.
    pub(crate) fn record_guardian_consent(&self, asked_via: &str) -> Result<Receipt> {
        check_asked_via(asked_via)?;
        let manifest = self.gate.manifest();
        self.services
            .db
            .write(|tx| super::record_guardian_consent(tx, &manifest, asked_via, Utc::now()))
    }

    /// An OS permission state; off withdraws the purposes that need it.
    pub(crate) fn report_permission(
        &self,
        permission: Permission,
        state: PermissionState,
    ) -> Result<Decided<()>> {
        let manifest = self.gate.manifest();
        let purged = self.services.db.write(|tx| {
            super::report_permission(tx, &self.registry, &manifest, permission, state, Utc::now())
        })?;
        Ok(Decided { value: (), purged })
    }

    /// What to do about the permission `purpose` needs.
    pub(crate) fn permission_ask(
        &self,
        purpose: &str,
        user_initiated: bool,
    ) -> Result<PermissionAsk> {
        let manifest = self.gate.manifest();
        self.services
            .db
            .read(|c| super::permission_ask(c, &manifest, purpose, user_initiated, Utc::now()))
    }

    /// Installs a new manifest (JSON) and puts it in force; the caller sweeps, as a
    /// purpose the new policy dropped has no basis left.
    pub(crate) fn install_manifest(&self, document: &str) -> Result<()> {
        let current = self.gate.manifest();
        let new = self
            .services
            .db
            .write(|tx| super::install(tx, &current, document, Utc::now()))?;
        tracing::info!(version = %new.policy_version, "policy manifest installed");
        self.gate.replace(new);
        Ok(())
    }

    /// The policy version in force.
    pub(crate) fn policy_version(&self) -> String {
        self.gate.manifest().policy_version.clone()
    }

    /// The app the manifest in force is for (`driver`, `shipper`).
    pub(crate) fn app(&self) -> String {
        self.gate.manifest().app.clone()
    }

    /// Puts the shipped manifest back in force (after a wipe).
    pub(crate) fn reinstall_builtin(&self) -> Result<()> {
        let role = self.services.config.role;
        let fresh = self
            .services
            .db
            .write(|tx| super::install_builtin(tx, role, Utc::now()))?;
        self.gate.replace(fresh);
        Ok(())
    }

    /// Recomputes the consent ledger's hash chain; returns the number of receipts.
    pub(crate) fn verify_consent_ledger(&self) -> Result<u32> {
        match self.services.db.read(ledger::verify)? {
            Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(seq) => Err(Error::LedgerTampered { seq }),
        }
    }

    /// Deletes every row whose retention ended at `now`; returns the items deleted.
    pub(crate) fn sweep(&self, now: DateTime<Utc>) -> Result<u32> {
        let manifest = self.gate.manifest();
        let removed = self.services.db.write(|tx| {
            // After a stop the service announced, everything held for any purpose goes
            // (P-70: "停止收集" and delete).
            if super::service_stopped(tx, now)?.is_some() {
                let erased = holdings::erase_all(tx, &self.registry)?;
                transparency::record_removed(tx, DataAction::Erased, &erased, now)?;
                return Ok::<_, Error>(erased);
            }
            // Purposes the manifest dropped are looked for (a scan) only when it changed.
            let swept_under = meta::get(tx, MetaKey::SweptUnder)?;
            let changed = swept_under.as_deref() != Some(manifest.policy_version.as_str());
            let removed = holdings::sweep(tx, &self.registry, &manifest, now, changed)?;
            if changed {
                meta::set(tx, MetaKey::SweptUnder, &manifest.policy_version)?;
            }
            transparency::record_removed(tx, DataAction::Expired, &removed, now)?;
            let closed_requests = super::rights::sweep(tx, now)?;
            if closed_requests > 0 {
                let event = DataEvent::new(
                    DataAction::Expired,
                    crate::purpose::Purpose::Account.id(),
                    &["rights_requests"],
                    None,
                    closed_requests,
                    now,
                );
                transparency::record(tx, &event)?;
            }
            transparency::prune(tx, now)?;
            Ok::<_, Error>(removed)
        })?;
        let items = removed.iter().map(|r| r.items).sum();
        if items > 0 {
            tracing::info!(items, "retention sweep deleted expired data");
        }
        Ok(items)
    }

    /// The accepted policy, readable offline.
    pub(crate) fn policy_text(&self) -> Result<super::policy_text::PolicyText> {
        let manifest = self.gate.manifest();
        self.services
            .db
            .read(|c| super::policy_text::accepted(c, &manifest))
    }

    /// What was collected, received, sent and deleted, newest first.
    pub(crate) fn transparency_log(&self, limit: u32) -> Result<Vec<DataEvent>> {
        Ok(self.services.db.read(|c| transparency::recent(c, limit))?)
    }

    /// Logs that the user took a copy of their data.
    pub(crate) fn record_export(&self, now: DateTime<Utc>) -> Result<()> {
        let account = crate::purpose::Purpose::Account.id();
        let event = DataEvent::new(DataAction::Exported, account, &[], Some("you"), 1, now);
        Ok(self
            .services
            .db
            .write(|tx| transparency::record(tx, &event))?)
    }

    /// Files a rights request; a deletion also erases at once what the device holds,
    /// except what an order the driver still carries needs.
    pub(crate) fn request_right(
        &self,
        kind: RightKind,
        detail: &str,
        step_up_code: Option<&str>,
    ) -> Result<Decided<RightsRequest>> {
        if kind == RightKind::Cancellation {
            return Err(Error::InvalidInput {
                reason: "use cancel_account to close the account".into(),
            });
        }
        let manifest = self.gate.manifest();
        let request = self.services.db.write(|tx| {
            let now = Utc::now();
            let request = rights::file(tx, &manifest, kind, detail, step_up_code, now)?;
            if kind == RightKind::Deletion {
                let erased = holdings::erase(tx, &self.registry)?;
                transparency::record_removed(tx, DataAction::Erased, &erased, now)?;
                // The SDKs that got data are told too (P-63).
                super::forget::owe_all(tx, now)?;
            }
            Ok::<_, Error>(request)
        })?;
        Ok(Decided {
            value: request,
            purged: kind == RightKind::Deletion,
        })
    }

    /// Files the cancellation with its step-up code, or gives the queued one that code.
    pub(crate) fn cancellation_request(&self, step_up_code: &str) -> Result<RightsRequest> {
        if let Some(request) = self.pending_cancellation()? {
            self.confirm_rights_request(&request.id, step_up_code)?;
            return Ok(request);
        }
        let manifest = self.gate.manifest();
        self.services.db.write(|tx| {
            rights::file(
                tx,
                &manifest,
                RightKind::Cancellation,
                "",
                Some(step_up_code),
                Utc::now(),
            )
        })
    }

    /// Gives queued request `id` a (new) step-up code; the next sync sends it.
    pub(crate) fn confirm_rights_request(&self, id: &str, step_up_code: &str) -> Result<()> {
        if self
            .services
            .db
            .write(|tx| rights::set_code(tx, id, step_up_code))?
        {
            Ok(())
        } else {
            Err(Error::InvalidInput {
                reason: "no queued request with this id".into(),
            })
        }
    }

    /// The queued cancellation and its step-up code, when it has one to be sent with.
    pub(crate) fn sendable_cancellation(&self) -> Result<Option<(RightsRequest, String)>> {
        Ok(self
            .services
            .db
            .read(rights::sendable)?
            .into_iter()
            .find(|(r, _)| r.kind == RightKind::Cancellation))
    }

    /// Forgets the step-up code the server refused for request `id`.
    pub(crate) fn refuse_code(&self, id: &str) -> Result<()> {
        Ok(self.services.db.write(|tx| rights::clear_code(tx, id))?)
    }

    /// A cancellation the user asked for and the server has not confirmed.
    pub(crate) fn pending_cancellation(&self) -> Result<Option<RightsRequest>> {
        Ok(self.services.db.read(rights::pending_cancellation)?)
    }

    /// Rights requests, newest first.
    pub(crate) fn rights_requests(&self) -> Result<Vec<RightsRequest>> {
        Ok(self.services.db.read(rights::list)?)
    }

    /// Whether the SDK `sdk_id` may start now.
    pub(crate) fn sdk_may_start(&self, sdk_id: &str) -> Result<bool> {
        let manifest = self.gate.manifest();
        self.services
            .db
            .read(|c| super::sdks::may_start(c, &manifest, sdk_id))
    }

    /// The shell hands `items` of `category` to the SDK `sdk_id`: allowed and logged, or
    /// refused with the gate's typed error.
    pub(crate) fn disclose_to_sdk(
        &self,
        sdk_id: &str,
        category: &str,
        items: u32,
        navigating: &dyn Fn() -> bool,
    ) -> Result<()> {
        let manifest = self.gate.manifest();
        // Asked only of an SDK serving navigation, and before the read (it reads too).
        let serves_navigation = manifest
            .sdks
            .iter()
            .any(|s| s.id == sdk_id && s.purposes.iter().any(|p| p == Purpose::Navigation.id()));
        let navigating = serves_navigation && navigating();
        let (ticket, sdk_name) = self
            .services
            .db
            .read(|c| super::sdks::permit(c, &manifest, sdk_id, category, navigating))?;
        let event = DataEvent::new(
            DataAction::Sent,
            ticket.purpose(),
            &[category],
            Some(&sdk_name),
            items as usize,
            Utc::now(),
        );
        Ok(self.services.db.write(|tx| {
            transparency::record(tx, &event)?;
            super::forget::note_recipient(tx, sdk_id)
        })?)
    }

    /// The SDKs owed a "forget" (P-63), oldest first.
    pub(crate) fn sdks_to_forget(&self) -> Result<Vec<String>> {
        let owed = self.services.db.read(super::forget::owed)?;
        Ok(owed.into_iter().map(|(sdk, _)| sdk).collect())
    }

    /// The shell called `sdk_id`'s own deletion; returns whether it was owed.
    pub(crate) fn sdk_forgotten(&self, sdk_id: &str) -> Result<bool> {
        Ok(self
            .services
            .db
            .write(|tx| super::forget::done(tx, sdk_id))?)
    }

    /// Every SDK that received data is owed a "forget" (the account is closing); returns
    /// what is owed, to carry over the wipe.
    pub(crate) fn owe_forgets(&self, closing: bool) -> Result<Vec<(String, String)>> {
        Ok(self.services.db.write(|tx| {
            if closing {
                super::forget::owe_all(tx, Utc::now())?;
            }
            super::forget::owed(tx)
        })?)
    }

    /// Puts owed "forgets" back after a wipe.
    pub(crate) fn restore_forgets(&self, owed: &[(String, String)]) -> Result<()> {
        Ok(self
            .services
            .db
            .write(|tx| super::forget::restore(tx, owed))?)
    }
}

/// `asked_via` names the screen that asked (`first_run_dialog`): it goes into the
/// append-only consent ledger and to the server, so it is short and plain.
fn check_asked_via(asked_via: &str) -> Result<()> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.:/".contains(c);
    if (1..=64).contains(&asked_via.len()) && asked_via.chars().all(plain) {
        Ok(())
    } else {
        Err(Error::InvalidInput {
            reason: "asked_via: 1..=64 characters of [A-Za-z0-9_-.:/] naming the screen".into(),
        })
    }
}
