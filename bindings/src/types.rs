//! FFI records and enums mirroring the core's public types, with their conversions.

use std::time::SystemTime;

use waybill_core as core;

/// Which app this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// The driver app.
    Driver,
    /// The shipper (errand) app.
    Shipper,
}

mirror_enum!(Role, core::Role, Driver, Shipper);

/// Configuration of a client.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WaybillConfig {
    /// App-private directory for the database and files.
    pub data_dir: String,
    /// Base URL of the sync server.
    pub server_url: String,
    /// Application id.
    pub app_id: String,
    /// Application version.
    pub app_version: String,
    /// Which app this is.
    pub role: Role,
    /// Optional certificate pins, `base64(SHA-256(SubjectPublicKeyInfo))` (OkHttp's
    /// `sha256/…` format); empty: the bundled roots alone decide.
    #[uniffi(default = [])]
    pub pinned_keys: Vec<String>,
}

impl From<WaybillConfig> for core::Config {
    fn from(c: WaybillConfig) -> Self {
        core::Config {
            data_dir: c.data_dir.into(),
            server_url: c.server_url,
            app_id: c.app_id,
            app_version: c.app_version,
            role: c.role.into(),
            pinned_keys: c.pinned_keys,
        }
    }
}

/// A point, WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LatLon {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl From<LatLon> for core::LatLon {
    fn from(p: LatLon) -> Self {
        core::LatLon {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

impl From<core::LatLon> for LatLon {
    fn from(p: core::LatLon) -> Self {
        LatLon {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

/// Effective status of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderStatus {
    /// Offered, not taken.
    Open,
    /// Taken by a driver.
    Accepted,
    /// The driver has the goods.
    PickedUp,
    /// Signed off (closed).
    Delivered,
    /// Cancelled by the shipper (closed).
    Cancelled,
}

mirror_enum!(
    OrderStatus,
    core::OrderStatus,
    Open,
    Accepted,
    PickedUp,
    Delivered,
    Cancelled
);

/// Whether a local change waits for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Confirmed by the server.
    Synced,
    /// Queued in the outbox.
    Pending,
}

mirror_enum!(SyncState, core::SyncState, Synced, Pending);

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderList {
    /// Offers this driver can accept.
    Open,
    /// Orders this driver holds or accepted offline.
    Mine,
}

mirror_enum!(OrderList, core::OrderList, Open, Mine);

/// An order as the UI shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Order {
    /// Server id.
    pub id: String,
    /// Effective status.
    pub status: OrderStatus,
    /// Whether a local action is still queued.
    pub sync_state: SyncState,
    /// Whether this driver holds it.
    pub assigned_to_me: bool,
    /// Whether this shipper placed it.
    pub placed_by_me: bool,
    /// Pickup label.
    pub pickup_label: String,
    /// Pickup coordinates.
    pub pickup: LatLon,
    /// Drop-off label.
    pub dropoff_label: String,
    /// Goods.
    pub goods: String,
    /// Weight in kilograms.
    pub weight_kg: f64,
    /// Fee in minor units.
    pub fee_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The route: pickup first, then drop-offs, with time windows.
    pub stops: Vec<Stop>,
    /// The delivery time agreed with the consignee.
    pub appointment_at: Option<SystemTime>,
    /// Server revision.
    pub revision: i64,
    /// Last server change.
    pub updated_at: SystemTime,
}

/// What happens at a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StopKind {
    /// Goods are loaded.
    Pickup,
    /// Goods are handed over.
    Dropoff,
}

mirror_enum!(StopKind, core::StopKind, Pickup, Dropoff);

/// One stop of a route.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stop {
    /// Pickup or drop-off.
    pub kind: StopKind,
    /// Place.
    pub label: String,
    /// Coordinates, when known.
    pub point: Option<LatLon>,
    /// Earliest arrival.
    pub window_start: Option<SystemTime>,
    /// Latest arrival.
    pub window_end: Option<SystemTime>,
}

impl From<core::Stop> for Stop {
    fn from(s: core::Stop) -> Self {
        Stop {
            kind: s.kind.into(),
            label: s.label,
            point: s.point.map(Into::into),
            window_start: s.window_start.map(Into::into),
            window_end: s.window_end.map(Into::into),
        }
    }
}

impl From<core::Order> for Order {
    fn from(o: core::Order) -> Self {
        Order {
            id: o.id,
            status: o.status.into(),
            sync_state: o.sync_state.into(),
            assigned_to_me: o.assigned_to_me,
            placed_by_me: o.placed_by_me,
            pickup_label: o.pickup_label,
            pickup: o.pickup.into(),
            dropoff_label: o.dropoff_label,
            goods: o.goods,
            weight_kg: o.weight_kg,
            fee_minor: o.fee_minor,
            currency: o.currency,
            stops: o.stops.into_iter().map(Into::into).collect(),
            appointment_at: o.appointment_at.map(Into::into),
            revision: o.revision,
            updated_at: o.updated_at.into(),
        }
    }
}

/// Why an order cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Unavailable {
    /// Another driver took it.
    TakenByAnotherDriver,
    /// The shipper cancelled it.
    Cancelled,
    /// This driver already accepted it.
    AlreadyAccepted,
}

mirror_enum!(
    Unavailable,
    core::Unavailable,
    TakenByAnotherDriver,
    Cancelled,
    AlreadyAccepted
);

