//! The `Waybill` object: one per data directory, each method a one-line forward.

use std::sync::Arc;

use crate::data::{
    DataEvent, Fix, OrderContact, RightKind, RightsRequest, TrackingDiagnostics, TrackingPlan,
};
use crate::error::WaybillError;
use crate::list;
use crate::observe::{ChangeListener, Forward};
use crate::privacy::{
    Permission, PermissionAsk, PermissionState, PolicyStatus, PurposeState, Receipt, SettingsView,
};
use crate::proof::{Capture, Proof, ProofCheck, ProofKind, ProofRule, ProofSource, ProofStep};
use crate::secrets::{self, SecretStore};
use crate::types::{
    BackgroundSync, HistoryEntry, LatLon, Network, NewErrand, Order, OrderList, PendingAction,
    Rejection, Resolution, SyncReport, WaybillConfig,
};

type Result<T> = std::result::Result<T, WaybillError>;

/// A Waybill client. Close it (Kotlin `close()`/`use {}`, Swift: drop the last reference)
/// when the app no longer needs it; a process kill loses nothing acknowledged.
#[derive(Debug, uniffi::Object)]
pub struct Waybill {
    inner: waybill_core::Waybill,
}

#[uniffi::export]
impl Waybill {
    /// Opens the client on `config.data_dir` (creating or migrating its database), with
    /// the data key that seals personal data at rest taken from `secrets` (created there
    /// on first use). No network traffic.
    #[uniffi::constructor]
    pub fn open(config: WaybillConfig, secrets: Arc<dyn SecretStore>) -> Result<Arc<Self>> {
        Ok(Arc::new(Waybill {
            inner: waybill_core::Waybill::open(config.into(), &secrets::Forward(secrets))?,
        }))
    }

    /// Ends every network call in flight with `Cancelled` (Swift: on task cancellation;
    /// Kotlin cancels by dropping the future).
    pub fn cancel_running(&self) {
        self.inner.cancel_running();
    }

    /// Registers this installation once and returns the account id.
    pub async fn sign_in(&self) -> Result<String> {
        Ok(self.inner.sign_in().await?)
    }

    /// The signed-in account id, if any.
    pub fn account_id(&self) -> Result<Option<String>> {
        Ok(self.inner.account_id()?)
    }

    /// Downloads open offers near a point (sent rounded to ~1 km) into the cache.
    pub async fn refresh_open_orders(&self, near: LatLon, radius_m: u32) -> Result<Vec<Order>> {
        Ok(list(
            self.inner
                .refresh_open_orders(near.into(), radius_m)
                .await?,
        ))
    }

    /// Orders from the cache; works offline.
    pub fn orders(&self, which: OrderList) -> Result<Vec<Order>> {
        Ok(list(self.inner.orders(which.into())?))
    }

