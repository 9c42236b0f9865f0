//! Validation and filtering of raw fixes, before anything is stored: invalid values,
//! poor accuracy, mock locations, time going backwards or jumping, duplicates, implied
//! speed outliers, and jitter while standing still. Every rejection is counted by reason.
//! A stop keeps its timing: the last fix of a stationary run is kept when movement
//! resumes, so a time-aware simplifier still knows how long the vehicle stood.

use chrono::{DateTime, Duration, Utc};

use super::events::{GapReason, TrackEvent};
use super::{Fix, geo};

use waybill_protocol::plausible_from;

/// 1980-01-06, the GPS epoch: no fix predates it.
fn gps_epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(315_964_800, 0).unwrap_or_default()
}

/// Whether `early` is a whole number of GPS week rollovers (1024 weeks) before `late`,
/// within a day: the signature of a receiver that lost its week count.
fn rolled_over(early: DateTime<Utc>, late: DateTime<Utc>) -> bool {
    const ROLLOVER_S: i64 = 1024 * 7 * 86_400;
    let behind = (late - early).num_seconds();
    let rem = behind.rem_euclid(ROLLOVER_S);
    behind > 86_400 && (rem <= 86_400 || rem >= ROLLOVER_S - 86_400)
}

/// What the core knows of the time when fixes arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The device clock, which the user, the network or a flat battery may have set to
    /// anything.
    pub device: DateTime<Utc>,
    /// Server time minus device time, from the server's `Date` at the last exchange.
    pub server_offset_ms: Option<i64>,
}

impl From<DateTime<Utc>> for Clock {
    fn from(device: DateTime<Utc>) -> Clock {
        Clock {
            device,
            server_offset_ms: None,
        }
    }
}

impl Clock {
    /// The time the server's clock vouches for.
    fn server_time(&self) -> Option<DateTime<Utc>> {
        self.server_offset_ms
            .map(|o| self.device + Duration::milliseconds(o))
    }

    /// The best time there is: the server's, else the device's when it is plausible.
    fn trusted(&self) -> Option<DateTime<Utc>> {
        self.server_time()
            .or((self.device >= plausible_from()).then_some(self.device))
    }
}

/// Thresholds; defaults suit a road vehicle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterConfig {
    /// Fixes with a worse horizontal accuracy are dropped (metres).
    pub max_accuracy_m: f64,
    /// Implied speeds above this are outliers (m/s; 70 m/s = 252 km/h).
    pub max_speed_mps: f64,
    /// Closer than this to the last kept fix counts as standing still (metres).
    pub stationary_radius_m: f64,
    /// Drop fixes the OS marks as mock locations.
    pub reject_mock: bool,
    /// Consecutive outliers that agree with each other are believed (the earlier fix was
    /// the wrong one, e.g. after a tunnel).
    pub outliers_to_recover: usize,
    /// Fixes dated further ahead of the device clock at ingest are refused (ms).
    pub max_future_ms: i64,
    /// A fix whose time disagrees by more than this with where the monotonic clock places
    /// it is re-dated there; a new disagreement is recorded once as a clock jump (ms).
    pub clock_jump_ms: i64,
    /// How far behind the trusted time a fix's own time may be and still anchor a leg
    /// (the OS delivers batched fixes late); further, the fix is placed at the trusted
    /// time and later fixes follow on the monotonic clock (ms).
    pub max_anchor_lag_ms: i64,
    /// A fix without a monotonic time older than this against the trusted time cannot be
    /// placed and is refused as backwards: 15 years, less than the 19.6 of a GPS week
    /// rollover, more than the age of a recorded trace replayed (ms).
    pub max_unanchored_age_ms: i64,
}

impl Default for FilterConfig {
    fn default() -> Self {
        FilterConfig {
            max_accuracy_m: 50.0,
            max_speed_mps: 70.0,
            stationary_radius_m: 3.0,
            reject_mock: true,
            outliers_to_recover: 3,
            max_future_ms: 120_000,
            clock_jump_ms: 5_000,
            max_anchor_lag_ms: 600_000,
            max_unanchored_age_ms: 15 * 365 * 86_400_000,
        }
    }
}

/// Why a fix was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// NaN, infinite or out-of-range values.
    Invalid,
    /// Accuracy worse than the limit.
    Inaccurate,
    /// Marked as a mock location.
    Mock,
    /// Same time as the previous fix.
    Duplicate,
    /// Earlier than the previous fix (clock went back or fixes arrived out of order).
    Backwards,
    /// Implied speed from the previous fix above the limit.
    SpeedOutlier,
    /// Dated after the device's clock (a bad GPS time or a fix replayed from the future).
    FromFuture,
    /// Within the stationary radius of the last kept fix.
    Stationary,
}

