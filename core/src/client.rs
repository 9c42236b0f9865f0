//! The `Waybill` client: one per data directory. It owns the tokio runtime, the database
//! and the HTTP client. Async methods run on the core's own runtime and hand back a
//! future any executor can poll (the JoinHandle), so Kotlin's and Swift's executors,
//! or a Rust test's, drive them without a reactor of their own.

use std::future::Future;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinError;
use waybill_protocol::{LatLon, NewErrand, RegisterDevice, Role};

use crate::config::Config;
use crate::db::{DataKey, Database};
use crate::error::{Error, Result};
use crate::net::ApiClient;
use crate::observe::{ChangeListener, Listeners, Topic};
use crate::orders::history::{self, ActionState, HistoryEntry};
use crate::orders::outbox::{Extras, OutboxEntry};
use crate::orders::parties::{self, OrderContact};
use crate::orders::rejections::{self, Rejection, Resolution};
use crate::orders::{self, Order, OrderList, actions, outbox};
use crate::privacy::holdings;
use crate::privacy::ledger::{self, DecisionKind, Receipt};
use crate::privacy::manifest::{Manifest, Permission};
use crate::privacy::permissions::{PermissionAsk, PermissionState};
use crate::privacy::rights::{self, RightsRequest};
use crate::privacy::settings::{self, SettingsView};
use crate::privacy::transparency::{self, DataAction, DataEvent};
use crate::privacy::{self, PolicyStatus, PurposeState, Ticket};
use crate::proof::rules::{ProofCheck, ProofRule};
use crate::proof::{self, Capture, Proof, ProofKind, ProofSource};
use crate::secrets::{KeyFile, SecretStore};
use crate::session::{self, Session, mask_secret};
use crate::sync::{self, SyncReport};
use crate::track::events::{self as track_events, GapReason, TrackEvent};
use crate::track::filter::{FilterConfig, RejectionCounts};
use crate::track::leg::{Geofence, Leg, LegConfig};
use crate::track::plan::TrackingPlan;
use crate::track::{self, Fix};
use waybill_protocol::{ActionKind, OrderStatus, RightKind};

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

/// Largest search radius for nearby offers.
pub const MAX_RADIUS_M: u32 = 200_000;

/// Purposes (manifest ids) of the collection paths that exist today.
pub(crate) const ACCOUNT: &str = "account";
pub(crate) const NEARBY_ORDERS: &str = "nearby_orders";
pub(crate) const ORDER_FULFILMENT: &str = "order_fulfilment";
pub(crate) const TRAJECTORY: &str = "trajectory_upload";
/// The driver app's purpose for photo proofs (camera).
pub(crate) const PROOF_PHOTOS: &str = "proof_photos";
pub(crate) const ERRAND_PLACEMENT: &str = "errand_placement";

/// A client of the Waybill core, opened on one data directory.
pub struct Waybill {
    inner: Arc<Inner>,
    handle: Handle,
    runtime: Option<Runtime>,
}

/// State shared by the client and the tasks it runs.
pub(crate) struct Inner {
    pub(crate) db: Database,
    /// Seals proof files (the database's columns have it registered already).
    pub(crate) key: DataKey,
    pub(crate) api: ApiClient,
    pub(crate) config: Config,
    pub(crate) server_url: String,
    /// The policy manifest in force; replaced whole when a new one is installed.
    manifest: RwLock<Arc<Manifest>>,
    /// Who is told about changes.
    pub(crate) listeners: Listeners,
    /// Wakes every network call in flight to end it (`cancel_running`).
    cancel: tokio::sync::Notify,
    /// One leg (fix filter, stops, gaps, arrivals) per order being tracked, in memory:
    /// after a restart a leg starts afresh and its first fix closes an `AppRestarted` gap.
    legs: std::sync::Mutex<std::collections::HashMap<String, Leg>>,
    /// Filtered fixes waiting for the next group commit.
    pending: std::sync::Mutex<PendingFixes>,
    /// The order the trajectory gate and the job check last passed for, at which change
    /// generation: a fix a second then costs no database read. Any change (a withdrawal,
    /// a permission, an order update) moves the generation and the next fix checks again.
    tracking_checked: std::sync::Mutex<Option<(u64, String)>>,
}

/// Fixes kept by the filter and events found, not yet written, and when the last commit
/// was.
struct PendingFixes {
    fixes: Vec<(String, Fix)>,
    events: Vec<(String, TrackEvent)>,
    since: std::time::Instant,
}

impl Default for PendingFixes {
    fn default() -> Self {
        PendingFixes {
            fixes: vec![],
            events: vec![],
            since: std::time::Instant::now(),
        }
    }
}

/// What the trajectory engine saw of one leg.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackingDiagnostics {
    /// Fixes dropped, by reason (since the app started).
    pub rejections: RejectionCounts,
    /// Gaps, stops and arrivals, oldest first.
    pub events: Vec<TrackEvent>,
    /// Distance over the kept fixes, metres (great circle).
    pub distance_m: f64,
}

/// A sign-off further than this from the drop-off point needs an override reason (metres:
/// a depot's yard, a street's length, GPS error).
pub const DELIVERY_GEOFENCE_M: f64 = 200.0;

/// Group commit: fixes are written together once this many wait...
pub const GROUP_COMMIT_FIXES: usize = 64;
/// ...or this long after the previous commit (a minute of driving costs six fsyncs).
pub const GROUP_COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

fn group_by_order<T: Copy>(batch: &[(String, T)]) -> Vec<(String, Vec<T>)> {
    let mut groups: Vec<(String, Vec<T>)> = vec![];
    for (order, fix) in batch {
        match groups.iter_mut().find(|(o, _)| o == order) {
            Some((_, fixes)) => fixes.push(*fix),
            None => groups.push((order.clone(), vec![*fix])),
        }
    }
    groups
}

impl std::fmt::Debug for Waybill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waybill")
            .field("db", &self.inner.db.path())
            .field("server_url", &self.inner.server_url)
            .finish_non_exhaustive()
    }
}