    /// One order from the cache.
    pub fn order(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.order(&order_id)?.into())
    }

    /// Accepts an offer; durable on return, pushed by the next `sync`.
    pub fn accept_order(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.accept_order(&order_id)?.into())
    }

    /// Goods loaded (accepted → picked up); works offline.
    pub fn pick_up(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.pick_up(&order_id)?.into())
    }

    /// Signed off (picked up → delivered); works offline.
    pub fn deliver(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.deliver(&order_id)?.into())
    }

    /// The driver reached stop `stop_index` of the route; works offline.
    pub fn arrive(&self, order_id: String, stop_index: u32) -> Result<Order> {
        Ok(self.inner.arrive(&order_id, stop_index)?.into())
    }

    /// The driver agreed a delivery time with the consignee; works offline.
    pub fn set_appointment(&self, order_id: String, at: std::time::SystemTime) -> Result<Order> {
        Ok(self.inner.set_appointment(&order_id, at.into())?.into())
    }

    /// Reports a problem on an order; works offline.
    pub fn report_exception(&self, order_id: String, note: String) -> Result<Order> {
        Ok(self.inner.report_exception(&order_id, &note)?.into())
    }

    /// A shipper places an errand (offline-capable); `may_share_parties`: the user
    /// confirmed they may give the sender's and recipient's data.
    pub fn place_errand(&self, errand: NewErrand, may_share_parties: bool) -> Result<Order> {
        Ok(self
            .inner
            .place_errand(&errand.into(), may_share_parties)?
            .into())
    }

    /// A shipper cancels an errand not yet delivered (offline-capable).
    pub fn cancel_errand(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.cancel_errand(&order_id)?.into())
    }

    /// Edits the note of a queued exception report; false if already sent.
    pub fn edit_pending_note(&self, seq: i64, note: String) -> Result<bool> {
        Ok(self.inner.edit_pending_note(seq, &note)?)
    }

    /// An order's history: my actions with their fate, and the server's changes.
    pub fn order_history(&self, order_id: String) -> Result<Vec<HistoryEntry>> {
        Ok(list(self.inner.order_history(&order_id)?))
    }

    /// Orders whose id, places or goods contain `text`; offline.
    pub fn search_orders(&self, text: String) -> Result<Vec<Order>> {
        Ok(list(self.inner.search_orders(&text)?))
    }

    /// Settles a rejection with one of its choices.
    pub fn resolve_rejection(&self, id: i64, resolution: Resolution) -> Result<()> {
        Ok(self.inner.resolve_rejection(id, resolution.into())?)
    }

    /// Queued actions with their retry state.
    pub fn pending(&self) -> Result<Vec<PendingAction>> {
        Ok(list(self.inner.pending()?))
    }

    /// Withdraws a queued action and the later ones of its order.
    pub fn cancel_pending(&self, seq: i64) -> Result<u32> {
        Ok(self.inner.cancel_pending(seq)?)
    }

    /// Local actions waiting for the server.
    pub fn pending_actions(&self) -> Result<u32> {
        Ok(self.inner.pending_actions()?)
    }

    /// Pushes queued actions.
    pub async fn sync(&self) -> Result<SyncReport> {
        Ok(self.inner.sync().await?.into())
    }

    /// The background job's entry point: most valuable work first within `budget_ms`,
    /// nothing when offline; says when to run next.
    pub async fn sync_in_background(
        &self,
        budget_ms: u32,
        network: Network,
    ) -> Result<BackgroundSync> {
        let budget = std::time::Duration::from_millis(u64::from(budget_ms));
        Ok(self
            .inner
            .sync_in_background(budget, network.into())
            .await?
            .into())
    }

    /// Refusals not yet dismissed.
    pub fn rejections(&self) -> Result<Vec<Rejection>> {
        Ok(list(self.inner.rejections()?))
    }

    /// Forgets a refusal the user has seen.
    pub fn dismiss_rejection(&self, id: i64) -> Result<()> {
        Ok(self.inner.dismiss_rejection(id)?)
    }

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

    /// Registers a listener told when a topic changed (re-read it then).
    pub fn add_listener(&self, listener: Arc<dyn ChangeListener>) {
        self.inner.add_listener(Arc::new(Forward(listener)));
    }

    /// The parties' contact of an order: full only if `reveal` and the order is open and
    /// this driver's; masked otherwise.
    pub fn order_contact(&self, order_id: String, reveal: bool) -> Result<Option<OrderContact>> {
        Ok(self.inner.order_contact(&order_id, reveal)?.map(Into::into))
    }

    /// Takes a photo proof for a step of an order this driver holds: checked, stripped of
    /// its metadata but the orientation, kept under its SHA-256 in the app-private folder.
    pub fn take_proof(
        &self,
        order_id: String,
        kind: ProofKind,
        step: ProofStep,
        source: ProofSource,
        captured: Capture,
    ) -> Result<Proof> {
        Ok(self
            .inner
            .take_proof(
                &order_id,
                kind.into(),
                step.into(),
                &source.into(),
                captured.into(),
            )?
            .into())
    }

    /// What a step of an order still lacks under the proof rules.
    pub fn proof_check(&self, order_id: String, step: ProofStep) -> Result<ProofCheck> {
        Ok(self.inner.proof_check(&order_id, step.into())?.into())
    }

    /// Replaces the proof rules.
    pub fn set_proof_rules(&self, rules: Vec<ProofRule>) -> Result<()> {
        let rules: Vec<waybill_core::ProofRule> = list(rules);
        Ok(self.inner.set_proof_rules(&rules)?)
    }

    /// The proof rules in force.
    pub fn proof_rules(&self) -> Result<Vec<ProofRule>> {
        Ok(self
            .inner
            .proof_rules()?
            .into_iter()
            .filter_map(ProofRule::from_core)
            .collect())
    }

    /// Signs off away from the drop-off stop, with the driver's reason.
    pub fn deliver_with_override(&self, order_id: String, reason: String) -> Result<Order> {
        Ok(self
            .inner
            .deliver_with_override(&order_id, Some(&reason))?
            .into())
    }

    /// Discards a proof (record, file, and its unfinished upload on the server at the
    /// next sync). Returns whether there was one.
    pub fn discard_proof(&self, order_id: String, sha256: String) -> Result<bool> {
        Ok(self.inner.discard_proof(&order_id, &sha256)?)
    }

    /// The proofs of an order, in upload order.
    pub fn proofs(&self, order_id: String) -> Result<Vec<Proof>> {
        Ok(list(self.inner.proofs(&order_id)?))
    }

    /// The kept image of a proof (opened from its sealed file), to show it.
    pub fn proof_image(&self, sha256: String) -> Result<Vec<u8>> {
        Ok(self.inner.proof_image(&sha256)?)
    }

    /// Records location fixes for the order being carried (trajectory consent needed).
    pub fn record_fixes(&self, order_id: String, fixes: Vec<Fix>) -> Result<u32> {
        let fixes: Vec<waybill_core::Fix> = list(fixes);
        Ok(self.inner.record_fixes(&order_id, &fixes)?)
    }

    /// Whether to run location updates now, for which order and how; or why not.
    pub fn tracking_plan(&self) -> Result<TrackingPlan> {
        Ok(self.inner.tracking_plan()?.into())
    }

    /// Makes recorded fixes durable now (call when the app goes to the background).
    pub fn flush_fixes(&self) -> Result<u32> {
        Ok(self.inner.flush_fixes()?)
    }

    /// What the trajectory engine saw of an order's leg: drops by reason, gaps, stops,
    /// arrivals and distance.
    pub fn tracking_diagnostics(&self, order_id: String) -> Result<TrackingDiagnostics> {
        Ok(self.inner.tracking_diagnostics(&order_id)?.into())
    }

    /// The location provider was switched off: the next fix closes a gap with that reason.
    pub fn location_provider_off(&self) {
        self.inner.location_provider_off();
    }

    /// The fixes held for an order.
    pub fn fixes(&self, order_id: String) -> Result<Vec<Fix>> {
        Ok(list(self.inner.fixes(&order_id)?))
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

    /// Files an access, correction or deletion request (a deletion also erases locally).
    pub fn request_right(&self, kind: RightKind, detail: String) -> Result<RightsRequest> {
        Ok(self.inner.request_right(kind.into(), &detail)?.into())
    }

    /// Whether the shell may start a third-party SDK now (declared, purpose allowed).
    pub fn sdk_may_start(&self, sdk_id: String) -> Result<bool> {
        Ok(self.inner.sdk_may_start(&sdk_id)?)
    }

    /// Asks before handing data of `category` to an SDK; logged when allowed.
    pub fn disclose_to_sdk(&self, sdk_id: String, category: String, items: u32) -> Result<()> {
        Ok(self.inner.disclose_to_sdk(&sdk_id, &category, items)?)
    }

    /// Rights requests with status and deadline.
    pub fn rights_requests(&self) -> Result<Vec<RightsRequest>> {
        Ok(list(self.inner.rights_requests()?))
    }

    /// Closes the account on the server, then wipes the device.
    pub async fn cancel_account(&self) -> Result<()> {
        Ok(self.inner.cancel_account().await?)
    }
}
