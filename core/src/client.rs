//! The `Waybill` client: one per data directory. It composes the engines (account, orders,
//! track, proof, privacy) over the shared services, forwards each call to the engine that
//! owns it, and holds the few flows where engines meet, each written once: a sign-off that
//! needs proofs and the drop-off geofence, a photo that takes the leg's last fix, fixes
//! whose arrivals become order actions, export, erasure, account cancellation, and the one
//! after-purge path. Notifications to the shell are sent here, after the change is durable.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use waybill_protocol::{ActionKind, LatLon};

mod accounts;
mod forward;
mod push;
mod waybills;

pub use push::PushRefresh;

use crate::account::{self, Account};
use crate::config::Config;
use crate::convenience::Convenience;
use crate::error::{Error, Result};
use crate::marketing::Marketing;
use crate::net::Transport;
use crate::notices::Notices;
use crate::observe::Topic;
use crate::orders::engine::{Orders, check_search};
use crate::orders::{self, Order, OrderList};
use crate::privacy::engine::{Decided, Privacy};
use crate::privacy::gate::Gate;
use crate::privacy::holdings::Registry;
use crate::privacy::ledger::Receipt;
use crate::privacy::manifest::Permission;
use crate::privacy::permissions::PermissionState;
use crate::privacy::{self, PolicyStatus};
use crate::proof::proofs::Proofs;
use crate::proof::{self, Capture, Proof, ProofKind, ProofSource};
use crate::purpose::Purpose;
use crate::push::{self as push_engine, Push};
use crate::secrets::{KeyFile, SecretStore};
use crate::service_log::{self, ServiceLog};
use crate::services::Services;
use crate::sync::{self, BackgroundSync, Engines, Network, SyncReport};
use crate::tasks::Tasks;
use crate::track::plan::TrackingPlan;
use crate::track::tracker::{Flushed, Tracker};
use crate::track::{self, Fix};
use crate::waybills::Waybills;

/// A sign-off further than this from the drop-off point needs an override reason (metres:
/// a depot's yard, a street's length, GPS error).
pub const DELIVERY_GEOFENCE_M: f64 = 200.0;

/// A client of the Waybill core, opened on one data directory.
pub struct Waybill {
    services: Arc<Services>,
    gate: Arc<Gate>,
    account: Arc<Account>,
    orders: Arc<Orders>,
    tracker: Arc<Tracker>,
    proofs: Arc<Proofs>,
    privacy: Arc<Privacy>,
    service_log: Arc<ServiceLog>,
    push: Arc<Push>,
    notices: Arc<Notices>,
    waybills: Arc<Waybills>,
    convenience: Arc<Convenience>,
    marketing: Arc<Marketing>,
    tasks: Tasks,
    /// A map or navigation screen is open (the shell says so): the map SDK may get
    /// positions.
    map_visible: std::sync::atomic::AtomicBool,
}

/// Every personal table, from each engine's declaration.
fn personal_data() -> Registry {
    let holdings = [
        track::HOLDINGS,
        proof::HOLDINGS,
        account::real_name::HOLDINGS,
        orders::HOLDINGS,
        service_log::HOLDINGS,
        push_engine::HOLDINGS,
        crate::waybills::HOLDINGS,
        crate::convenience::HOLDINGS,
        crate::marketing::HOLDINGS,
    ];
    Registry::new(
        holdings.iter().flat_map(|h| h.iter()).collect(),
        orders::ORDER_CLOCK,
    )
}

impl std::fmt::Debug for Waybill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waybill")
            .field("db", &self.services.db.path())
            .field("server_url", &self.services.server_url)
            .finish_non_exhaustive()
    }
}

impl Waybill {
    /// Opens the client with the built-in HTTP stack (builds with the `reqwest` feature:
    /// the CLI, desktop, tests; `InvalidConfig` in the mobile library): takes the data key
    /// from `secrets` (creating it on first use), creates or migrates the database in
    /// `config.data_dir` with its personal columns sealed by that key, builds the runtime
    /// and the HTTP client, and sweeps what outlived its retention. No network traffic
    /// happens here.
    pub fn open(config: Config, secrets: &dyn SecretStore) -> Result<Waybill> {
        Waybill::open_with(config, secrets, None)
    }