impl Waybill {
    /// Opens the client: takes the data key from `secrets` (creating it on first use),
    /// creates or migrates the database in `config.data_dir` with its personal columns
    /// sealed by that key, builds the runtime and the HTTP client. No network traffic
    /// happens here.
    pub fn open(config: Config, secrets: &dyn SecretStore) -> Result<Waybill> {
        let server_url = config.validated_server_url()?;
        let key = crate::secrets::data_key(secrets)?;
        let db = Database::open(&config.data_dir, &key)?;
        let manifest = db.write(|tx| privacy::install_builtin(tx, config.role, Utc::now()))?;
        let user_agent = format!(
            "waybill/{} {}/{}",
            env!("CARGO_PKG_VERSION"),
            config.app_id,
            config.app_version
        );
        let pins = crate::tls::parse_pins(&config.pinned_keys)
            .map_err(|reason| Error::InvalidConfig { reason })?;
        let api = ApiClient::new(server_url.clone(), &user_agent, pins)?;
        // Two workers: the core's work is I/O-bound, and a phone app has other threads to run.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(4)
            .thread_name("waybill-rt")
            .enable_all()
            .build()
            .map_err(|e| Error::Internal {
                reason: format!("cannot start the runtime: {e}"),
            })?;
        tracing::info!(role = config.role.as_str(), "client opened");
        let client = Waybill {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            inner: Arc::new(Inner {
                db,
                key,
                api,
                config,
                server_url,
                manifest: RwLock::new(Arc::new(manifest)),
                listeners: Listeners::default(),
                cancel: tokio::sync::Notify::new(),
                legs: Default::default(),
                pending: Default::default(),
                tracking_checked: Default::default(),
            }),
        };
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

    /// Registers a listener told (without data) when a topic changed; the shell re-reads.
    pub fn add_listener(&self, listener: Arc<dyn ChangeListener>) {
        self.inner.listeners.add(listener);
    }

    /// Registers this installation with the server (once) and keeps the token. Calling it
    /// again returns the stored session without network traffic.
    pub async fn sign_in(&self) -> Result<String> {
        self.run(|inner| async move {
            if let Some(session) = inner.blocking(|i| Ok(i.db.read(session::load)?)).await? {
                return Ok(session.account_id);
            }
            let basis = inner.gate(ACCOUNT).await?;
            let installation_id = inner
                .blocking(|i| Ok(i.db.write(session::installation_id)?))
                .await?;
            let registered = inner
                .api
                .register(
                    &basis,
                    &RegisterDevice {
                        installation_id,
                        role: inner.config.role,
                        app_id: inner.config.app_id.clone(),
                        app_version: inner.config.app_version.clone(),
                    },
                )
                .await?;
            tracing::info!(token = %mask_secret(&registered.token), "device registered");
            let session = Session {
                account_id: registered.account_id,
                token: registered.token,
            };
            let account_id = session.account_id.clone();
            inner
                .blocking(move |i| {
                    i.db.write(|tx| {
                        session::store(tx, &session, &i.server_url)?;
                        i.log_sent(tx, &basis, &["device_info"], 1)
                    })
                })
                .await?;
            inner.listeners.notify(Topic::Privacy);
            Ok(account_id)
        })
        .await
    }

    /// The signed-in account id, if any. Local only.
    pub fn account_id(&self) -> Result<Option<String>> {
        Ok(self.inner.db.read(session::load)?.map(|s| s.account_id))
    }

    /// Downloads the open offers near `near` into the cache and returns the open list.
    /// The position sent is rounded to about a kilometre: a nearby search needs no more,
    /// and the server never learns the driver's exact position from it.
    pub async fn refresh_open_orders(&self, near: LatLon, radius_m: u32) -> Result<Vec<Order>> {
        validate_position(near)?;
        if radius_m == 0 || radius_m > MAX_RADIUS_M {
            return Err(Error::InvalidInput {
                reason: format!("radius_m must be within 1..={MAX_RADIUS_M}"),
            });
        }
        self.run(move |inner| async move {
            let session = inner.require_session().await?;
            let basis = inner.gate(NEARBY_ORDERS).await?;
            let offers = inner
                .api
                .open_orders(&basis, &session.token, coarsen(near), radius_m)
                .await?;
            let count = offers.orders.len();
            let list = inner
                .blocking(move |i| {
                    i.db.write(|tx| {
                        orders::replace_open_offers(tx, &offers.orders, &session.account_id)?;
                        i.log_sent(tx, &basis, &["approximate_location"], 1)
                    })?;
                    Ok(i.db.read(|c| orders::list(c, OrderList::Open))?)
                })
                .await?;
            tracing::info!(count, "open offers refreshed");
            inner.listeners.notify(Topic::Orders);
            Ok(list)
        })
        .await
    }

    /// Orders from the local cache; works offline.
    pub fn orders(&self, which: OrderList) -> Result<Vec<Order>> {
        Ok(self.inner.db.read(|c| orders::list(c, which))?)
    }

    /// One order from the local cache.
    pub fn order(&self, order_id: &str) -> Result<Order> {
        self.inner
            .db
            .read(|c| orders::get(c, order_id))?
            .ok_or_else(|| Error::OrderNotFound {
                order_id: order_id.to_string(),
            })
    }

    /// Accepts an offer. Works offline: the acceptance is durable when this returns and is
    /// pushed by the next [`Waybill::sync`]. Fails at once if the cache already knows the
    /// order cannot be taken.
    pub fn accept_order(&self, order_id: &str) -> Result<Order> {
        self.take_action(order_id, ActionKind::Accept, None)
    }

    /// The goods are loaded (accepted → picked up). Works offline, like every action.
    pub fn pick_up(&self, order_id: &str) -> Result<Order> {
        self.require_proofs(order_id, ActionKind::PickUp)?;
        self.take_action(order_id, ActionKind::PickUp, None)
    }

    /// Signed off at the destination (picked up → delivered). Works offline. The leg's
    /// recorded fixes are made durable first: the trajectory ends here. Refused with
    /// `ProofRequired` while a required proof is missing, and with `OutsideGeofence` when
    /// the last fix is away from the drop-off (see [`Waybill::deliver_with_override`]).
    pub fn deliver(&self, order_id: &str) -> Result<Order> {
        self.deliver_with_override(order_id, None)
    }

    /// [`Waybill::deliver`] away from the drop-off stop: the driver's reason (the consignee
    /// met them elsewhere...) is recorded with the sign-off.
    pub fn deliver_with_override(&self, order_id: &str, reason: Option<&str>) -> Result<Order> {
        self.flush_pending_quietly();
        self.require_proofs(order_id, ActionKind::Deliver)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let note = match self.distance_from_dropoff(order_id)? {
            Some(d) if d > DELIVERY_GEOFENCE_M => match reason {
                Some(r) => Some(format!("signed off {d:.0} m from the drop-off: {r}")),
                None => {
                    return Err(Error::OutsideGeofence {
                        distance_m: d.round() as u32,
                    });
                }
            },
            _ => None,
        };
        self.take_action(order_id, ActionKind::Deliver, note.as_deref())
    }

    /// What a step of an order still lacks under the proof rules: required kinds (the
    /// step is refused until they are taken) and recommended ones (warn the driver).
    pub fn proof_check(&self, order_id: &str, step: ActionKind) -> Result<ProofCheck> {
        self.order(order_id)?; // an unknown order is an error, not "nothing missing"
        self.inner
            .db
            .read(|c| proof::rules::check(c, order_id, step.as_str()))
    }

    /// Replaces the proof rules (per step and kind: required, recommended, optional, off).
    pub fn set_proof_rules(&self, rules: &[ProofRule]) -> Result<()> {
        self.inner.db.write(|tx| proof::rules::store(tx, rules))
    }

    /// The proof rules in force.
    pub fn proof_rules(&self) -> Result<Vec<ProofRule>> {
        self.inner.db.read(proof::rules::load)
    }

    fn require_proofs(&self, order_id: &str, step: ActionKind) -> Result<()> {
        let check = self.proof_check(order_id, step)?;
        if check.missing.is_empty() {
            Ok(())
        } else {
            Err(Error::ProofRequired {
                missing: check.missing,
            })
        }
    }

    /// Metres from the order's drop-off point to the leg's last fix, when both are known.
    fn distance_from_dropoff(&self, order_id: &str) -> Result<Option<f64>> {
        let order = self.order(order_id)?;
        let Some(drop) = order
            .stops
            .iter()
            .rev()
            .find(|s| s.kind == waybill_protocol::StopKind::Dropoff)
            .and_then(|s| s.point)
        else {
            return Ok(None);
        };
        let last = self.inner.db.read(|c| track::last_fix(c, order_id))?;
        Ok(last.map(|f| track::geo::distance_m(f.lat, f.lon, drop.lat, drop.lon)))
    }

    /// Reports a problem (delay, damage, nobody at the address); the status stays.
    pub fn report_exception(&self, order_id: &str, note: &str) -> Result<Order> {
        if note.trim().is_empty() {
            return Err(Error::InvalidInput {
                reason: "an exception needs a note saying what happened".into(),
            });
        }
        self.take_action(order_id, ActionKind::ReportException, Some(note))
    }

    /// A shipper places an errand; works offline (the order id is made here and the server
    /// adopts it). `may_share_parties`: the user confirmed they may give the sender's and
    /// recipient's contact (P-28; seed 003).
    pub fn place_errand(&self, errand: &NewErrand, may_share_parties: bool) -> Result<Order> {
        if self.inner.config.role != Role::Shipper {
            return Err(Error::InvalidInput {
                reason: "only the shipper app places errands".into(),
            });
        }
        if !may_share_parties {
            return Err(Error::ThirdPartyConfirmationRequired);
        }
        validate_errand(errand)?;
        if self.account_id()?.is_none() {
            return Err(Error::NotSignedIn);
        }
        let basis = self.inner.gate_now(ERRAND_PLACEMENT)?;
        let order = self
            .inner
            .db
            .write(|tx| orders::place_errand(tx, &basis, errand))?;
        tracing::info!(order_id = %order.id, "errand queued");
        self.inner.listeners.notify(Topic::Orders);
        Ok(order)
    }

    /// A shipper cancels an errand not yet delivered; works offline.
    pub fn cancel_errand(&self, order_id: &str) -> Result<Order> {
        self.take_action(order_id, ActionKind::Cancel, None)
    }

    /// Queued actions with their retry state, in push order (for a "waiting to send" UI).
    pub fn pending(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.inner.db.read(outbox::all)?)
    }