/// Rejections counted by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RejectionCounts {
    /// See [`Rejection::Invalid`].
    pub invalid: u32,
    /// See [`Rejection::Inaccurate`].
    pub inaccurate: u32,
    /// See [`Rejection::Mock`].
    pub mock: u32,
    /// See [`Rejection::Duplicate`].
    pub duplicate: u32,
    /// See [`Rejection::Backwards`].
    pub backwards: u32,
    /// See [`Rejection::SpeedOutlier`].
    pub speed_outlier: u32,
    /// See [`Rejection::FromFuture`].
    pub from_future: u32,
    /// See [`Rejection::Stationary`].
    pub stationary: u32,
}

impl RejectionCounts {
    fn add(&mut self, r: Rejection) {
        let slot = match r {
            Rejection::Invalid => &mut self.invalid,
            Rejection::Inaccurate => &mut self.inaccurate,
            Rejection::Mock => &mut self.mock,
            Rejection::Duplicate => &mut self.duplicate,
            Rejection::Backwards => &mut self.backwards,
            Rejection::SpeedOutlier => &mut self.speed_outlier,
            Rejection::FromFuture => &mut self.from_future,
            Rejection::Stationary => &mut self.stationary,
        };
        *slot += 1;
    }

    /// All rejections.
    pub fn total(&self) -> u32 {
        self.invalid
            + self.inaccurate
            + self.mock
            + self.duplicate
            + self.backwards
            + self.speed_outlier
            + self.from_future
            + self.stationary
    }
}

/// The filter's state: one per job (an order leg).
#[derive(Debug, Clone)]
pub struct FixFilter {
    config: FilterConfig,
    last: Option<Fix>,
    /// The latest fix of a stationary run, not yet kept.
    standing: Option<Fix>,
    /// Consecutive outliers, in case they are right and the last kept fix was wrong.
    outliers: Vec<Fix>,
    counts: RejectionCounts,
    /// Gaps found and not yet taken.
    gaps: Vec<TrackEvent>,
    /// Where the leg's times hang: a wall time the core trusts and the monotonic time
    /// at that instant. Every fix with a monotonic time is placed from it.
    anchor: Option<Anchor>,
    /// How far the latest fix's own time was from where the anchor placed it (ms).
    skew_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchor {
    wall: DateTime<Utc>,
    elapsed_ms: i64,
}

impl FixFilter {
    /// A filter with `config`.
    pub fn new(config: FilterConfig) -> FixFilter {
        FixFilter {
            config,
            last: None,
            standing: None,
            outliers: vec![],
            counts: RejectionCounts::default(),
            gaps: vec![],
            anchor: None,
            skew_ms: 0,
        }
    }

    /// Whether the latest fixes say the vehicle stands still.
    pub fn is_standing(&self) -> bool {
        self.standing.is_some()
    }

    /// Gaps found since the last call, oldest first.
    pub fn take_gaps(&mut self) -> Vec<TrackEvent> {
        std::mem::take(&mut self.gaps)
    }

    /// Rejections so far.
    pub fn counts(&self) -> RejectionCounts {
        self.counts
    }

    /// Feeds one fix received now; returns the fixes to keep (none, this one, or the end
    /// of a stop followed by this one).
    pub fn push(&mut self, fix: Fix) -> Vec<Fix> {
        self.push_at(fix, Utc::now())
    }

    /// [`FixFilter::push`] at `clock` (a device time, or a [`Clock`] with the server's).
    pub fn push_at(&mut self, fix: Fix, clock: impl Into<Clock>) -> Vec<Fix> {
        let clock = clock.into();
        let placed = self.place(fix, &clock);
        match placed.and_then(|fix| self.check(&fix, clock.trusted())) {
            Ok(kept) => kept,
            Err(r) => {
                self.counts.add(r);
                vec![]
            }
        }
    }

    /// Dates a fix on time the core can trust. A fix with a monotonic time is placed from
    /// the leg's anchor, so neither a device clock that jumps nor a GPS time that is
    /// years off re-dates good fixes; the anchor itself comes from the server's time when
    /// known, else from the first fix's own time if plausible, else the device clock's.
    /// A fix without a monotonic time keeps its own time if that is plausible.
    fn place(&mut self, fix: Fix, clock: &Clock) -> Result<Fix, Rejection> {
        let mut fix = fix;
        let Some(elapsed) = fix.elapsed_ms else {
            let too_old = clock.trusted().is_some_and(|t| {
                fix.at < t - Duration::milliseconds(self.config.max_unanchored_age_ms)
            });
            return if fix.at < gps_epoch() || too_old {
                Err(Rejection::Backwards)
            } else {
                Ok(fix)
            };
        };
        // The anchor holds for the leg: re-anchoring mid-leg could date a fix before one
        // already kept.
        let anchor = match self.anchor {
            Some(a) => a,
            None => {
                let a = self.anchor_at(&fix, elapsed, clock)?;
                self.anchor = Some(a);
                self.skew_ms = (fix.at - a.wall).num_milliseconds();
                a
            }
        };
        let placed = anchor.wall + Duration::milliseconds(elapsed - anchor.elapsed_ms);
        let skew = (fix.at - placed).num_milliseconds();
        if skew.abs() > self.config.clock_jump_ms {
            let newest = self.standing.or(self.last);
            if let Some(newest) =
                newest.filter(|_| (skew - self.skew_ms).abs() > self.config.clock_jump_ms)
            {
                self.gaps
                    .push(TrackEvent::gap(GapReason::ClockJump, newest.at, placed));
            }
            fix.at = placed;
        }
        self.skew_ms = skew;
        Ok(fix)
    }