    /// [`Waybill::open`] sending every request through `transport`: the app's own HTTP
    /// stack, so its proxy, trust store and pinning apply (ADR 0014).
    pub fn open_with_transport(
        config: Config,
        secrets: &dyn SecretStore,
        transport: Arc<dyn Transport>,
    ) -> Result<Waybill> {
        Waybill::open_with(config, secrets, Some(transport))
    }

    fn open_with(
        config: Config,
        secrets: &dyn SecretStore,
        transport: Option<Arc<dyn Transport>>,
    ) -> Result<Waybill> {
        config.validated_server_url()?;
        let key = crate::secrets::data_key(secrets)?;
        let role = config.role;
        let control_key = config.control_key_bytes()?;
        let services = Services::open(config, key, transport)?;
        let manifest = services
            .db
            .write(|tx| privacy::install_builtin(tx, role, Utc::now()))?;
        let gate = Gate::new(Arc::clone(&services), manifest);
        let (s, g) = (&services, &gate);
        let account = Arc::new(Account::new(Arc::clone(s), Arc::clone(g)));
        let service_log = Arc::new(ServiceLog::new(Arc::clone(s), Arc::clone(g)));
        let orders = Arc::new(Orders::new(
            Arc::clone(s),
            Arc::clone(g),
            Arc::clone(&account),
            Arc::clone(&service_log),
        ));
        let client = Waybill {
            tracker: Arc::new(Tracker::new(
                Arc::clone(s),
                Arc::clone(g),
                Arc::clone(&orders),
            )),
            proofs: Arc::new(Proofs::new(
                Arc::clone(s),
                Arc::clone(g),
                Arc::clone(&orders),
            )),
            privacy: Arc::new(Privacy::new(Arc::clone(s), Arc::clone(g), personal_data())),
            push: Arc::new(Push::new(Arc::clone(s), Arc::clone(g))),
            notices: Arc::new(Notices::new(Arc::clone(s), control_key)),
            waybills: Arc::new(Waybills::new(Arc::clone(s), Arc::clone(g))),
            convenience: Arc::new(Convenience::new(Arc::clone(s), Arc::clone(g))),
            marketing: Arc::new(Marketing::new(Arc::clone(s), Arc::clone(g))),
            tasks: Tasks::start()?,
            map_visible: std::sync::atomic::AtomicBool::new(false),
            account,
            orders,
            service_log,
            gate,
            services,
        };
        tracing::info!(role = role.as_str(), "client opened");
        // Retention holds even if the app never asks: every start sweeps.
        client.sweep_retention()?;
        Ok(client)
    }

    /// [`Waybill::open`] with the data key in a file inside `config.data_dir`
    /// ([`KeyFile`]): for hosts without a secure store (the CLI, tests). An app passes its
    /// Keystore/Keychain store instead, or the key travels with the data it protects.
    pub fn open_with_key_file(config: Config) -> Result<Waybill> {
        let keys = KeyFile::in_dir(&config.data_dir);
        Waybill::open(config, &keys)
    }

    fn notify(&self, topics: &[Topic]) {
        for &topic in topics {
            self.services.listeners.notify(topic);
        }
    }