    /// Withdraws a queued action the server has not confirmed, with the later actions of
    /// its order that build on it. Returns how many were withdrawn (0 if already sent).
    pub fn cancel_pending(&self, seq: i64) -> Result<u32> {
        let removed = self.inner.db.write(|tx| {
            let removed = outbox::remove_with_followers(tx, seq)?;
            for entry in &removed {
                history::settle(tx, &entry.idempotency_key, ActionState::Withdrawn)?;
            }
            Ok::<_, Error>(removed)
        })?;
        self.inner.listeners.notify(Topic::Orders);
        Ok(u32::try_from(removed.len()).unwrap_or(u32::MAX))
    }

    /// Edits the note of a queued exception report before it is sent. Returns false if it
    /// was already sent (or is not an exception report): then the server has the old note.
    pub fn edit_pending_note(&self, seq: i64, note: &str) -> Result<bool> {
        actions::check_note(note)?;
        let edited = self.inner.db.write(|tx| outbox::edit_note(tx, seq, note))?;
        self.inner.listeners.notify(Topic::Orders);
        Ok(edited)
    }

    /// An order's history as this device saw it: my actions with their fate, and the
    /// server's status changes, oldest first.
    pub fn order_history(&self, order_id: &str) -> Result<Vec<HistoryEntry>> {
        Ok(self.inner.db.read(|c| history::list(c, order_id))?)
    }

    /// Orders whose id, places or goods contain `text`; works offline.
    pub fn search_orders(&self, text: &str) -> Result<Vec<Order>> {
        Ok(self.inner.db.read(|c| orders::search(c, text))?)
    }

