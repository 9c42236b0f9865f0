//! The calls that go to one engine alone: the client forwards them (and tells the shell
//! what changed). The flows where engines meet are in `client.rs`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use waybill_protocol::{ActionKind, NewErrand};

use super::Waybill;
use crate::error::Result;
use crate::observe::{ChangeListener, ListenerId, Topic};
use crate::orders::courier::CourierTrack;
use crate::orders::history::HistoryEntry;
use crate::orders::outbox::OutboxEntry;
use crate::orders::parties::OrderContact;
use crate::orders::rejections::{Rejection, Resolution};
use crate::orders::scan::{ParcelCheck, ScanMatch};
use crate::orders::{Order, OrderList};
use crate::privacy::ledger::Receipt;
use crate::privacy::permissions::PermissionAsk;
use crate::privacy::policy_text::PolicyText;
use crate::privacy::rights::RightsRequest;
use crate::privacy::settings::SettingsView;
use crate::privacy::transparency::DataEvent;
use crate::privacy::{PolicyStatus, PurposeState};
use crate::proof::Proof;
use crate::proof::rules::{ProofCheck, ProofRule};
use crate::track::Fix;
use crate::track::events::GapReason;
use crate::track::tracker::TrackingDiagnostics;
use waybill_protocol::service_log::ServiceEventKind;

impl Waybill {
    /// Registers a listener told (without data) when a topic changed; the shell re-reads.
    /// Returns its id for [`Waybill::remove_listener`].
    pub fn add_listener(&self, listener: Arc<dyn ChangeListener>) -> ListenerId {
        self.services.listeners.add(listener)
    }