    /// An anchor for a leg starting with `fix`: its own time when the server's time
    /// agrees with it, else the server's; without the server's time, its own time unless
    /// that is implausible or exactly a GPS week rollover behind the device clock, in
    /// which case the device clock's (if plausible itself).
    fn anchor_at(&self, fix: &Fix, elapsed_ms: i64, clock: &Clock) -> Result<Anchor, Rejection> {
        let lag = Duration::milliseconds(self.config.max_anchor_lag_ms);
        let device_ok = clock.device >= plausible_from();
        let wall = match clock.server_time() {
            Some(t) if (fix.at - t).abs() <= lag => fix.at,
            Some(t) => t,
            None if fix.at >= plausible_from()
                && !(device_ok && rolled_over(fix.at, clock.device)) =>
            {
                fix.at
            }
            None if device_ok => clock.device,
            // Neither the fix nor the device knows what time it is.
            None => return Err(Rejection::Backwards),
        };
        Ok(Anchor { wall, elapsed_ms })
    }

    fn check(&mut self, fix: &Fix, now: Option<DateTime<Utc>>) -> Result<Vec<Fix>, Rejection> {
        if !fix.is_valid() {
            return Err(Rejection::Invalid);
        }
        if now.is_some_and(|now| (fix.at - now).num_milliseconds() > self.config.max_future_ms) {
            return Err(Rejection::FromFuture);
        }
        if fix.mock && self.config.reject_mock {
            return Err(Rejection::Mock);
        }
        // 0 is how several platforms say "unknown".
        if fix
            .accuracy_m
            .is_some_and(|a| a > self.config.max_accuracy_m)
        {
            return Err(Rejection::Inaccurate);
        }
        let Some(last) = self.last else {
            self.last = Some(*fix);
            return Ok(vec![*fix]);
        };
        let newest = self.standing.unwrap_or(last);
        let dt_ms = elapsed_ms(&newest, fix);
        if dt_ms == 0 {
            return Err(Rejection::Duplicate);
        }
        if dt_ms < 0 {
            return Err(Rejection::Backwards);
        }
        // Speed from the newest fix (the end of a stop, if standing): the kept track will
        // join those two.
        let speed =
            geo::distance_m(newest.lat, newest.lon, fix.lat, fix.lon) / (dt_ms as f64 / 1000.0);
        if speed > self.config.max_speed_mps {
            return self.outlier(fix);
        }
        let distance = geo::distance_m(last.lat, last.lon, fix.lat, fix.lon);
        self.outliers.clear();
        if distance
            < self
                .config
                .stationary_radius_m
                .max(fix.accuracy_m.unwrap_or(0.0) / 2.0)
        {
            // Held as the possible end of a stop; the fix it replaces is the one dropped.
            if self.standing.replace(*fix).is_some() {
                self.counts.add(Rejection::Stationary);
            }
            return Ok(vec![]);
        }
        let mut kept = vec![];
        if let Some(end_of_stop) = self.standing.take() {
            kept.push(end_of_stop);
        }
        kept.push(*fix);
        self.last = Some(*fix);
        Ok(kept)
    }

    /// An outlier is dropped, unless it is the last of a run of outliers consistent with
    /// each other: then the run is the truth and the filter follows it.
    fn outlier(&mut self, fix: &Fix) -> Result<Vec<Fix>, Rejection> {
        let consistent = self.outliers.last().is_none_or(|prev| {
            let dt = elapsed_ms(prev, fix).max(1) as f64 / 1000.0;
            geo::distance_m(prev.lat, prev.lon, fix.lat, fix.lon) / dt <= self.config.max_speed_mps
        });
        if !consistent {
            self.outliers.clear();
        }
        self.outliers.push(*fix);
        if self.outliers.len() >= self.config.outliers_to_recover {
            self.outliers.clear();
            let mut kept = vec![];
            let from = match self.standing.take() {
                Some(end_of_stop) => {
                    kept.push(end_of_stop);
                    end_of_stop.at
                }
                None => self.last.map_or(fix.at, |l| l.at),
            };
            self.gaps
                .push(TrackEvent::gap(GapReason::PositionJump, from, fix.at));
            self.last = Some(*fix);
            kept.push(*fix);
            return Ok(kept);
        }
        Err(Rejection::SpeedOutlier)
    }
}

/// Milliseconds from `a` to `b`: the monotonic clock when both have it (immune to the
/// user changing the device clock), else device time.
fn elapsed_ms(a: &Fix, b: &Fix) -> i64 {
    match (a.elapsed_ms, b.elapsed_ms) {
        (Some(x), Some(y)) => y - x,
        _ => (b.at - a.at).num_milliseconds(),
    }
}