    /// Settles a rejection: `Dismiss` accepts the server's state; `Retry` takes the same
    /// action again (offered in `choices` only when it is possible now).
    pub fn resolve_rejection(&self, id: i64, resolution: Resolution) -> Result<()> {
        let rejection = self
            .rejections()?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::InvalidInput {
                reason: format!("no rejection {id}"),
            })?;
        if resolution == Resolution::Retry {
            let kind = ActionKind::parse(&rejection.action).ok_or_else(|| Error::Internal {
                reason: format!("unknown action {:?}", rejection.action),
            })?;
            self.take_action(&rejection.order_id, kind, None)?;
        }
        self.dismiss_rejection(id)
    }

    fn take_action(&self, order_id: &str, kind: ActionKind, note: Option<&str>) -> Result<Order> {
        self.take_action_with(order_id, kind, note, None)
    }

    /// The driver reached stop `stop_index` of the order's route (status unchanged).
    pub fn arrive(&self, order_id: &str, stop_index: u32) -> Result<Order> {
        let extras = Extras {
            stop: Some(stop_index),
            ..Extras::default()
        };
        self.take_action_with(order_id, ActionKind::Arrive, None, Some(extras))
    }

    /// The driver agreed a delivery time with the consignee (within 90 days).
    pub fn set_appointment(&self, order_id: &str, at: DateTime<Utc>) -> Result<Order> {
        let extras = Extras {
            appointment_at: Some(at),
            ..Extras::default()
        };
        self.take_action_with(order_id, ActionKind::Appoint, None, Some(extras))
    }

    fn take_action_with(
        &self,
        order_id: &str,
        kind: ActionKind,
        note: Option<&str>,
        extras: Option<Extras>,
    ) -> Result<Order> {
        if self.account_id()?.is_none() {
            return Err(Error::NotSignedIn);
        }
        let basis = self.inner.gate_now(self.inner.order_purpose())?;
        let order = self
            .inner
            .db
            .write(|tx| actions::take(tx, &basis, order_id, kind, note, extras))?;
        tracing::info!(order_id, action = kind.as_str(), "action queued");
        self.inner.listeners.notify(Topic::Orders);
        Ok(order)
    }

    /// Number of local actions waiting for the server.
    pub fn pending_actions(&self) -> Result<u32> {
        let n = self.inner.db.read(outbox::all)?.len();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Pushes queued actions, pulls the change feed, sends receipts and rights requests.
    /// Returns what was applied and what the server refused; fails with
    /// [`Error::Offline`] when the server cannot be reached (nothing is lost). A refused
    /// session is renewed once and the sync resumed, so the queue never sticks on a 401.
    pub async fn sync(&self) -> Result<SyncReport> {
        self.flush_pending_quietly();
        if self.inner.db.read(rights::pending_cancellation)?.is_some() {
            // The user asked to close the account and the app stopped before it was done.
            self.cancel_account().await?;
            return Ok(SyncReport::default());
        }
        let mut report = self.run(|inner| sync::run(inner, true)).await;
        if matches!(report, Err(Error::Unauthorized)) {
            // The server no longer knows the session (expired, rotated, lost): register
            // again (idempotent on the installation id) and resume the queue by itself.
            tracing::info!("session refused; signing in again and resuming the queue");
            self.sign_in().await?;
            report = self.run(|inner| sync::run(inner, true)).await;
        }
        self.inner.listeners.notify(Topic::Orders);
        self.inner.listeners.notify(Topic::Privacy);
        report
    }

    /// The entry point for the shell's background job (WorkManager, BGTaskScheduler):
    /// does the most valuable work first within `budget` and tells when to come back.
    /// Offline it makes no request. Retries respect each entry's backoff (a user-visible
    /// [`Waybill::sync`] does not). Transport and server failures are reported, not
    /// thrown: the job just reschedules at `next_attempt_at`.
    pub async fn sync_in_background(
        &self,
        budget: std::time::Duration,
        network: Network,
    ) -> Result<BackgroundSync> {
        self.flush_pending_quietly();
        let mut outcome = BackgroundSync::default();
        if network != Network::Offline && self.account_id()?.is_some() {
            let deadline = std::time::Instant::now() + budget;
            let chunk = match network {
                Network::Unmetered => crate::proof::queue::CHUNK_UNMETERED,
                _ => crate::proof::queue::CHUNK_METERED,
            };
            let run = self.run(move |inner| sync::run_until(inner, false, Some(deadline), chunk));
            // A hard stop a little after the budget: every step is idempotent and each
            // write transactional, so cutting a request short loses nothing.
            match tokio::time::timeout(budget + std::time::Duration::from_secs(2), run).await {
                Ok(Ok(report)) => outcome.report = report,
                Ok(Err(e @ (Error::Offline { .. } | Error::Server { .. }))) => {
                    outcome.last_error = Some(e.to_string());
                }
                Ok(Err(Error::Unauthorized)) => {
                    self.sign_in().await?;
                    outcome.last_error = Some("session renewed; run again".into());
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => outcome.last_error = Some("time budget exhausted".into()),
            }
            self.inner.listeners.notify(Topic::Orders);
            self.inner.listeners.notify(Topic::Privacy);
        }
        let pending = self.inner.db.read(outbox::all)?;
        outcome.pending = u32::try_from(pending.len()).unwrap_or(u32::MAX);
        outcome.next_attempt_at = if pending.is_empty() {
            None
        } else {
            Some(
                pending
                    .iter()
                    .map(|e| e.next_attempt_at.unwrap_or_else(Utc::now))
                    .min()
                    .unwrap_or_else(Utc::now),
            )
        };
        Ok(outcome)
    }

    /// The parties' contact of an order this driver holds: in full only if `reveal` and
    /// the order is still assigned and open, masked otherwise (P-29). `None` if none held.
    pub fn order_contact(&self, order_id: &str, reveal: bool) -> Result<Option<OrderContact>> {
        Ok(self
            .inner
            .db
            .read(|c| parties::for_display(c, order_id, reveal))?)
    }

    /// Records location fixes for the order being carried: they pass the filter (invalid,
    /// inaccurate, mock, duplicate, backwards, outlier and standing-still fixes are
    /// counted and dropped) and the kept ones are stored. Needs the trajectory purpose's
    /// separate consent and an open order this driver holds. Returns how many were kept.
    pub fn record_fixes(&self, order_id: &str, fixes: &[Fix]) -> Result<u32> {
        let generation = self.inner.listeners.generation();
        let checked = self
            .inner
            .tracking_checked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|(g, o)| *g == generation && o == order_id);
        if !checked {
            self.inner.gate_now(TRAJECTORY)?;
            // From pickup to sign-off only (P-16): the goods are on board.
            let in_job = self
                .order(order_id)
                .is_ok_and(|o| o.assigned_to_me && o.status == OrderStatus::PickedUp);
            if !in_job {
                return Err(Error::NotInJob {
                    order_id: order_id.to_string(),
                });
            }
            *self
                .inner
                .tracking_checked
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some((generation, order_id.to_string()));
        }
        let now = Utc::now();
        let (kept, events) = {
            let mut legs = self.inner.legs.lock().unwrap_or_else(|p| p.into_inner());
            if !legs.contains_key(order_id) {
                let leg = self.start_leg(order_id)?;
                legs.insert(order_id.to_string(), leg);
            }
            let leg = legs.get_mut(order_id).expect("inserted above");
            let kept: Vec<Fix> = fixes.iter().flat_map(|f| leg.push(*f, now)).collect();
            (kept, leg.take_events())
        };
        let n = u32::try_from(kept.len()).unwrap_or(u32::MAX);
        let due = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending
                .fixes
                .extend(kept.into_iter().map(|f| (order_id.to_string(), f)));
            pending
                .events
                .extend(events.into_iter().map(|e| (order_id.to_string(), e)));
            pending.fixes.len() >= GROUP_COMMIT_FIXES
                || pending.since.elapsed() >= GROUP_COMMIT_INTERVAL
        };
        if due {
            self.flush_fixes()?;
        }
        Ok(n)
    }

    /// Makes every recorded fix durable now, in one transaction (group commit). Call it
    /// when the app goes to the background; `record_fixes` does it by itself every
    /// [`GROUP_COMMIT_FIXES`] fixes or [`GROUP_COMMIT_INTERVAL`]. A fix still in memory is
    /// not acknowledged: a kill loses at most that window, never a flushed fix.
    pub fn flush_fixes(&self) -> Result<u32> {
        let batch = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.since = std::time::Instant::now();
            (
                std::mem::take(&mut pending.fixes),
                std::mem::take(&mut pending.events),
            )
        };
        let (batch, events) = batch;
        if batch.is_empty() && events.is_empty() {
            return Ok(0);
        }
        // Checked again: a consent withdrawn since the fixes were taken means they are not
        // written at all.
        let basis = self.inner.gate_now(TRAJECTORY)?;
        let n = self.inner.db.write(|tx| {
            let now = Utc::now();
            let mut n = 0;
            for (order_id, fixes) in group_by_order(&batch) {
                n += track::record(tx, &basis, &order_id, &fixes, now)?;
            }
            for (order_id, order_events) in group_by_order(&events[..]) {
                track_events::record(tx, &basis, &order_id, &order_events, now)?;
            }
            transparency::record(
                tx,
                &DataEvent::new(
                    DataAction::Collected,
                    basis.purpose(),
                    &["precise_location", "trajectory"],
                    None,
                    batch.len(),
                    now,
                ),
            )?;
            Ok::<_, Error>(n)
        })?;
        self.inner.listeners.notify(Topic::Privacy);
        self.offer_arrivals(&events);
        Ok(n)
    }

    /// A leg for `order_id` starting now: heading for the route's drop-off stops, and, if
    /// fixes are held from before (the app was killed or restarted), opening with a gap.
    fn start_leg(&self, order_id: &str) -> Result<Leg> {
        let order = self.order(order_id)?;
        let arrived: Vec<u32> = self
            .inner
            .db
            .read(|c| track_events::all(c, order_id))?
            .into_iter()
            .filter_map(|e| match e.kind {
                track_events::TrackEventKind::Arrival { stop, .. } => Some(stop),
                _ => None,
            })
            .collect();
        let geofences = order
            .stops
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                s.kind == waybill_protocol::StopKind::Dropoff && !arrived.contains(&(*i as u32))
            })
            .filter_map(|(i, s)| {
                s.point.map(|p| Geofence {
                    stop: i as u32,
                    lat: p.lat,
                    lon: p.lon,
                })
            })
            .collect();
        let mut leg = Leg::new(LegConfig::default(), FilterConfig::default(), geofences);
        if let Some(at) = self.inner.db.read(|c| track::last_fix_at(c, order_id))? {
            leg.interrupt(at, GapReason::AppRestarted);
        }
        Ok(leg)
    }

    /// Arrivals at a stop's geofence go to the order engine as `arrive` actions, unless the
    /// driver already reported that stop.
    fn offer_arrivals(&self, events: &[(String, TrackEvent)]) {
        for (order_id, e) in events {
            let track_events::TrackEventKind::Arrival { stop, .. } = e.kind else {
                continue;
            };
            // One detection per stop and leg (the leg remembers); the driver's own report
            // of an arrival wins.
            let reported = self
                .order_history(order_id)
                .is_ok_and(|h| h.iter().any(|a| a.by_me && a.event == "arrive"));
            if reported {
                continue;
            }
            let extras = Extras {
                stop: Some(stop),
                ..Extras::default()
            };
            let detected = self.take_action_with(
                order_id,
                ActionKind::Arrive,
                Some("detected at the stop's geofence"),
                Some(extras),
            );
            if let Err(err) = detected {
                tracing::warn!(error = %err, stop, "could not record a detected arrival");
            }
        }
    }

    /// Takes a photo proof for a step of an order this driver holds: the image is checked
    /// (JPEG or PNG by its bytes, 100 B to 25 MiB), stripped of every metadata block but
    /// its orientation (GPS position, serials, XMP, comments; pixels untouched), written
    /// atomically into the app-private proofs folder under its SHA-256 and recorded. Needs
    /// the photo proof purpose. The same image twice is one proof.
    pub fn take_proof(
        &self,
        order_id: &str,
        kind: ProofKind,
        step: ActionKind,
        source: &ProofSource,
        captured: Capture,
    ) -> Result<Proof> {
        self.inner.gate_now(PROOF_PHOTOS)?;
        let order = self.order(order_id)?;
        if !order.assigned_to_me || order.status.is_closed() {
            return Err(Error::NotInJob {
                order_id: order_id.to_string(),
            });
        }
        let (bytes, sha256, name) = proof::prepare(source)?;
        // Where the driver stands, only if the trajectory purpose is live for this leg.
        self.flush_pending_quietly();
        let position = match self.inner.gate_now(TRAJECTORY) {
            Ok(t) => self
                .inner
                .db
                .read(|c| track::last_fix(c, order_id))?
                .map(|f| (t, f)),
            Err(_) => None,
        };
        let sealed = proof::sealed_file::seal(&self.inner.key, &bytes)?;
        proof::write_atomically(&proof::folder(&self.inner.config.data_dir), &name, &sealed)?;
        // Checked again at the commit: a withdrawal while the file was written wins, and
        // the file goes with the next clean-up.
        let basis = self.inner.gate_now(PROOF_PHOTOS)?;
        self.inner.db.write(|tx| {
            let now = Utc::now();
            proof::record(
                tx,
                &basis,
                order_id,
                kind,
                step.as_str(),
                &sha256,
                &name,
                bytes.len() as u64,
                captured,
                now,
            )?;
            if let Some((ticket, fix)) = &position {
                proof::record_position(tx, ticket, order_id, &sha256, fix, now)?;
            }
            transparency::record(
                tx,
                &DataEvent::new(
                    DataAction::Collected,
                    basis.purpose(),
                    &["proof_photos"],
                    None,
                    1,
                    now,
                ),
            )?;
            Ok::<_, Error>(())
        })?;
        self.inner.listeners.notify(Topic::Orders);
        self.inner.listeners.notify(Topic::Privacy);
        self.proofs(order_id)?
            .into_iter()
            .find(|p| p.sha256 == sha256)
            .ok_or_else(|| Error::Internal {
                reason: "a proof vanished after it was recorded".into(),
            })
    }

    /// The driver discards a proof (a blurred photo): its record and file go, and an
    /// unfinished upload is ended on the server by the next sync. Returns whether there
    /// was such a proof.
    pub fn discard_proof(&self, order_id: &str, sha256: &str) -> Result<bool> {
        let n = self.inner.db.write(|tx| {
            Ok::<_, Error>(tx.execute(
                "DELETE FROM proofs WHERE order_id = ?1 AND sha256 = ?2",
                [order_id, sha256],
            )?)
        })?;
        self.delete_orphan_proof_files();
        self.inner.listeners.notify(Topic::Orders);
        Ok(n > 0)
    }

    /// The proofs of an order, in upload order (the delivery's first).
    pub fn proofs(&self, order_id: &str) -> Result<Vec<Proof>> {
        self.inner.db.read(|c| proof::of_order(c, order_id))
    }

    /// The kept (stripped) image of a proof, opened from its sealed file: for the app to
    /// show it. `InvalidInput` if no such proof is held or its image already left the
    /// device with its finished upload.
    pub fn proof_image(&self, sha256: &str) -> Result<Vec<u8>> {
        let file = self
            .inner
            .db
            .read(|c| proof::file_of(c, sha256))?
            .ok_or_else(|| Error::InvalidInput {
                reason: format!("no proof {sha256} is held"),
            })?;
        let path = proof::folder(&self.inner.config.data_dir).join(file);
        if !path.exists() {
            return Err(Error::InvalidInput {
                reason: format!("the image of proof {sha256} left the device with its upload"),
            });
        }
        proof::sealed_file::read_all(&self.inner.key, &path)
    }

    /// Deletes proof files no record references any more (after a purge or a sweep).
    fn delete_orphan_proof_files(&self) {
        let dir = proof::folder(&self.inner.config.data_dir);
        match self.inner.db.read(|c| proof::delete_unreferenced(c, &dir)) {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "deleted proof files without a record"),
            Err(e) => tracing::warn!(error = %e, "could not clean the proofs folder"),
        }
    }

    /// The shell's location provider was switched off (or reports no fixes at all): the
    /// next fix of each leg in progress closes a `ProviderOff` gap.
    pub fn location_provider_off(&self) {
        self.interrupt_legs(GapReason::ProviderOff);
    }

    fn interrupt_legs(&self, reason: GapReason) {
        let now = Utc::now();
        let mut legs = self.inner.legs.lock().unwrap_or_else(|p| p.into_inner());
        for leg in legs.values_mut() {
            leg.interrupt(now, reason);
        }
    }

    /// Whether the shell should run location updates now, for which order, at what
    /// accuracy and interval; or why not. Re-read it on every `Orders` or `Privacy` change.
    pub fn tracking_plan(&self) -> Result<TrackingPlan> {
        let mine = self.orders(OrderList::Mine)?;
        let trajectory = self.purpose_state(TRAJECTORY)?;
        let legs = self.inner.legs.lock().unwrap_or_else(|p| p.into_inner());
        Ok(track::plan::plan(&mine, &trajectory, |order| {
            legs.get(order).is_some_and(Leg::is_standing)
        }))
    }

    /// Flushes pending fixes; without a live basis they are dropped, as they must be.
    fn flush_pending_quietly(&self) {
        match self.flush_fixes() {
            Ok(_) | Err(Error::ConsentRequired { .. } | Error::PermissionRequired { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "could not flush recorded fixes"),
        }
    }

    /// After a withdrawal or a permission turned off: fixes still in memory have no basis
    /// left and are dropped, never written.
    fn drop_pending_without_basis(&self) {
        // A purge may have removed proof rows: their files go too.
        self.delete_orphan_proof_files();
        match self.inner.gate_now(TRAJECTORY) {
            Ok(_) => {}
            Err(e) => {
                self.drop_pending_fixes();
                self.interrupt_legs(match e {
                    Error::PermissionRequired { .. } => GapReason::PermissionRevoked,
                    _ => GapReason::ConsentWithdrawn,
                });
            }
        }
    }

    fn drop_pending_fixes(&self) {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fixes
            .clear();
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .events
            .clear();
    }

    /// What the engine saw of an order's leg: rejections by reason (since the app
    /// started), gaps, stops and arrivals, and the distance over the kept fixes. Flushes
    /// first.
    pub fn tracking_diagnostics(&self, order_id: &str) -> Result<TrackingDiagnostics> {
        self.flush_pending_quietly();
        let rejections = {
            let legs = self.inner.legs.lock().unwrap_or_else(|p| p.into_inner());
            legs.get(order_id).map(Leg::counts).unwrap_or_default()
        };
        self.inner.db.read(|c| {
            Ok(TrackingDiagnostics {
                rejections,
                events: track_events::all(c, order_id)?,
                distance_m: track::distance_m(c, order_id)?,
            })
        })
    }

    /// The fixes held for an order (what the export's GPX contains); flushes first.
    pub fn fixes(&self, order_id: &str) -> Result<Vec<Fix>> {
        self.flush_pending_quietly();
        self.inner.db.read(|c| track::fixes(c, order_id))
    }

    /// Deletes every personal datum whose retention ended (periods from the manifest in
    /// force), then truncates the WAL. Runs at every start; returns the items deleted.
    pub fn sweep_retention(&self) -> Result<u32> {
        self.sweep_retention_as_of(Utc::now())
    }

    /// [`Waybill::sweep_retention`] as if the clock read `now` (tests of long periods).
    #[doc(hidden)]
    pub fn sweep_retention_as_of(&self, now: DateTime<Utc>) -> Result<u32> {
        let manifest = self.inner.manifest();
        let removed = self.inner.db.write(|tx| {
            let removed = holdings::sweep(tx, &manifest, now)?;
            transparency::record_removed(tx, DataAction::Expired, &removed, now)?;
            transparency::prune(tx, now)?;
            Ok::<_, Error>(removed)
        })?;
        self.inner.db.checkpoint()?;
        self.delete_orphan_proof_files();
        let items = removed.iter().map(|r| r.items).sum();
        if items > 0 {
            tracing::info!(items, "retention sweep deleted expired data");
            self.inner.listeners.notify(Topic::Privacy);
        }
        Ok(items)
    }

    /// What was collected, received, sent and deleted, newest first.
    pub fn transparency_log(&self, limit: u32) -> Result<Vec<DataEvent>> {
        Ok(self.inner.db.read(|c| transparency::recent(c, limit))?)
    }

    /// Everything the device holds about the user, as one JSON document (trajectories as
    /// GPX, third parties' data masked). Recorded in the transparency log.
    pub fn export_personal_data(&self) -> Result<String> {
        self.flush_pending_quietly();
        let manifest = self.inner.manifest();
        let now = Utc::now();
        let doc = self
            .inner
            .db
            .read(|c| privacy::export::build(c, &manifest, now))?;
        self.inner.db.write(|tx| {
            transparency::record(
                tx,
                &DataEvent::new(DataAction::Exported, ACCOUNT, &[], Some("you"), 1, now),
            )
        })?;
        self.inner.listeners.notify(Topic::Privacy);
        Ok(doc)
    }

    /// Files a rights request (access, correction, deletion) with the policy's deadline;
    /// sync submits it. A deletion also erases at once what the device holds, except what
    /// an order the driver still carries needs. For closing the account use
    /// [`Waybill::cancel_account`].
    pub fn request_right(&self, kind: RightKind, detail: &str) -> Result<RightsRequest> {
        if kind == RightKind::Cancellation {
            return Err(Error::InvalidInput {
                reason: "use cancel_account to close the account".into(),
            });
        }
        let manifest = self.inner.manifest();
        let request = self.inner.db.write(|tx| {
            let now = Utc::now();
            let request = rights::file(tx, &manifest, kind, detail, now)?;
            if kind == RightKind::Deletion {
                let erased = holdings::erase(tx)?;
                transparency::record_removed(tx, DataAction::Erased, &erased, now)?;
            }
            Ok::<_, Error>(request)
        })?;
        if kind == RightKind::Deletion {
            self.inner.db.checkpoint()?;
        }
        self.inner.listeners.notify(Topic::Privacy);
        Ok(request)
    }

    /// Whether the shell may start the third-party SDK `sdk_id` now: declared in the
    /// policy and serving a purpose with a live basis. Ask at start and after each change.
    pub fn sdk_may_start(&self, sdk_id: &str) -> Result<bool> {
        let manifest = self.inner.manifest();
        self.inner
            .db
            .read(|c| privacy::sdks::may_start(c, &manifest, sdk_id))
    }

    /// The shell is about to hand `items` of `category` to the SDK `sdk_id` (e.g. a
    /// location to the map SDK). Refused with the gate's typed error unless the policy lets
    /// that SDK receive that category for a purpose allowed now; logged when allowed.
    pub fn disclose_to_sdk(&self, sdk_id: &str, category: &str, items: u32) -> Result<()> {
        let manifest = self.inner.manifest();
        let (ticket, sdk_name) = self
            .inner
            .db
            .read(|c| privacy::sdks::permit(c, &manifest, sdk_id, category))?;
        self.inner.db.write(|tx| {
            transparency::record(
                tx,
                &DataEvent::new(
                    DataAction::Sent,
                    ticket.purpose(),
                    &[category],
                    Some(&sdk_name),
                    items as usize,
                    Utc::now(),
                ),
            )
        })?;
        Ok(())
    }

    /// Rights requests with status and deadline, newest first.
    pub fn rights_requests(&self) -> Result<Vec<RightsRequest>> {
        Ok(self.inner.db.read(rights::list)?)
    }

    /// Closes the account: the request reaches the server first (it revokes the session),
    /// then everything local is wiped and the client is as freshly installed. Offline, the
    /// request stays queued and the next `sync` or `cancel_account` finishes the job;
    /// nothing is wiped before the server has the request.
    pub async fn cancel_account(&self) -> Result<()> {
        let manifest = self.inner.manifest();
        let pending = match self.inner.db.read(rights::pending_cancellation)? {
            Some(request) => request,
            None => self
                .inner
                .db
                .write(|tx| rights::file(tx, &manifest, RightKind::Cancellation, "", Utc::now()))?,
        };
        self.inner.listeners.notify(Topic::Privacy);
        let outcome = self
            .run(move |inner| async move {
                let session = inner.require_session().await?;
                let basis = inner.gate(ACCOUNT).await?;
                inner
                    .api
                    .file_rights_request(&basis, &session.token, &pending.to_wire())
                    .await
                    .map_err(Error::from)
            })
            .await;
        match outcome {
            // A refused token with a cancellation queued: the server already closed the
            // account on an earlier attempt whose reply was lost.
            Ok(_) | Err(Error::Unauthorized | Error::NotSignedIn) => {}
            Err(e) => return Err(e),
        }
        self.inner.db.wipe()?;
        self.drop_pending_fixes();
        let fresh = self
            .inner
            .db
            .write(|tx| privacy::install_builtin(tx, self.inner.config.role, Utc::now()))?;
        *self
            .inner
            .manifest
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        tracing::info!("account cancelled; local data wiped");
        self.inner.listeners.notify(Topic::Privacy);
        self.inner.listeners.notify(Topic::Orders);
        Ok(())
    }

    /// Refusals the UI has not dismissed yet.
    pub fn rejections(&self) -> Result<Vec<Rejection>> {
        Ok(self.inner.db.read(rejections::list)?)
    }

    /// Forgets a refusal the user has seen.
    pub fn dismiss_rejection(&self, id: i64) -> Result<()> {
        Ok(self.inner.db.write(|tx| rejections::dismiss(tx, id))?)
    }

    /// The privacy settings screen: purposes with their one state each, permissions, SDKs,
    /// the policy status and every consent receipt.
    pub fn privacy_settings(&self) -> Result<SettingsView> {
        let manifest = self.inner.manifest();
        self.inner.db.read(|c| settings::build(c, &manifest))
    }

    /// Whether the policy in force is accepted, and what changed since the accepted one.
    pub fn policy_status(&self) -> Result<PolicyStatus> {
        let manifest = self.inner.manifest();
        self.inner.db.read(|c| privacy::policy_status(c, &manifest))
    }

    /// The state of one purpose (what the gate would answer now).
    pub fn purpose_state(&self, purpose: &str) -> Result<PurposeState> {
        let manifest = self.inner.manifest();
        self.inner
            .db
            .read(|c| privacy::purpose_state(c, &manifest, purpose))
    }

    /// The user accepted the policy in force (`asked_via` says where, e.g.
    /// `first_run_dialog`). Returns the receipts: the acceptance and each core purpose
    /// resting on plain consent. Durable when this returns.
    pub fn accept_policy(&self, asked_via: &str) -> Result<Vec<Receipt>> {
        check_asked_via(asked_via)?;
        let manifest = self.inner.manifest();
        let receipts = self
            .inner
            .db
            .write(|tx| privacy::accept_policy(tx, &manifest, asked_via, Utc::now()))?;
        tracing::info!(version = %manifest.policy_version, "policy accepted");
        self.inner.listeners.notify(Topic::Privacy);
        Ok(receipts)
    }

    /// The user switched a consent-based purpose on or off. Off after on is a withdrawal,
    /// effective at once for every collection path.
    pub fn decide(&self, purpose: &str, allow: bool, asked_via: &str) -> Result<Receipt> {
        check_asked_via(asked_via)?;
        let manifest = self.inner.manifest();
        let receipt = self
            .inner
            .db
            .write(|tx| privacy::decide(tx, &manifest, purpose, allow, asked_via, Utc::now()))?;
        tracing::info!(purpose, kind = ?receipt.kind, "consent decision recorded");
        if receipt.kind != DecisionKind::Granted {
            // The purge is committed; truncate the WAL so no old frame keeps the data.
            self.inner.db.checkpoint()?;
            self.drop_pending_without_basis();
        }
        self.inner.listeners.notify(Topic::Privacy);
        Ok(receipt)
    }

    /// The user's age, asked with the policy. Only whether it is under the policy's minimum
    /// age is kept; a minor's data is collected only after a guardian consented.
    /// Returns whether the user is a minor under the policy.
    pub fn declare_age(&self, age_years: u32) -> Result<bool> {
        let manifest = self.inner.manifest();
        let minor = self
            .inner
            .db
            .write(|tx| privacy::declare_age(tx, &manifest, age_years))?;
        if minor {
            self.inner.db.checkpoint()?;
            self.drop_pending_without_basis();
        }
        self.inner.listeners.notify(Topic::Privacy);
        Ok(minor)
    }

    /// A guardian consented for a minor user; returns the receipt.
    pub fn record_guardian_consent(&self, asked_via: &str) -> Result<Receipt> {
        check_asked_via(asked_via)?;
        let manifest = self.inner.manifest();
        let receipt = self
            .inner
            .db
            .write(|tx| privacy::record_guardian_consent(tx, &manifest, asked_via, Utc::now()))?;
        self.inner.listeners.notify(Topic::Privacy);
        Ok(receipt)
    }

    /// The shell reports an OS permission state (at start, on resume, after a prompt).
    /// Turning a permission off withdraws the purposes that cannot work without it, and
    /// purges their data at once.
    pub fn report_permission(&self, permission: Permission, state: PermissionState) -> Result<()> {
        let manifest = self.inner.manifest();
        let purged = self
            .inner
            .db
            .write(|tx| privacy::report_permission(tx, &manifest, permission, state, Utc::now()))?;
        if purged {
            self.inner.db.checkpoint()?;
        }
        self.drop_pending_without_basis();
        self.inner.listeners.notify(Topic::Privacy);
        Ok(())
    }

    /// What to do about the permission `purpose` needs: ask (with the manifest's
    /// rationale), send the user to the OS settings, stay quiet (48-hour rule), or nothing.
    /// `user_initiated`: the user opened the function themselves.
    pub fn permission_ask(&self, purpose: &str, user_initiated: bool) -> Result<PermissionAsk> {
        let manifest = self.inner.manifest();
        self.inner
            .db
            .read(|c| privacy::permission_ask(c, &manifest, purpose, user_initiated, Utc::now()))
    }

    /// Installs a new policy manifest (JSON). A malformed, hostile or foreign one is
    /// rejected with [`Error::InvalidManifest`] and the one in force stays. Returns the new
    /// policy status: a material change needs the user's decision before collection goes on.
    pub fn install_manifest(&self, document: &str) -> Result<PolicyStatus> {
        let current = self.inner.manifest();
        let new = self
            .inner
            .db
            .write(|tx| privacy::install(tx, &current, document, Utc::now()))?;
        tracing::info!(version = %new.policy_version, "policy manifest installed");
        *self
            .inner
            .manifest
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(new);
        // A purpose the new policy dropped has no basis left: its data goes now.
        self.sweep_retention()?;
        self.inner.listeners.notify(Topic::Privacy);
        self.policy_status()
    }

    /// Recomputes the consent ledger's hash chain; returns the number of receipts.
    pub fn verify_consent_ledger(&self) -> Result<u32> {
        match self.inner.db.read(ledger::verify)? {
            Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(seq) => Err(Error::LedgerTampered { seq }),
        }
    }

    /// Runs `make(inner)` on the core's runtime and waits for it from any executor.
    /// A refused token is forgotten here, in one place, so `sign_in` registers afresh;
    /// queued actions are kept and go out under the new session.
    async fn run<T, F, Fut>(&self, make: F) -> Result<T>
    where
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let work = make(Arc::clone(&inner));
        let task = self.handle.spawn(async move {
            // Created before the work starts: a `notify_waiters` from now on reaches it.
            let mut cancelled = std::pin::pin!(inner.cancel.notified());
            let mut work = std::pin::pin!(work);
            let result = std::future::poll_fn(|cx| {
                if cancelled.as_mut().poll(cx).is_ready() {
                    return std::task::Poll::Ready(Err(Error::Cancelled));
                }
                work.as_mut().poll(cx)
            })
            .await;
            if matches!(result, Err(Error::Unauthorized)) {
                tracing::warn!("server refused the session token; signing out");
                inner.blocking(|i| Ok(i.db.write(session::clear)?)).await?;
            }
            result
        });
        // The caller dropping this future (a cancelled Kotlin coroutine) ends the task too.
        AbortOnDrop(task).await.map_err(join_error)?
    }

    /// Ends every network call in flight with `Cancelled`: the Swift facade calls it when
    /// the awaiting task is cancelled (UniFFI drops Rust futures only from Kotlin). Each
    /// step writes its state before it awaits the network, so what finished is kept and
    /// the next sync resumes the rest; calls started afterwards are not affected.
    pub fn cancel_running(&self) {
        self.inner.cancel.notify_waiters();
    }
}

