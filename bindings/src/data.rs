//! FFI mirror of the personal data the core holds and the user's rights over it: party
//! contact, location fixes, the transparency log, rights requests, data held.

use std::time::SystemTime;

use waybill_core as core;

use crate::list;

/// Consignor and consignee contact of an order; masked unless revealed for an open order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderContact {
    /// Consignor's name.
    pub consignor_name: String,
    /// Consignor's phone.
    pub consignor_phone: String,
    /// Consignee's name.
    pub consignee_name: String,
    /// Consignee's phone.
    pub consignee_phone: String,
    /// Delivery address.
    pub consignee_address: String,
    /// Whether the values are masked.
    pub masked: bool,
}

impl From<core::OrderContact> for OrderContact {
    fn from(c: core::OrderContact) -> Self {
        OrderContact {
            consignor_name: c.consignor_name,
            consignor_phone: c.consignor_phone,
            consignee_name: c.consignee_name,
            consignee_phone: c.consignee_phone,
            consignee_address: c.consignee_address,
            masked: c.masked,
        }
    }
}

/// One location fix.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Fix {
    /// Device time.
    pub at: SystemTime,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Horizontal accuracy in metres, if known.
    pub accuracy_m: Option<f64>,
    /// Monotonic milliseconds since boot, if known.
    pub elapsed_ms: Option<i64>,
    /// The OS marks it as a mock location.
    pub mock: bool,
}

impl From<Fix> for core::Fix {
    fn from(f: Fix) -> Self {
        core::Fix {
            at: f.at.into(),
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            elapsed_ms: f.elapsed_ms,
            mock: f.mock,
        }
    }
}

impl From<core::Fix> for Fix {
    fn from(f: core::Fix) -> Self {
        Fix {
            at: f.at.into(),
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            elapsed_ms: f.elapsed_ms,
            mock: f.mock,
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

/// What the trajectory engine saw of an order's leg: fixes dropped by reason, gaps, stops
/// and arrivals, and the distance travelled.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TrackingDiagnostics {
    /// NaN or out-of-range values.
    pub invalid: u32,
    /// Accuracy worse than the limit.
    pub inaccurate: u32,
    /// Mock locations.
    pub mock: u32,
    /// Same time as the previous fix.
    pub duplicate: u32,
    /// Earlier than the previous fix.
    pub backwards: u32,
    /// Implied speed above the limit.
    pub speed_outlier: u32,
    /// Jitter while standing still.
    pub stationary: u32,
    /// Dated after the device clock.
    pub from_future: u32,
    /// Gaps, stops and arrivals, oldest first.
    pub events: Vec<TrackEvent>,
    /// Distance over the kept fixes, metres (great circle).
    pub distance_m: f64,
}

/// Why a stretch of the trajectory has no positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GapReason {
    /// The position jumped further than the vehicle can travel; the track resumes there.
    PositionJump,
    /// No usable fix for a while although the vehicle moved (tunnel).
    SignalLost,
    /// The app was not running.
    AppRestarted,
    /// The location permission was turned off.
    PermissionRevoked,
    /// The driver withdrew consent to the trajectory.
    ConsentWithdrawn,
    /// The location provider was switched off.
    ProviderOff,
    /// The device clock jumped; later times are re-dated on the monotonic clock.
    ClockJump,
    /// Unknown to this version.
    Other,
}

mirror_enum!(
    GapReason,
    core::GapReason,
    PositionJump,
    SignalLost,
    AppRestarted,
    PermissionRevoked,
    ConsentWithdrawn,
    ProviderOff,
    ClockJump,
    Other
);

/// What happened over a stretch of the trajectory.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum TrackEventKind {
    /// No positions, and why.
    Gap {
        /// Why.
        reason: GapReason,
    },
    /// The vehicle stood still here (dwell).
    Stop {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
    /// The vehicle entered the geofence of a stop of the route.
    Arrival {
        /// Index of the stop in the route.
        stop: u32,
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
}

/// A gap, stop or arrival.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TrackEvent {
    /// What.
    pub kind: TrackEventKind,
    /// Start.
    pub from: SystemTime,
    /// End (equal to the start for an arrival).
    pub to: SystemTime,
}

impl From<core::TrackEvent> for TrackEvent {
    fn from(e: core::TrackEvent) -> Self {
        TrackEvent {
            kind: match e.kind {
                core::TrackEventKind::Gap(r) => TrackEventKind::Gap { reason: r.into() },
                core::TrackEventKind::Stop { lat, lon } => TrackEventKind::Stop { lat, lon },
                core::TrackEventKind::Arrival { stop, lat, lon } => {
                    TrackEventKind::Arrival { stop, lat, lon }
                }
            },
            from: e.from.into(),
            to: e.to.into(),
        }
    }
}

impl From<core::TrackingDiagnostics> for TrackingDiagnostics {
    fn from(d: core::TrackingDiagnostics) -> Self {
        let c = d.rejections;
        TrackingDiagnostics {
            invalid: c.invalid,
            inaccurate: c.inaccurate,
            mock: c.mock,
            duplicate: c.duplicate,
            backwards: c.backwards,
            speed_outlier: c.speed_outlier,
            stationary: c.stationary,
            from_future: c.from_future,
            events: list(d.events),
            distance_m: d.distance_m,
        }
    }
}

/// How precisely the shell should ask the OS for fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Accuracy {
    /// GPS, moving.
    High,
    /// Low power, standing.
    Balanced,
}

mirror_enum!(Accuracy, core::Accuracy, High, Balanced);

/// What the shell should do with location updates now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TrackingPlan {
    /// Run updates for the order in transit.
    Track {
        /// The order.
        order_id: String,
        /// Requested accuracy.
        accuracy: Accuracy,
        /// Requested interval, milliseconds.
        interval_ms: u32,
    },
    /// No order in transit: stop updates.
    NoJob,
    /// The trajectory consent is missing, refused or withdrawn: stop updates.
    NoConsent,
    /// The OS permission is missing: ask at the function, then track.
    NeedsPermission {
        /// Which.
        permission: crate::privacy::Permission,
    },
}

impl From<core::TrackingPlan> for TrackingPlan {
    fn from(p: core::TrackingPlan) -> Self {
        match p {
            core::TrackingPlan::Track {
                order_id,
                accuracy,
                interval_ms,
            } => TrackingPlan::Track {
                order_id,
                accuracy: accuracy.into(),
                interval_ms,
            },
            core::TrackingPlan::Off(core::Idle::NoJob) => TrackingPlan::NoJob,
            core::TrackingPlan::Off(core::Idle::NoConsent) => TrackingPlan::NoConsent,
            core::TrackingPlan::Off(core::Idle::NeedsPermission(p)) => {
                TrackingPlan::NeedsPermission {
                    permission: p.into(),
                }
            }
        }
    }
}
