//! The privacy engine across the FFI: the settings screen, receipts, states, the
//! transparency log, rights requests, and the `Waybill` methods that forward to it.

use std::time::SystemTime;

use waybill_core as core;

use crate::error::Result;
use crate::list;
use std::sync::Arc;

use crate::client::{CallToken, guarded};
use crate::object::Waybill;

/// An OS permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Permission {
    /// Coarse location.
    LocationApproximate,
    /// GPS location.
    LocationPrecise,
    /// Background location.
    LocationBackground,
    /// Camera.
    Camera,
    /// Photo library.
    Photos,
    /// Address book.
    Contacts,
    /// Notifications.
    Notifications,
}

mirror_enum!(
    Permission,
    core::Permission,
    LocationApproximate,
    LocationPrecise,
    LocationBackground,
    Camera,
    Photos,
    Contacts,
    Notifications
);

/// What the OS says about a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PermissionState {
    /// Allowed.
    Granted,
    /// Allowed in part.
    Limited,
    /// Refused.
    Denied,
    /// Never asked.
    NotDetermined,
}

mirror_enum!(
    PermissionState,
    core::PermissionState,
    Granted,
    Limited,
    Denied,
    NotDetermined
);

/// Kind of a consent decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecisionKind {
    /// Policy accepted.
    PolicyAccepted,
    /// Purpose allowed.
    Granted,
    /// Purpose refused.
    Refused,
    /// Earlier yes taken back.
    Withdrawn,
    /// Guardian consented.
    GuardianConsent,
}

mirror_enum!(
    DecisionKind,
    core::DecisionKind,
    PolicyAccepted,
    Granted,
    Refused,
    Withdrawn,
    GuardianConsent
);

/// A consent receipt.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Receipt {
    /// Position in the ledger.
    pub seq: i64,
    /// What was decided.
    pub kind: DecisionKind,
    /// Policy version in force.
    pub policy_version: String,
    /// Purpose, if any.
    pub purpose: Option<String>,
    /// How it was asked.
    pub asked_via: String,
    /// When.
    pub at: SystemTime,
    /// Hash of the previous receipt.
    pub prev_hash: String,
    /// This receipt's hash.
    pub hash: String,
}

impl From<core::Receipt> for Receipt {
    fn from(r: core::Receipt) -> Self {
        Receipt {
            seq: r.seq,
            kind: r.kind.into(),
            policy_version: r.policy_version,
            purpose: r.purpose,
            asked_via: r.asked_via,
            at: r.at.into(),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// One change between policies.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PolicyChange {
    /// Purpose, category or SDK concerned.
    pub subject: String,
    /// What changed.
    pub description: String,
    /// Whether it needs a new decision.
    pub material: bool,
}

impl From<core::PolicyChange> for PolicyChange {
    fn from(c: core::PolicyChange) -> Self {
        PolicyChange {
            subject: c.subject,
            description: c.description,
            material: c.material,
        }
    }
}

/// Whether the policy in force is accepted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PolicyStatus {
    /// Never accepted.
    NotAccepted,
    /// Accepted (changes since are not material).
    Accepted {
        /// Version accepted.
        version: String,
        /// Non-material changes to show as a notice.
        notices: Vec<PolicyChange>,
    },
    /// Material changes need a decision.
    NeedsReacceptance {
        /// Version accepted.
        accepted_version: String,
        /// What changed.
        changes: Vec<PolicyChange>,
    },
}

impl From<core::PolicyStatus> for PolicyStatus {
    fn from(s: core::PolicyStatus) -> Self {
        match s {
            core::PolicyStatus::NotAccepted => PolicyStatus::NotAccepted,
            core::PolicyStatus::Accepted { version, notices } => PolicyStatus::Accepted {
                version,
                notices: list(notices),
            },
            core::PolicyStatus::NeedsReacceptance {
                accepted_version,
                changes,
            } => PolicyStatus::NeedsReacceptance {
                accepted_version,
                changes: list(changes),
            },
        }
    }
}

/// The one state of a purpose.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PurposeState {
    /// Allowed.
    Allowed,
    /// Allowed through the manifest's alternative, without a permission.
    Degraded {
        /// Missing permission.
        permission: Permission,
    },
    /// Consent given, permission missing.
    NeedsPermission {
        /// Permission to ask for.
        permission: Permission,
    },
    /// Not decided yet.
    NeedsConsent,
    /// Refused.
    Refused,
    /// Withdrawn.
    Withdrawn,
    /// The policy is not accepted.
    PolicyNotAccepted,
    /// A minor user without a guardian's consent.
    NeedsGuardianConsent,
    /// Adults only (marketing, profiling): a declared minor is not asked.
    NotForMinors,
}