/// A spawned task that is aborted when the future awaiting it is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = std::result::Result<T, JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        // A no-op once the task has finished.
        self.0.abort();
    }
}

impl Drop for Waybill {
    /// Does not block: running tasks are dropped at their next await point. Each task
    /// writes its state before it awaits the network, so nothing acknowledged is lost.
    fn drop(&mut self) {
        // Backgrounding should have flushed; a clean close flushes too.
        self.flush_pending_quietly();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Inner {
    /// Runs blocking SQLite work off the async workers.
    pub(crate) async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(join_error)?
    }

    /// The manifest in force.
    pub(crate) fn manifest(&self) -> Arc<Manifest> {
        Arc::clone(&self.manifest.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The gate, for synchronous paths.
    pub(crate) fn gate_now(&self, purpose: &str) -> Result<Ticket> {
        let manifest = self.manifest();
        self.db.read(|c| privacy::check(c, &manifest, purpose))
    }

    /// The gate, for async paths: a ticket for `purpose` or the typed reason there is none.
    pub(crate) async fn gate(self: &Arc<Self>, purpose: &'static str) -> Result<Ticket> {
        self.blocking(move |i| i.gate_now(purpose)).await
    }

    /// The purpose order data is processed for in this app.
    pub(crate) fn order_purpose(&self) -> &'static str {
        match self.config.role {
            Role::Driver => ORDER_FULFILMENT,
            Role::Shipper => ERRAND_PLACEMENT,
        }
    }

    /// Records in the transparency log that data of `categories` went to the controller.
    pub(crate) fn log_sent(
        &self,
        tx: &rusqlite::Transaction<'_>,
        basis: &Ticket,
        categories: &[&str],
        items: usize,
    ) -> Result<()> {
        let recipient = self.manifest().controller.name.clone();
        Ok(transparency::record(
            tx,
            &DataEvent::new(
                DataAction::Sent,
                basis.purpose(),
                categories,
                Some(&recipient),
                items,
                Utc::now(),
            ),
        )?)
    }

    pub(crate) async fn require_session(self: &Arc<Self>) -> Result<Session> {
        self.blocking(|i| i.db.read(session::load)?.ok_or(Error::NotSignedIn))
            .await
    }
}

fn join_error(e: JoinError) -> Error {
    if e.is_cancelled() {
        Error::Shutdown
    } else {
        Error::Internal {
            reason: "a core task panicked".into(),
        }
    }
}

fn validate_position(p: LatLon) -> Result<()> {
    let ok = p.lat.is_finite()
        && p.lon.is_finite()
        && (-90.0..=90.0).contains(&p.lat)
        && (-180.0..=180.0).contains(&p.lon);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput {
            reason: "position must be finite, latitude within ±90 and longitude within ±180".into(),
        })
    }
}

fn validate_errand(e: &NewErrand) -> Result<()> {
    if e.is_valid() {
        Ok(())
    } else {
        Err(Error::InvalidInput {
            reason: waybill_protocol::ERRAND_RULES.into(),
        })
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

/// Rounds to 0.01° (about 1.1 km of latitude): enough for "offers near me".
fn coarsen(p: LatLon) -> LatLon {
    LatLon {
        lat: (p.lat * 100.0).round() / 100.0,
        lon: (p.lon * 100.0).round() / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_coarsened_to_about_a_kilometre() {
        let p = coarsen(LatLon {
            lat: 31.230_416,
            lon: 121.473_701,
        });
        assert_eq!(
            p,
            LatLon {
                lat: 31.23,
                lon: 121.47
            }
        );
    }

    #[test]
    fn bad_positions_are_rejected() {
        for (lat, lon) in [
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
            (91.0, 0.0),
            (0.0, -181.0),
        ] {
            assert!(matches!(
                validate_position(LatLon { lat, lon }),
                Err(Error::InvalidInput { .. })
            ));
        }
        assert!(
            validate_position(LatLon {
                lat: -90.0,
                lon: 180.0
            })
            .is_ok()
        );
    }
}