/// Why the server refused a queued action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RejectionReason {
    /// Another driver accepted first.
    TakenByAnotherDriver,
    /// The shipper cancelled.
    OrderCancelled,
    /// The order is gone.
    OrderNotFound,
    /// The order's status on the server does not allow it.
    NotAllowedNow,
    /// Dropped because an earlier action on the same order was refused.
    EarlierActionRefused,
    /// The request was invalid.
    Invalid,
}

mirror_enum!(
    RejectionReason,
    core::RejectionReason,
    TakenByAnotherDriver,
    OrderCancelled,
    OrderNotFound,
    NotAllowedNow,
    EarlierActionRefused,
    Invalid
);

/// A refused action, kept until dismissed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rejection {
    /// Id for `dismiss_rejection`.
    pub id: i64,
    /// The order concerned.
    pub order_id: String,
    /// The action refused (`accept`, `pick_up`, `deliver`, `report_exception`).
    pub action: String,
    /// Why.
    pub reason: RejectionReason,
    /// When the user took the action (their fact).
    pub taken_at: Option<SystemTime>,
    /// The order's status on the server now (its fact).
    pub order_status: Option<OrderStatus>,
    /// What the UI can offer.
    pub choices: Vec<Resolution>,
    /// When it arrived.
    pub rejected_at: SystemTime,
}

impl From<core::Rejection> for Rejection {
    fn from(r: core::Rejection) -> Self {
        Rejection {
            id: r.id,
            order_id: r.order_id,
            action: r.action,
            reason: r.reason.into(),
            taken_at: r.taken_at.map(Into::into),
            order_status: r.order_status.map(Into::into),
            choices: r.choices.into_iter().map(Into::into).collect(),
            rejected_at: r.rejected_at.into(),
        }
    }
}

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

/// A queued action with its retry state.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PendingAction {
    /// Queue position, for `cancel_pending`.
    pub seq: i64,
    /// The order.
    pub order_id: String,
    /// `accept`, `pick_up`, `deliver` or `report_exception`.
    pub action: String,
    /// When the user took it.
    pub created_at: SystemTime,
    /// Failed attempts.
    pub attempts: u32,
    /// Last failure.
    pub last_error: Option<String>,
    /// When the next automatic attempt is due.
    pub next_attempt_at: Option<SystemTime>,
}

impl From<core::orders::outbox::OutboxEntry> for PendingAction {
    fn from(e: core::orders::outbox::OutboxEntry) -> Self {
        PendingAction {
            seq: e.seq,
            order_id: e.order_id,
            action: e.action.as_str().to_string(),
            created_at: e.created_at.into(),
            attempts: e.attempts,
            last_error: e.last_error,
            next_attempt_at: e.next_attempt_at.map(Into::into),
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
        }
    }
}

/// Sender and recipient of an errand, as the shipper enters them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Parties {
    /// Sender's name.
    pub sender_name: String,
    /// Sender's phone.
    pub sender_phone: String,
    /// Recipient's name.
    pub recipient_name: String,
    /// Recipient's phone.
    pub recipient_phone: String,
    /// Delivery address.
    pub recipient_address: String,
}

/// An errand a shipper places.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewErrand {
    /// Pickup label.
    pub pickup_label: String,
    /// Pickup point.
    pub pickup: LatLon,
    /// Drop-off label.
    pub dropoff_label: String,
    /// Drop-off point, when known (the driver's app detects arrival at its geofence).
    pub dropoff: Option<LatLon>,
    /// What is carried.
    pub goods: String,
    /// Weight, kg.
    pub weight_kg: f64,
    /// Fee in minor units (fen).
    pub fee_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Sender and recipient.
    pub parties: Parties,
}

impl From<NewErrand> for core::NewErrand {
    fn from(e: NewErrand) -> Self {
        core::NewErrand {
            pickup_label: e.pickup_label,
            pickup: e.pickup.into(),
            dropoff_label: e.dropoff_label,
            dropoff: e.dropoff.map(Into::into),
            goods: e.goods,
            weight_kg: e.weight_kg,
            fee_minor: e.fee_minor,
            currency: e.currency,
            contact: core::protocol::OrderContact {
                consignor_name: e.parties.sender_name,
                consignor_phone: e.parties.sender_phone,
                consignee_name: e.parties.recipient_name,
                consignee_phone: e.parties.recipient_phone,
                consignee_address: e.parties.recipient_address,
            },
        }
    }
}

/// What the user can do about a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Resolution {
    /// Acknowledge the server's state.
    Dismiss,
    /// Take the same action again (offered only when possible now).
    Retry,
}

mirror_enum!(Resolution, core::Resolution, Dismiss, Retry);

/// What became of one of my actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ActionState {
    /// Waiting for the server.
    Pending,
    /// Applied.
    Confirmed,
    /// Refused.
    Refused,
    /// Withdrawn before it was sent.
    Withdrawn,
}

mirror_enum!(
    ActionState,
    core::ActionState,
    Pending,
    Confirmed,
    Refused,
    Withdrawn
);

/// One line of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryEntry {
    /// My action, or the server's new status.
    pub event: String,
    /// Whether I did it on this device.
    pub by_me: bool,
    /// When.
    pub at: SystemTime,
    /// Note of an exception report.
    pub note: Option<String>,
    /// What became of my action.
    pub state: Option<ActionState>,
}

impl From<core::HistoryEntry> for HistoryEntry {
    fn from(h: core::HistoryEntry) -> Self {
        HistoryEntry {
            event: h.event,
            by_me: h.by_me,
            at: h.at.into(),
            note: h.note,
            state: h.state.map(Into::into),
        }
    }
}