impl From<core::PurposeState> for PurposeState {
    fn from(s: core::PurposeState) -> Self {
        use core::PurposeState as S;
        match s {
            S::Allowed => PurposeState::Allowed,
            S::Degraded { permission } => PurposeState::Degraded {
                permission: permission.into(),
            },
            S::NeedsPermission { permission } => PurposeState::NeedsPermission {
                permission: permission.into(),
            },
            S::NeedsConsent => PurposeState::NeedsConsent,
            S::Refused => PurposeState::Refused,
            S::Withdrawn => PurposeState::Withdrawn,
            S::PolicyNotAccepted => PurposeState::PolicyNotAccepted,
            S::NeedsGuardianConsent => PurposeState::NeedsGuardianConsent,
            S::NotForMinors => PurposeState::NotForMinors,
        }
    }
}

/// A purpose row of the settings screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PurposeRow {
    /// Id, for `decide`.
    pub id: String,
    /// Label.
    pub label: String,
    /// What it is for.
    pub description: String,
    /// Core function.
    pub core: bool,
    /// Has a switch.
    pub switchable: bool,
    /// Processes sensitive data.
    pub sensitive: bool,
    /// Data category labels.
    pub categories: Vec<String>,
    /// Who, beyond the controller, is shown this purpose's data, and when.
    pub recipients: Vec<String>,
    /// Its one state.
    pub state: PurposeState,
    /// What refusing costs.
    pub if_refused: String,
    /// Retention in words.
    pub retention: String,
}

impl From<core::PurposeRow> for PurposeRow {
    fn from(r: core::PurposeRow) -> Self {
        PurposeRow {
            id: r.id,
            label: r.label,
            description: r.description,
            core: r.core,
            switchable: r.switchable,
            sensitive: r.sensitive,
            categories: r.categories,
            recipients: r.recipients,
            state: r.state.into(),
            if_refused: r.if_refused,
            retention: r.retention,
        }
    }
}

/// A permission row of the settings screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PermissionRow {
    /// The permission.
    pub permission: Permission,
    /// Its state.
    pub state: PermissionState,
    /// Purposes using it.
    pub used_by: Vec<String>,
    /// Why.
    pub rationale: String,
}

impl From<core::PermissionRow> for PermissionRow {
    fn from(r: core::PermissionRow) -> Self {
        PermissionRow {
            permission: r.permission.into(),
            state: r.state.into(),
            used_by: r.used_by,
            rationale: r.rationale,
        }
    }
}

/// A third-party SDK row.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SdkRow {
    /// Name.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// What it receives.
    pub receives: Vec<String>,
    /// Purposes it serves.
    pub purposes: Vec<String>,
    /// Privacy page.
    pub url: String,
}

impl From<core::SdkRow> for SdkRow {
    fn from(r: core::SdkRow) -> Self {
        SdkRow {
            name: r.name,
            provider: r.provider,
            receives: r.receives,
            purposes: r.purposes,
            url: r.url,
        }
    }
}

/// The privacy settings screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SettingsView {
    /// Policy version in force.
    pub policy_version: String,
    /// Where to read it.
    pub policy_url: String,
    /// Acceptance status.
    pub policy_status: PolicyStatus,
    /// Purposes, core first.
    pub purposes: Vec<PurposeRow>,
    /// Permissions.
    pub permissions: Vec<PermissionRow>,
    /// Third parties.
    pub sdks: Vec<SdkRow>,
    /// Receipts, newest first.
    pub receipts: Vec<Receipt>,
    /// Working days to answer rights requests.
    pub rights_response_working_days: u8,
    /// Personal data held on the device, per category.
    pub data_held: Vec<HeldRow>,
    /// Rights requests, newest first.
    pub rights_requests: Vec<RightsRequest>,
    /// Latest transparency-log lines, newest first.
    pub transparency: Vec<DataEvent>,
}

