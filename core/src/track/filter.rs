//! Validation and filtering of raw fixes, before anything is stored: invalid values,
//! poor accuracy, mock locations, time going backwards or jumping, duplicates, implied
//! speed outliers, and jitter while standing still. Every rejection is counted by reason.
//! A stop keeps its timing: the last fix of a stationary run is kept when movement
//! resumes, so a time-aware simplifier still knows how long the vehicle stood.

use chrono::{DateTime, Utc};

use super::events::{GapReason, TrackEvent};
use super::{Fix, geo};

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
    /// Device time and the monotonic clock disagreeing by more than this between two fixes
    /// is a clock jump: later fixes are re-dated on the monotonic clock (ms).
    pub clock_jump_ms: i64,
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
    /// Correction added to device times since a clock jump (ms).
    clock_offset_ms: i64,
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
            clock_offset_ms: 0,
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

    /// [`FixFilter::push`] with the device clock reading `now` at ingest.
    pub fn push_at(&mut self, fix: Fix, now: DateTime<Utc>) -> Vec<Fix> {
        let fix = self.redate(fix);
        match self.check(&fix, now) {
            Ok(kept) => kept,
            Err(r) => {
                self.counts.add(r);
                vec![]
            }
        }
    }

    /// Re-dates a fix on the monotonic clock when the device clock jumped since the
    /// newest fix (the user or the network changed it), and records the jump once.
    fn redate(&mut self, fix: Fix) -> Fix {
        let mut fix = fix;
        fix.at += chrono::Duration::milliseconds(self.clock_offset_ms);
        let Some(newest) = self.standing.or(self.last) else {
            return fix;
        };
        let (Some(a), Some(b)) = (newest.elapsed_ms, fix.elapsed_ms) else {
            return fix;
        };
        let by_clock = (fix.at - newest.at).num_milliseconds();
        let by_monotonic = b - a;
        if by_monotonic > 0 && (by_clock - by_monotonic).abs() > self.config.clock_jump_ms {
            let correction = by_monotonic - by_clock;
            self.clock_offset_ms += correction;
            fix.at += chrono::Duration::milliseconds(correction);
            self.gaps
                .push(TrackEvent::gap(GapReason::ClockJump, newest.at, fix.at));
        }
        fix
    }

    fn check(&mut self, fix: &Fix, now: DateTime<Utc>) -> Result<Vec<Fix>, Rejection> {
        if !fix.is_valid() {
            return Err(Rejection::Invalid);
        }
        if (fix.at - now).num_milliseconds() > self.config.max_future_ms {
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
