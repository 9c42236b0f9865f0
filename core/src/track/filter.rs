//! Validation and filtering of raw fixes, before anything is stored: invalid values,
//! poor accuracy, mock locations, time going backwards or jumping, duplicates, implied
//! speed outliers, and jitter while standing still. Every rejection is counted by reason.
//! A stop keeps its timing: the last fix of a stationary run is kept when movement
//! resumes, so a time-aware simplifier still knows how long the vehicle stood.

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
}

impl Default for FilterConfig {
    fn default() -> Self {
        FilterConfig {
            max_accuracy_m: 50.0,
            max_speed_mps: 70.0,
            stationary_radius_m: 3.0,
            reject_mock: true,
            outliers_to_recover: 3,
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
            + self.stationary
    }
}

/// A stretch without trustworthy positions, and why: told to the server and the UI so
/// "no data because…" is never mistaken for "stood still".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Last good fix before it.
    pub from: chrono::DateTime<chrono::Utc>,
    /// First good fix after it.
    pub to: chrono::DateTime<chrono::Utc>,
    /// Why.
    pub reason: GapReason,
}

/// Why a gap happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapReason {
    /// The position jumped further than the vehicle can travel (a frozen or wrong fix
    /// before, e.g. in a tunnel or a car park); the track resumes at the new position.
    PositionJump,
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
    gaps: Vec<Gap>,
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
        }
    }

    /// Whether the latest fixes say the vehicle stands still.
    pub fn is_standing(&self) -> bool {
        self.standing.is_some()
    }

    /// Gaps found so far, oldest first.
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    /// Rejections so far.
    pub fn counts(&self) -> RejectionCounts {
        self.counts
    }

    /// Feeds one fix; returns the fixes to keep (none, this one, or the end of a stop
    /// followed by this one).
    pub fn push(&mut self, fix: Fix) -> Vec<Fix> {
        match self.check(&fix) {
            Ok(kept) => kept,
            Err(r) => {
                self.counts.add(r);
                vec![]
            }
        }
    }

    fn check(&mut self, fix: &Fix) -> Result<Vec<Fix>, Rejection> {
        if !fix.is_valid() {
            return Err(Rejection::Invalid);
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
            self.gaps.push(Gap {
                from,
                to: fix.at,
                reason: GapReason::PositionJump,
            });
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