impl From<core::SettingsView> for SettingsView {
    fn from(v: core::SettingsView) -> Self {
        SettingsView {
            policy_version: v.policy_version,
            policy_url: v.policy_url,
            policy_status: v.policy_status.into(),
            purposes: list(v.purposes),
            permissions: list(v.permissions),
            sdks: list(v.sdks),
            receipts: list(v.receipts),
            rights_response_working_days: v.rights_response_working_days,
            data_held: list(v.data_held),
            rights_requests: list(v.rights_requests),
            transparency: list(v.transparency),
        }
    }
}

/// What the shell should do about a permission.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PermissionAsk {
    /// Nothing to ask.
    NotNeeded,
    /// Show the rationale, then the OS prompt.
    Ask {
        /// Permission.
        permission: Permission,
        /// Why.
        rationale: String,
    },
    /// Explain and open the OS settings.
    OpenSettings {
        /// Permission.
        permission: Permission,
        /// Why.
        rationale: String,
    },
    /// The in-app choice for `purpose` is open: show it; the OS prompt only after a yes.
    DecideInApp {
        /// The purpose to decide.
        purpose: String,
    },
    /// Said no in the app and the app, not the user, wants it: ask nothing.
    Declined {
        /// The purpose.
        purpose: String,
    },
    /// Refused recently: do not ask before `until`.
    Suppressed {
        /// Permission.
        permission: Permission,
        /// When asking is allowed again.
        until: SystemTime,
    },
}

impl From<core::PermissionAsk> for PermissionAsk {
    fn from(a: core::PermissionAsk) -> Self {
        use core::PermissionAsk as A;
        match a {
            A::NotNeeded => PermissionAsk::NotNeeded,
            A::Ask {
                permission,
                rationale,
            } => PermissionAsk::Ask {
                permission: permission.into(),
                rationale,
            },
            A::OpenSettings {
                permission,
                rationale,
            } => PermissionAsk::OpenSettings {
                permission: permission.into(),
                rationale,
            },
            A::DecideInApp { purpose } => PermissionAsk::DecideInApp { purpose },
            A::Declined { purpose } => PermissionAsk::Declined { purpose },
            A::Suppressed { permission, until } => PermissionAsk::Suppressed {
                permission: permission.into(),
                until: until.into(),
            },
        }
    }
}

/// What happened to data, in the transparency log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DataAction {
    /// Recorded on the device.
    Collected,
    /// Received from the server.
    Received,
    /// Sent to a recipient.
    Sent,
    /// Deleted after a withdrawal.
    Purged,
    /// Deleted when its retention ended.
    Expired,
    /// Copied out for the user.
    Exported,
    /// Deleted at the user's request.
    Erased,
}

mirror_enum!(
    DataAction,
    core::DataAction,
    Collected,
    Received,
    Sent,
    Purged,
    Expired,
    Exported,
    Erased
);

/// One line of the transparency log.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DataEvent {
    /// When.
    pub at: SystemTime,
    /// What happened.
    pub action: DataAction,
    /// For which purpose.
    pub purpose: String,
    /// Category ids.
    pub categories: Vec<String>,
    /// To (or from) whom.
    pub recipient: Option<String>,
    /// How many items.
    pub items: u32,
}

impl From<core::DataEvent> for DataEvent {
    fn from(e: core::DataEvent) -> Self {
        DataEvent {
            at: e.at.into(),
            action: e.action.into(),
            purpose: e.purpose,
            categories: e.categories,
            recipient: e.recipient,
            items: e.items,
        }
    }
}

/// Kind of rights request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RightKind {
    /// A copy of what the service holds.
    Access,
    /// Correct inaccurate data.
    Correction,
    /// Delete data.
    Deletion,
    /// Close the account (use `cancel_account`).
    Cancellation,
}