    /// Runs `work` on the core's runtime. What the server says of the session is handled
    /// here, in one place: a refused token is forgotten (the next sign-in proves the key,
    /// into the same account; queued actions are kept), a suspension is remembered (the
    /// queue is kept), a closed account wipes what is local.
    async fn run<T, Fut>(&self, work: Fut) -> Result<T>
    where
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let account = Arc::clone(&self.account);
        let result = self
            .tasks
            .run(async move {
                let result = work.await;
                match &result {
                    Err(Error::Unauthorized) => account.forget_session().await?,
                    Err(e @ Error::AccountSuspended) => account.note_standing(e).await?,
                    _ => {}
                }
                result
            })
            .await;
        if matches!(result, Err(Error::AccountClosed)) {
            self.closed_elsewhere()?;
        }
        result
    }

    fn engines(&self) -> Engines {
        Engines {
            account: Arc::clone(&self.account),
            orders: Arc::clone(&self.orders),
            tracker: Arc::clone(&self.tracker),
            proofs: Arc::clone(&self.proofs),
            privacy: Arc::clone(&self.privacy),
            service_log: Arc::clone(&self.service_log),
            push: Arc::clone(&self.push),
            notices: Arc::clone(&self.notices),
            waybills: Arc::clone(&self.waybills),
            marketing: Arc::clone(&self.marketing),
        }
    }

    /// Ends every network call in flight with `Cancelled` (the Swift facade calls it when
    /// the awaiting task is cancelled). Each step writes its state before it awaits the
    /// network, so the next sync resumes the rest; later calls are not affected.
    pub fn cancel_running(&self) {
        self.tasks.cancel_running();
    }

    /// Downloads the open offers near `near` into the cache and returns the open list; the
    /// position sent is rounded to about a kilometre.
    pub async fn refresh_open_orders(&self, near: LatLon, radius_m: u32) -> Result<Vec<Order>> {
        check_search(near, radius_m)?;
        let orders = Arc::clone(&self.orders);
        let list = self
            .run(async move { orders.refresh_open_offers(near, radius_m).await })
            .await?;
        self.notify(&[Topic::Orders]);
        Ok(list)
    }

    /// The goods are loaded (accepted → picked up); refused while a required proof is missing.
    pub fn pick_up(&self, order_id: &str) -> Result<Order> {
        self.proofs.require(order_id, ActionKind::PickUp)?;
        self.changed_order(self.orders.take(order_id, ActionKind::PickUp, None, None))
    }

    /// Signed off at the destination (picked up → delivered); see
    /// [`Waybill::deliver_with_override`].
    pub fn deliver(&self, order_id: &str) -> Result<Order> {
        self.deliver_with_override(order_id, None)
    }

    /// Signs off: the leg's fixes are made durable first (the trajectory ends here); refused
    /// with `ProofRequired` while a required proof is missing, and with `OutsideGeofence`
    /// when the last fix is away from the drop-off and no `reason` says why.
    pub fn deliver_with_override(&self, order_id: &str, reason: Option<&str>) -> Result<Order> {
        self.flush_quietly();
        self.proofs.require(order_id, ActionKind::Deliver)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let drop = self.orders.get(order_id)?.final_dropoff();
        let last = self.tracker.last_fix(order_id)?;
        let distance = drop
            .zip(last)
            .map(|(d, f)| track::geo::distance_m(f.lat, f.lon, d.lat, d.lon));
        let note = match (distance, reason) {
            (Some(d), Some(r)) if d > DELIVERY_GEOFENCE_M => {
                Some(format!("signed off {d:.0} m from the drop-off: {r}"))
            }
            (Some(d), None) if d > DELIVERY_GEOFENCE_M => {
                let distance_m = d.round() as u32;
                return Err(Error::OutsideGeofence { distance_m });
            }
            _ => None,
        };
        let taken = self
            .orders
            .take(order_id, ActionKind::Deliver, note.as_deref(), None);
        self.changed_order(taken)
    }

    /// Pushes queued actions, trajectories and proofs, pulls the change feed, sends
    /// receipts and rights requests; [`Error::Offline`] when the server cannot be reached
    /// (nothing is lost). A refused session is renewed once and the sync resumed.
    pub async fn sync(&self) -> Result<SyncReport> {
        self.flush_quietly();
        if self.send_pending_age().await? {
            return Ok(SyncReport::default());
        }
        if self.privacy.sendable_cancellation()?.is_some() {
            // The user asked to close the account and the app stopped before it was done.
            self.finish_cancellation().await?;
            return Ok(SyncReport::default());
        }
        let report = self.run(sync::foreground(self.engines())).await;
        if report.as_ref().is_ok_and(|r| r.manifest_installed) {
            // A purpose the new policy dropped goes now, as after `install_manifest`.
            self.sweep_retention()?;
        }
        self.notify(&[Topic::Orders, Topic::Privacy]);
        report
    }

    /// The entry point for the shell's background job (WorkManager, BGTaskScheduler): the
    /// most valuable work first within `budget`, and when to come back. Offline it makes
    /// no request; failures are reported, not thrown.
    pub async fn sync_in_background(
        &self,
        budget: std::time::Duration,
        network: Network,
    ) -> Result<BackgroundSync> {
        self.flush_quietly();
        // The shell hears of a run that could reach the server, as before the split.
        let runs = network != Network::Offline && self.account.account_id()?.is_some();
        if runs && matches!(self.send_pending_age().await, Ok(true)) {
            return Ok(BackgroundSync::default());
        }
        let outcome = self
            .run(sync::background(self.engines(), budget, network, runs))
            .await?;
        if runs {
            self.notify(&[Topic::Orders, Topic::Privacy]);
        }
        Ok(outcome)
    }

    /// Sends an age declared after sign-up; a minor without a guardian's consent closes
    /// the account on the server, and the device is wiped as after a closing. Returns
    /// whether that happened.
    async fn send_pending_age(&self) -> Result<bool> {
        let account = Arc::clone(&self.account);
        if !self.run(async move { account.send_age().await }).await? {
            return Ok(false);
        }
        self.closed_elsewhere()?;
        Ok(true)
    }

    /// Records location fixes for the order being carried (filtered; the kept ones are
    /// written by the group commit). Needs the trajectory's consent and the order in
    /// transit. Returns how many were kept.
    pub fn record_fixes(&self, order_id: &str, fixes: &[Fix]) -> Result<u32> {
        let (kept, flushed) = self.tracker.record(order_id, fixes)?;
        self.after_flush(flushed);
        Ok(kept)
    }

    /// Makes every recorded fix durable now, in one transaction (call it when the app goes
    /// to the background). A fix still in memory is not acknowledged.
    pub fn flush_fixes(&self) -> Result<u32> {
        let flushed = self.tracker.flush()?;
        let n = flushed.fixes;
        self.after_flush(flushed);
        Ok(n)
    }

    /// A group commit wrote fixes: the shell hears of it, and each arrival the legs
    /// detected becomes an `arrive` action unless the driver reported one.
    fn after_flush(&self, flushed: Flushed) {
        if flushed.fixes == 0 && flushed.arrivals.is_empty() {
            return;
        }
        self.notify(&[Topic::Privacy]);
        for arrival in &flushed.arrivals {
            self.orders
                .offer_detected_arrival(&arrival.order_id, arrival.stop);
        }
        if !flushed.arrivals.is_empty() {
            self.notify(&[Topic::Orders]);
        }
    }

    /// Flushes pending fixes; without a live basis they are dropped, as they must be.
    fn flush_quietly(&self) {
        match self.flush_fixes() {
            Ok(_) | Err(Error::ConsentRequired { .. } | Error::PermissionRequired { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "could not flush recorded fixes"),
        }
    }

    /// Whether the shell should run location updates now, for which order, at what
    /// accuracy and interval; or why not. Re-read it on every `Orders` or `Privacy` change.
    pub fn tracking_plan(&self) -> Result<TrackingPlan> {
        let mine = self.orders.list(OrderList::Mine)?;
        let trajectory = self.privacy.purpose_state(Purpose::Trajectory.id())?;
        Ok(track::plan::plan(&mine, &trajectory, |order| {
            self.tracker.is_standing(order)
        }))
    }

    /// Takes a photo proof for a step of an order this driver holds: checked (JPEG or PNG,
    /// 100 B to 25 MiB), stripped of every metadata block but its orientation, sealed into
    /// the app-private proofs folder under its SHA-256, with where the driver stands when
    /// the trajectory purpose allows it. The same image twice is one proof.
    pub fn take_proof(
        &self,
        order_id: &str,
        kind: ProofKind,
        step: ActionKind,
        source: &ProofSource,
        captured: Capture,
    ) -> Result<Proof> {
        let position = || {
            self.flush_quietly();
            let ticket = self.gate.check(Purpose::Trajectory).ok()?;
            let fix = self.tracker.last_fix(order_id).ok().flatten()?;
            Some((ticket, fix))
        };
        let proof = self.proofs.take(
            Purpose::ProofPhotos,
            order_id,
            kind,
            step,
            source,
            captured,
            position,
        )?;
        self.notify(&[Topic::Orders, Topic::Privacy]);
        Ok(proof)
    }
}