    /// Removes a listener (its stream ended): it is dropped, with what it holds. Returns
    /// whether it was registered.
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        self.services.listeners.remove(id)
    }

    /// How many listeners are registered (a leak shows here).
    pub fn listener_count(&self) -> u32 {
        u32::try_from(self.services.listeners.count()).unwrap_or(u32::MAX)
    }

    /// The signed-in account id, if any. Local only.
    pub fn account_id(&self) -> Result<Option<String>> {
        self.account.account_id()
    }

    /// Orders from the local cache; works offline.
    pub fn orders(&self, which: OrderList) -> Result<Vec<Order>> {
        self.orders.list(which)
    }

    /// One order from the local cache.
    pub fn order(&self, order_id: &str) -> Result<Order> {
        self.orders.get(order_id)
    }

    pub(super) fn changed_order(&self, order: Result<Order>) -> Result<Order> {
        let order = order?;
        self.notify(&[Topic::Orders]);
        Ok(order)
    }

    /// Accepts an offer offline; pushed by the next [`Waybill::sync`]. Fails at once if the
    /// cache already knows the order cannot be taken.
    pub fn accept_order(&self, order_id: &str) -> Result<Order> {
        self.changed_order(self.orders.take(order_id, ActionKind::Accept, None, None))
    }

    /// Reports a problem (delay, damage, nobody at the address); the status stays.
    pub fn report_exception(&self, order_id: &str, note: &str) -> Result<Order> {
        self.changed_order(self.orders.report_exception(order_id, note))
    }

    /// A shipper places an errand offline. `may_share_parties`: the user confirmed they may
    /// give the sender's and recipient's contact (P-28; seed 003).
    pub fn place_errand(&self, errand: &NewErrand, may_share_parties: bool) -> Result<Order> {
        let order = self.changed_order(self.orders.place_errand(errand, may_share_parties))?;
        // The form's convenience data (P-39): kept only under its consent, and a failure
        // to keep it does not undo the errand.
        if let Err(e) = self.convenience.remember_errand(errand) {
            tracing::warn!(error = %e, "errand's addresses not remembered");
        }
        Ok(order)
    }

    /// The SDKs owed a "forget" since a deletion request or the account's closing (P-63):
    /// call each one's own deletion (reset its id, unregister its token), then
    /// [`Waybill::sdk_forgotten`]. Kept until then, across restarts and the closing's wipe.
    pub fn sdks_to_forget(&self) -> Result<Vec<String>> {
        self.privacy.sdks_to_forget()
    }

    /// The shell called `sdk_id`'s deletion; returns whether it was owed.
    pub fn sdk_forgotten(&self, sdk_id: &str) -> Result<bool> {
        self.privacy.sdk_forgotten(sdk_id)
    }

    /// Checks one contact the person picked in the OS picker for a sender or recipient
    /// (P-21): under the `contact_pick` consent with the contacts permission; kept only as
    /// the errand's party once placed. Typing the party needs nothing.
    pub fn pick_contact(
        &self,
        contact: &crate::orders::entry::PickedContact,
    ) -> Result<crate::orders::entry::PickedContact> {
        self.orders.pick_contact(contact)
    }

    /// The person's position for the pickup point (P-13): under `locate_me` with the
    /// location permission granted, rounded to about 100 m, not kept. Typing the address
    /// needs nothing.
    pub fn locate_me(&self, at: waybill_protocol::LatLon) -> Result<waybill_protocol::LatLon> {
        self.orders.locate_me(at)
    }

    /// A shipper cancels an errand not yet delivered; works offline.
    pub fn cancel_errand(&self, order_id: &str) -> Result<Order> {
        self.changed_order(self.orders.take(order_id, ActionKind::Cancel, None, None))
    }

    /// The driver reached stop `stop_index` of the order's route (status unchanged).
    pub fn arrive(&self, order_id: &str, stop_index: u32) -> Result<Order> {
        self.changed_order(self.orders.arrive(order_id, stop_index, None))
    }

    /// The driver agreed a delivery time with the consignee (within 90 days).
    pub fn set_appointment(&self, order_id: &str, at: DateTime<Utc>) -> Result<Order> {
        self.changed_order(self.orders.set_appointment(order_id, at))
    }

    /// Queued actions with their retry state, in push order.
    pub fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.orders.pending()
    }

    /// Number of local actions waiting for the server.
    pub fn pending_actions(&self) -> Result<u32> {
        Ok(u32::try_from(self.orders.pending()?.len()).unwrap_or(u32::MAX))
    }

    /// Withdraws a queued action the server has not confirmed, with the later actions of
    /// its order that build on it; returns how many (0 if already sent).
    pub fn cancel_pending(&self, seq: i64) -> Result<u32> {
        let removed = self.orders.cancel_pending(seq)?;
        self.notify(&[Topic::Orders]);
        Ok(removed)
    }

    /// Edits the note of a queued exception report; false once it was sent.
    pub fn edit_pending_note(&self, seq: i64, note: &str) -> Result<bool> {
        let edited = self.orders.edit_pending_note(seq, note)?;
        self.notify(&[Topic::Orders]);
        Ok(edited)
    }

    /// An order's history as this device saw it, oldest first.
    pub fn order_history(&self, order_id: &str) -> Result<Vec<HistoryEntry>> {
        self.orders.history(order_id)
    }

    /// Orders whose id, places or goods contain `text`; works offline.
    pub fn search_orders(&self, text: &str) -> Result<Vec<Order>> {
        self.orders.search(text)
    }

    /// The order a parcel's scanned waybill code names, found in the cache offline: one
    /// this device holds or placed, an open offer, or none (a typed answer, not an error).
    /// The scanned text is neither stored nor sent.
    pub fn find_by_code(&self, scanned: &str) -> Result<ScanMatch> {
        self.orders.find_by_code(scanned)
    }

    /// Whether the parcel being scanned is the one `order_id` names (before a pickup or a
    /// sign-off): it matches, it is another order's of this device, or it names none.
    pub fn check_parcel(&self, order_id: &str, scanned: &str) -> Result<ParcelCheck> {
        self.orders.check_parcel(order_id, scanned)
    }

    /// The courier of this shipper's errand, between pickup and delivery: the route since
    /// pickup (each call fetches only what is new), the latest position and the distances
    /// covered and left; the state alone before pickup and after delivery. The route is
    /// kept in memory, never on disk.
    pub async fn follow_courier(&self, order_id: &str) -> Result<CourierTrack> {
        let orders = Arc::clone(&self.orders);
        let id = order_id.to_string();
        self.run(async move { orders.follow_courier(&id).await })
            .await
    }

    /// Refusals the UI has not dismissed yet.
    pub fn rejections(&self) -> Result<Vec<Rejection>> {
        self.orders.rejections()
    }

    /// Forgets a refusal the user has seen.
    pub fn dismiss_rejection(&self, id: i64) -> Result<()> {
        self.orders.dismiss_rejection(id)
    }

    /// Settles a rejection: `Dismiss` accepts the server's state; `Retry` takes the same
    /// action again (offered in `choices` only when it is possible now).
    pub fn resolve_rejection(&self, id: i64, resolution: Resolution) -> Result<()> {
        self.orders.resolve_rejection(id, resolution)?;
        self.notify(&[Topic::Orders]);
        Ok(())
    }

    /// The parties' contact of an order this driver holds: in full only if `reveal` and
    /// the order is still assigned and open, masked otherwise (P-29).
    pub fn order_contact(&self, order_id: &str, reveal: bool) -> Result<Option<OrderContact>> {
        self.orders.contact(order_id, reveal)
    }

    /// The shell's location provider was switched off: the next fix of each leg in
    /// progress closes a `ProviderOff` gap.
    pub fn location_provider_off(&self) {
        self.tracker.interrupt(GapReason::ProviderOff);
    }

    /// Rejections by reason (since the app started), gaps, stops and arrivals, and the
    /// distance over the kept fixes of an order's leg. Flushes first.
    pub fn tracking_diagnostics(&self, order_id: &str) -> Result<TrackingDiagnostics> {
        self.flush_quietly();
        self.tracker.diagnostics(order_id)
    }

    /// The fixes held for an order (what the export's GPX contains); flushes first.
    pub fn fixes(&self, order_id: &str) -> Result<Vec<Fix>> {
        self.flush_quietly();
        self.tracker.fixes(order_id)
    }

    /// What a step of an order still lacks under the proof rules.
    pub fn proof_check(&self, order_id: &str, step: ActionKind) -> Result<ProofCheck> {
        self.proofs.check(order_id, step)
    }

    /// Replaces the proof rules (per step and kind: required, recommended, optional, off).
    pub fn set_proof_rules(&self, rules: &[ProofRule]) -> Result<()> {
        self.proofs.set_rules(rules)
    }

    /// The proof rules in force.
    pub fn proof_rules(&self) -> Result<Vec<ProofRule>> {
        self.proofs.rules()
    }

    /// The driver discards a proof (a blurred photo): its record and file go.
    pub fn discard_proof(&self, order_id: &str, sha256: &str) -> Result<bool> {
        let found = self.proofs.discard(order_id, sha256)?;
        self.notify(&[Topic::Orders]);
        Ok(found)
    }

    /// The proofs of an order, in upload order (the delivery's first).
    pub fn proofs(&self, order_id: &str) -> Result<Vec<Proof>> {
        self.proofs.list(order_id)
    }

    /// The kept (stripped) image of a proof, for the app to show; `InvalidInput` if none is
    /// held or it already left the device with its upload.
    pub fn proof_image(&self, sha256: &str) -> Result<Vec<u8>> {
        self.proofs.image(sha256)
    }

    /// The privacy settings screen: purposes with their one state each, permissions, SDKs,
    /// the policy status and every consent receipt.
    pub fn privacy_settings(&self) -> Result<SettingsView> {
        self.privacy.settings()
    }

    /// Whether the policy in force is accepted, and what changed since the accepted one.
    pub fn policy_status(&self) -> Result<PolicyStatus> {
        self.privacy.policy_status()
    }

    /// The state of one purpose (what the gate would answer now).
    pub fn purpose_state(&self, purpose: &str) -> Result<PurposeState> {
        self.privacy.purpose_state(purpose)
    }

    /// The user accepted the policy in force (`asked_via` names the screen, e.g.
    /// `first_run_dialog`). Returns the receipts: the acceptance and each core purpose
    /// resting on plain consent. Durable when this returns.
    pub fn accept_policy(&self, asked_via: &str) -> Result<Vec<Receipt>> {
        let receipts = self.privacy.accept_policy(asked_via)?;
        self.notify(&[Topic::Privacy]);
        Ok(receipts)
    }

    /// A guardian consented for a minor user; returns the receipt.
    pub fn record_guardian_consent(&self, asked_via: &str) -> Result<Receipt> {
        let receipt = self.privacy.record_guardian_consent(asked_via)?;
        self.account.queue_age()?;
        self.notify(&[Topic::Privacy]);
        Ok(receipt)
    }

    /// What to do about the permission `purpose` needs: ask (with the manifest's
    /// rationale), send the user to the OS settings, stay quiet (48-hour rule), or nothing.
    /// `user_initiated`: the user opened the function themselves.
    pub fn permission_ask(&self, purpose: &str, user_initiated: bool) -> Result<PermissionAsk> {
        self.privacy.permission_ask(purpose, user_initiated)
    }

    /// Recomputes the consent ledger's hash chain; returns the number of receipts.
    pub fn verify_consent_ledger(&self) -> Result<u32> {
        self.privacy.verify_consent_ledger()
    }

    /// What was collected, received, sent and deleted, newest first.
    pub fn transparency_log(&self, limit: u32) -> Result<Vec<DataEvent>> {
        self.privacy.transparency_log(limit)
    }

    /// Whether the shell may start the third-party SDK `sdk_id` now: declared in the
    /// policy and serving a purpose with a live basis. Ask at start and after each change.
    pub fn sdk_may_start(&self, sdk_id: &str) -> Result<bool> {
        self.privacy.sdk_may_start(sdk_id)
    }

    /// The shell is about to hand `items` of `category` to the SDK `sdk_id`: refused with
    /// the gate's typed error unless the policy lets that SDK receive that category for a
    /// purpose allowed now; logged when allowed. Positions for map display and navigation
    /// go only while a map screen is open ([`Waybill::set_map_visible`]) or the driver
    /// carries an order.
    pub fn disclose_to_sdk(&self, sdk_id: &str, category: &str, items: u32) -> Result<()> {
        // Asked only for the navigation purpose, and the screen first: this runs for every
        // position the shell hands a map SDK.
        let navigating = || {
            self.map_visible.load(std::sync::atomic::Ordering::SeqCst)
                || self.orders.carrying().unwrap_or(false)
        };
        self.privacy
            .disclose_to_sdk(sdk_id, category, items, &navigating)
    }

    /// The shell opened (`true`) or left (`false`) a map or navigation screen; opening
    /// one is a service-log event, if the person allowed service logs.
    pub fn set_map_visible(&self, visible: bool) {
        let was = self
            .map_visible
            .swap(visible, std::sync::atomic::Ordering::SeqCst);
        if visible && !was {
            self.service_log
                .record(ServiceEventKind::NavigationOpened, None);
        }
    }

    /// Takes one photo the driver picked from the album as a proof for a step of an order
    /// this driver holds (P-19): under the album purpose and the photos permission
    /// (limited access is enough: the shell's picker hands over the one photo, and no call
    /// lists the library), checked and stripped like a camera photo. No position is
    /// recorded: the photo was taken earlier, elsewhere.
    pub fn take_proof_from_album(
        &self,
        order_id: &str,
        kind: crate::proof::ProofKind,
        step: ActionKind,
        source: &crate::proof::ProofSource,
    ) -> Result<crate::proof::Proof> {
        let picked = crate::proof::Capture {
            at: Utc::now(),
            elapsed_ms: None,
        };
        let proof = self.proofs.take(
            crate::purpose::Purpose::AlbumUpload,
            order_id,
            kind,
            step,
            source,
            picked,
            || None,
        )?;
        self.notify(&[Topic::Orders, Topic::Privacy]);
        Ok(proof)
    }

    /// The policy the person accepted, readable at any time and offline: rendered from
    /// the accepted manifest version the device keeps (the full legal text stays at its
    /// address).
    pub fn policy_text(&self) -> Result<PolicyText> {
        self.privacy.policy_text()
    }

    /// Rights requests with status and deadline, newest first.
    pub fn rights_requests(&self) -> Result<Vec<RightsRequest>> {
        self.privacy.rights_requests()
    }
}