mirror_enum!(
    RightKind,
    core::RightKind,
    Access,
    Correction,
    Deletion,
    Cancellation
);

/// Where a rights request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RequestStatus {
    /// On the device, not yet acknowledged.
    Queued,
    /// The server has it; the deadline runs.
    Received,
    /// Done.
    Completed,
    /// Refused (see the answer).
    Refused,
}

mirror_enum!(
    RequestStatus,
    core::RequestStatus,
    Queued,
    Received,
    Completed,
    Refused
);

/// A rights request with its deadline.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RightsRequest {
    /// Id.
    pub id: String,
    /// What was asked.
    pub kind: RightKind,
    /// The user's words.
    pub detail: String,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was filed.
    pub created_at: SystemTime,
    /// The policy's answer deadline.
    pub due_at: SystemTime,
    /// The answer, once there is one.
    pub answer: Option<String>,
    /// Queued and waiting for a (new) step-up code.
    pub awaiting_code: bool,
    /// Not answered and past its deadline.
    pub overdue: bool,
}

impl From<core::RightsRequest> for RightsRequest {
    fn from(r: core::RightsRequest) -> Self {
        RightsRequest {
            id: r.id,
            kind: r.kind.into(),
            detail: r.detail,
            status: r.status.into(),
            created_at: r.created_at.into(),
            due_at: r.due_at.into(),
            answer: r.answer,
            awaiting_code: r.awaiting_code,
            overdue: r.overdue,
        }
    }
}

/// Personal data of one category held on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HeldRow {
    /// Category id.
    pub category: String,
    /// Label.
    pub label: String,
    /// Items held.
    pub items: u32,
    /// Retention, in words.
    pub retention: String,
}

impl From<core::HeldRow> for HeldRow {
    fn from(r: core::HeldRow) -> Self {
        HeldRow {
            category: r.category,
            label: r.label,
            items: r.items,
            retention: r.retention,
        }
    }
}

/// A policy as the person can read it, offline.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PolicyText {
    /// The version shown (the accepted one, or the one in force before any acceptance).
    pub version: String,
    /// When it was accepted.
    pub accepted_at: Option<std::time::SystemTime>,
    /// Where the full legal text is published.
    pub url: String,
    /// The policy in Markdown.
    pub markdown: String,
}

#[uniffi::export]
impl Waybill {
    /// The privacy settings screen.
    pub fn privacy_settings(&self) -> Result<SettingsView> {
        Ok(self.inner.privacy_settings()?.into())
    }

    /// Whether the policy in force is accepted, and what changed.
    pub fn policy_status(&self) -> Result<PolicyStatus> {
        Ok(self.inner.policy_status()?.into())
    }

    /// The one state of a purpose.
    pub fn purpose_state(&self, purpose: String) -> Result<PurposeState> {
        Ok(self.inner.purpose_state(&purpose)?.into())
    }

    /// The user accepted the policy in force; returns the receipts.
    pub fn accept_policy(&self, asked_via: String) -> Result<Vec<Receipt>> {
        Ok(list(self.inner.accept_policy(&asked_via)?))
    }

    /// The user switched a consent-based purpose on or off.
    pub fn decide(&self, purpose: String, allow: bool, asked_via: String) -> Result<Receipt> {
        Ok(self.inner.decide(&purpose, allow, &asked_via)?.into())
    }

    /// The user's age; only whether it is under the policy's minimum is kept.
    pub fn declare_age(&self, age_years: u32) -> Result<bool> {
        Ok(self.inner.declare_age(age_years)?)
    }

    /// A guardian consented for a minor user; returns the receipt.
    pub fn record_guardian_consent(&self, asked_via: String) -> Result<Receipt> {
        Ok(self.inner.record_guardian_consent(&asked_via)?.into())
    }

    /// The shell reports an OS permission state.
    pub fn report_permission(&self, permission: Permission, state: PermissionState) -> Result<()> {
        Ok(self
            .inner
            .report_permission(permission.into(), state.into())?)
    }