/// Privacy: the decisions whose purges reach other engines, and the flows over all data.
impl Waybill {
    /// What every purge needs besides its own transaction, in one place: the WAL is
    /// truncated so no old frame keeps the data, proof files without a record go, and
    /// fixes in memory without a live basis are dropped (their legs note why).
    fn after_purge(&self, decided_purge: bool) -> Result<()> {
        if decided_purge {
            self.services.db.checkpoint()?;
        }
        self.proofs.delete_orphan_files();
        self.account.delete_unsent_identity_files();
        self.tracker.drop_without_basis();
        self.notify(&[Topic::Privacy]);
        Ok(())
    }

    fn decided<T>(&self, decided: Decided<T>) -> Result<T> {
        self.after_purge(decided.purged)?;
        Ok(decided.value)
    }

    /// The user switched a consent-based purpose on or off. Off after on is a withdrawal,
    /// effective at once for every collection path, its data purged.
    pub fn decide(&self, purpose: &str, allow: bool, asked_via: &str) -> Result<Receipt> {
        let decided = self.privacy.decide(purpose, allow, asked_via)?;
        if !decided.purged {
            self.notify(&[Topic::Privacy]);
            return Ok(decided.value);
        }
        self.decided(decided)
    }

    /// The user's age, asked with the policy. Only whether it is under the policy's
    /// minimum is kept; a minor's data is collected only after a guardian consented.
    pub fn declare_age(&self, age_years: u32) -> Result<bool> {
        let decided = self.privacy.declare_age(age_years)?;
        // Signed in: the server hears of it with the next sync (a minor without a
        // guardian's consent may have no account there either, P-66).
        self.account.queue_age()?;
        self.decided(decided)
    }

