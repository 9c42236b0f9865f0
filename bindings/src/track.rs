//! The trajectory engine across the FFI: fixes, the tracking plan, gaps, stops and
//! arrivals, diagnostics, and the `Waybill` methods that forward to it.

use std::time::SystemTime;

use waybill_core as core;

use crate::error::Result;
use crate::list;
use crate::object::Waybill;

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

#[uniffi::export]
impl Waybill {
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
}