    /// What to do about the permission a purpose needs (48-hour rule applied).
    pub fn permission_ask(&self, purpose: String, user_initiated: bool) -> Result<PermissionAsk> {
        Ok(self.inner.permission_ask(&purpose, user_initiated)?.into())
    }

    /// Installs a new policy manifest (JSON); a bad one is rejected and the old one stays.
    pub fn install_manifest(&self, document: String) -> Result<PolicyStatus> {
        Ok(self.inner.install_manifest(&document)?.into())
    }

    /// Verifies the consent ledger's hash chain; returns the number of receipts.
    pub fn verify_consent_ledger(&self) -> Result<u32> {
        Ok(self.inner.verify_consent_ledger()?)
    }

    /// Deletes data whose retention ended; returns the items deleted.
    pub fn sweep_retention(&self) -> Result<u32> {
        Ok(self.inner.sweep_retention()?)
    }

    /// The transparency log, newest first.
    pub fn transparency_log(&self, limit: u32) -> Result<Vec<DataEvent>> {
        Ok(list(self.inner.transparency_log(limit)?))
    }

    /// Everything the device holds about the user, as JSON (trajectories as GPX).
    pub fn export_personal_data(&self) -> Result<String> {
        Ok(self.inner.export_personal_data()?)
    }

    /// Files an access, correction or deletion request with the step-up code sent for it
    /// (without one it waits for `confirm_rights_request`); a deletion also erases locally.
    pub fn request_right(
        &self,
        kind: RightKind,
        detail: String,
        step_up_code: Option<String>,
    ) -> Result<RightsRequest> {
        Ok(self
            .inner
            .request_right(kind.into(), &detail, step_up_code.as_deref())?
            .into())
    }

    /// Gives a request waiting for a step-up code a new one; the next sync sends it.
    pub fn confirm_rights_request(&self, request_id: String, step_up_code: String) -> Result<()> {
        Ok(self
            .inner
            .confirm_rights_request(&request_id, &step_up_code)?)
    }

    /// Whether the shell may start a third-party SDK now (declared, purpose allowed).
    pub fn sdk_may_start(&self, sdk_id: String) -> Result<bool> {
        Ok(self.inner.sdk_may_start(&sdk_id)?)
    }

    /// Asks before handing data of `category` to an SDK; logged when allowed.
    pub fn disclose_to_sdk(&self, sdk_id: String, category: String, items: u32) -> Result<()> {
        Ok(self.inner.disclose_to_sdk(&sdk_id, &category, items)?)
    }

    /// The SDKs owed a "forget" since a deletion or the closing (P-63): call each one's own
    /// deletion, then `sdk_forgotten`.
    pub fn sdks_to_forget(&self) -> Result<Vec<String>> {
        Ok(self.inner.sdks_to_forget()?)
    }

    /// The shell called `sdk_id`'s deletion; returns whether it was owed.
    pub fn sdk_forgotten(&self, sdk_id: String) -> Result<bool> {
        Ok(self.inner.sdk_forgotten(&sdk_id)?)
    }

    /// The policy the person accepted, readable offline (Markdown from the accepted
    /// manifest version).
    pub fn policy_text(&self) -> Result<PolicyText> {
        let t = self.inner.policy_text()?;
        Ok(PolicyText {
            version: t.version,
            accepted_at: t.accepted_at.map(Into::into),
            url: t.url,
            markdown: t.markdown,
        })
    }

    /// The app opened (`true`) or left (`false`) a map or navigation screen: the map SDK
    /// gets positions only while one is open or an order is carried.
    pub fn set_map_visible(&self, visible: bool) {
        self.inner.set_map_visible(visible);
    }

    /// Rights requests with status and deadline.
    pub fn rights_requests(&self) -> Result<Vec<RightsRequest>> {
        Ok(list(self.inner.rights_requests()?))
    }

    /// Closes the account on the server with a fresh step-up code, then wipes the device.
    #[uniffi::method(default(call))]
    pub async fn cancel_account(
        &self,
        step_up_code: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<()> {
        Ok(guarded(call, self.inner.cancel_account(&step_up_code)).await?)
    }
}