    /// The shell reports an OS permission state (at start, on resume, after a prompt).
    /// Turning one off withdraws the purposes that cannot work without it and purges
    /// their data at once.
    pub fn report_permission(&self, permission: Permission, state: PermissionState) -> Result<()> {
        let decided = self.privacy.report_permission(permission, state)?;
        self.decided(decided)
    }

    /// Installs a new policy manifest (JSON); a malformed, hostile or foreign one is
    /// rejected with [`Error::InvalidManifest`] and the one in force stays. A purpose the
    /// new policy dropped has no basis left: its data goes now.
    pub fn install_manifest(&self, document: &str) -> Result<PolicyStatus> {
        self.privacy.install_manifest(document)?;
        self.sweep_retention()?;
        self.notify(&[Topic::Privacy]);
        self.privacy.policy_status()
    }

    /// Deletes every personal datum whose retention ended (periods from the manifest in
    /// force), then truncates the WAL. Runs at every start; returns the items deleted.
    pub fn sweep_retention(&self) -> Result<u32> {
        self.sweep_retention_as_of(Utc::now())
    }

    /// [`Waybill::sweep_retention`] as if the clock read `now` (tests of long periods).
    #[doc(hidden)]
    pub fn sweep_retention_as_of(&self, now: DateTime<Utc>) -> Result<u32> {
        let items = self.privacy.sweep(now)?;
        // Files no row names (a kill between writing one and recording it, or rows just
        // swept) go at every start; the folders are small.
        self.proofs.delete_orphan_files();
        self.account.delete_unsent_identity_files();
        if items > 0 {
            // The deleted rows' old pages leave the WAL.
            self.services.db.checkpoint()?;
            self.notify(&[Topic::Privacy]);
        }
        Ok(items)
    }

    /// Everything the device holds about the user, as one JSON document: each engine's
    /// part (orders, trajectories as GPX, proofs with their positions, the account's ids)
    /// in the privacy engine's frame, third parties' data masked. Logged.
    pub fn export_personal_data(&self) -> Result<String> {
        self.flush_quietly();
        let manifest = self.gate.manifest();
        let now = Utc::now();
        let doc = self.services.db.read(|c| {
            let mut sections = account::export_sections(c)?;
            sections.extend(orders::export::sections(c)?);
            sections.extend(track::export::sections(c)?);
            sections.extend(proof::export::sections(c)?);
            sections.extend(service_log::export_sections(c)?);
            privacy::export::build(c, &manifest, now, sections)
        })?;
        self.privacy.record_export(now)?;
        self.notify(&[Topic::Privacy]);
        Ok(doc)
    }
}

impl Drop for Waybill {
    /// Backgrounding should have flushed; a clean close flushes too. The runtime shuts
    /// down without blocking when `tasks` drops.
    fn drop(&mut self) {
        self.flush_quietly();
    }
}

#[cfg(test)]
mod tests;
