//! One leg being tracked (an order from pickup to sign-off): the fix filter plus what is
//! read between kept fixes — stops (dwell), stretches without fixes, interruptions the
//! app knows the cause of, and arrival at a stop's geofence.

use chrono::{DateTime, Duration, Utc};

use super::events::{GapReason, TrackEvent, TrackEventKind};
use super::filter::{Clock, FilterConfig, FixFilter, RejectionCounts};
use super::{Fix, geo};

/// Thresholds of what is read between fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegConfig {
    /// Standing within [`LegConfig::dwell_radius_m`] at least this long is a stop.
    pub dwell_min: Duration,
    /// How far a vehicle may drift (GPS noise) and still be standing, metres.
    pub dwell_radius_m: f64,
    /// No kept fix for this long while the vehicle moved is a gap (signal lost).
    pub signal_lost_after: Duration,
    /// Radius of a stop's geofence, metres (plus the fix's accuracy).
    pub arrival_radius_m: f64,
}

impl Default for LegConfig {
    fn default() -> Self {
        LegConfig {
            dwell_min: Duration::minutes(2),
            dwell_radius_m: 30.0,
            signal_lost_after: Duration::seconds(60),
            arrival_radius_m: 100.0,
        }
    }
}

/// A place the leg may arrive at: index in the order's route and its coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geofence {
    /// Index of the stop in the order's route.
    pub stop: u32,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The state of one leg.
#[derive(Debug, Clone)]
pub struct Leg {
    config: LegConfig,
    filter: FixFilter,
    geofences: Vec<Geofence>,
    /// The last fix kept.
    last: Option<Fix>,
    /// An interruption whose cause is known, waiting for the next kept fix to end it.
    interrupted: Option<(DateTime<Utc>, GapReason)>,
    events: Vec<TrackEvent>,
}

impl Leg {
    /// A leg heading for `geofences` (stops not yet arrived at).
    pub fn new(config: LegConfig, filter: FilterConfig, geofences: Vec<Geofence>) -> Leg {
        Leg {
            config,
            filter: FixFilter::new(filter),
            geofences,
            last: None,
            interrupted: None,
            events: vec![],
        }
    }

    /// Tracking stopped for `reason` (the app restarted, the permission was turned off,
    /// the provider switched off) after the last kept fix, or at `at` if there is none;
    /// the next kept fix closes the gap. The first cause reported wins.
    pub fn interrupt(&mut self, at: DateTime<Utc>, reason: GapReason) {
        // From the last kept fix (the fixes' own clock, which is what the gap is compared
        // with); `at` only when the leg has none yet.
        let at = self.last.map_or(at, |l| l.at);
        self.interrupted.get_or_insert((at, reason));
    }

    /// Feeds one fix received at `clock`; returns the fixes to keep.
    pub fn push(&mut self, fix: Fix, clock: impl Into<Clock>) -> Vec<Fix> {
        let kept = self.filter.push_at(fix, clock);
        let jumps = self.filter.take_gaps();
        let jumped_to: Vec<DateTime<Utc>> = jumps.iter().map(|g| g.to).collect();
        self.events.extend(jumps);
        for k in &kept {
            self.between(k, jumped_to.contains(&k.at));
            self.arrival(k);
            self.last = Some(*k);
        }
        kept
    }

    /// Reads the stretch from the last kept fix to `k`.
    fn between(&mut self, k: &Fix, explained: bool) {
        if let Some((from, reason)) = self.interrupted.take() {
            if k.at > from {
                self.events.push(TrackEvent::gap(reason, from, k.at));
            }
            return;
        }
        let Some(p) = self.last else { return };
        let dt = k.at - p.at;
        let moved = geo::distance_m(p.lat, p.lon, k.lat, k.lon);
        if dt >= self.config.dwell_min && moved <= self.config.dwell_radius_m {
            self.events.push(TrackEvent {
                kind: TrackEventKind::Stop {
                    lat: p.lat,
                    lon: p.lon,
                },
                from: p.at,
                to: k.at,
            });
        } else if dt >= self.config.signal_lost_after
            && moved > self.config.dwell_radius_m
            && !explained
        {
            self.events
                .push(TrackEvent::gap(GapReason::SignalLost, p.at, k.at));
        }
    }

    fn arrival(&mut self, k: &Fix) {
        let radius = self.config.arrival_radius_m + k.accuracy_m.unwrap_or(0.0);
        let inside = self
            .geofences
            .iter()
            .position(|g| geo::distance_m(g.lat, g.lon, k.lat, k.lon) <= radius);
        if let Some(i) = inside {
            let g = self.geofences.remove(i);
            self.events.push(TrackEvent {
                kind: TrackEventKind::Arrival {
                    stop: g.stop,
                    lat: k.lat,
                    lon: k.lon,
                },
                from: k.at,
                to: k.at,
            });
        }
    }

    /// Events found since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<TrackEvent> {
        std::mem::take(&mut self.events)
    }

    /// Rejections so far.
    pub fn counts(&self) -> RejectionCounts {
        self.filter.counts()
    }

    /// Whether the latest fixes say the vehicle stands still.
    pub fn is_standing(&self) -> bool {
        self.filter.is_standing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: i64, lat: f64, lon: f64) -> Fix {
        Fix {
            at: DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap(),
            lat,
            lon,
            accuracy_m: Some(5.0),
            elapsed_ms: Some(s * 1000),
            mock: false,
        }
    }

    fn leg() -> Leg {
        Leg::new(
            LegConfig::default(),
            FilterConfig::default(),
            vec![Geofence {
                stop: 1,
                lat: 48.2,
                lon: 11.0,
            }],
        )
    }

    fn kinds(events: &[TrackEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e.kind {
                TrackEventKind::Gap(r) => r.as_str().to_string(),
                TrackEventKind::Stop { .. } => "stop".into(),
                TrackEventKind::Arrival { stop, .. } => format!("arrival {stop}"),
            })
            .collect()
    }

    #[test]
    fn a_long_stand_is_a_stop_and_a_silent_drive_is_a_gap() {
        let now = Utc::now();
        let mut leg = leg();
        // Driving north at 10 m/s (1e-4° ≈ 11 m per second).
        for s in 0..10 {
            leg.push(fix(s, 48.0 + s as f64 * 1e-4, 11.0), now);
        }
        // Standing for 5 minutes, fixes every 10 s.
        for s in (10..310).step_by(10) {
            leg.push(fix(s, 48.0009, 11.0), now);
        }
        // Moving again, then 3 minutes without a fix while driving 1.8 km.
        leg.push(fix(311, 48.0010, 11.0), now);
        leg.push(fix(312, 48.0011, 11.0), now);
        leg.push(fix(492, 48.0173, 11.0), now);
        assert_eq!(kinds(&leg.take_events()), ["stop", "signal_lost"]);
    }

    #[test]
    fn entering_a_geofence_is_an_arrival_once_and_interruptions_keep_their_cause() {
        let now = Utc::now();
        let mut leg = leg();
        leg.push(fix(0, 48.1990, 11.0), now);
        leg.push(fix(5, 48.1995, 11.0), now); // 55 m from the stop
        leg.push(fix(10, 48.1996, 11.0), now);
        leg.interrupt(
            DateTime::from_timestamp(1_700_000_011, 0).unwrap(),
            GapReason::PermissionRevoked,
        );
        leg.push(fix(600, 48.2100, 11.0), now);
        let events = leg.take_events();
        assert_eq!(kinds(&events), ["arrival 1", "permission_revoked"]);
        assert_eq!(events[1].to, fix(600, 0.0, 0.0).at);
    }

    #[test]
    fn fixes_from_the_future_are_refused_and_clock_jumps_redated() {
        let now = DateTime::from_timestamp(1_700_000_100, 0).unwrap();
        let mut leg = leg();
        assert_eq!(leg.push(fix(0, 48.0, 11.0), now).len(), 1);
        // An hour ahead of the device clock.
        assert!(leg.push(fix(3_600, 48.001, 11.0), now).is_empty());
        assert_eq!(leg.counts().from_future, 1);
        // The device clock jumps back 50 s between two fixes 10 s apart (monotonic).
        let mut jumped = fix(10, 48.001, 11.0);
        jumped.at -= Duration::seconds(60);
        let kept = leg.push(jumped, now);
        assert_eq!(
            kept[0].at,
            fix(10, 0.0, 0.0).at,
            "re-dated on the monotonic clock"
        );
        let mut next = fix(20, 48.002, 11.0);
        next.at -= Duration::seconds(60);
        assert_eq!(
            leg.push(next, now)[0].at,
            fix(20, 0.0, 0.0).at,
            "the offset holds"
        );
        assert_eq!(kinds(&leg.take_events()), ["clock_jump"]);
    }

    /// 1024 GPS weeks: how early a receiver with the week-rollover bug dates its fixes.
    const ROLLOVER: i64 = 1024 * 7 * 86_400;

    fn real(s: i64) -> DateTime<Utc> {
        fix(s, 0.0, 0.0).at
    }

    /// The clock at real second `s`: the device clock `device_off` seconds off, and the
    /// server's offset if the core has heard from it.
    fn clock(s: i64, device_off: i64, server: bool) -> Clock {
        Clock {
            device: real(s) + Duration::seconds(device_off),
            server_offset_ms: server.then_some(-device_off * 1000),
        }
    }

    /// Drives a minute north at 10 m/s; each fix's own time is `real + fix_off` seconds.
    fn drive(
        leg: &mut Leg,
        fix_off: impl Fn(i64) -> i64,
        device_off: i64,
        server: bool,
    ) -> Vec<Fix> {
        (0..60)
            .flat_map(|s| {
                let mut f = fix(s, 48.0 + s as f64 * 1e-4, 11.0);
                f.at += Duration::seconds(fix_off(s));
                leg.push(f, clock(s, device_off, server))
            })
            .collect()
    }

    fn real_times(kept: &[Fix]) -> bool {
        kept.len() >= 50
            && kept.iter().all(|k| {
                let s = (k.lat - 48.0) / 1e-4;
                (k.at - real(s.round() as i64)).num_milliseconds().abs() <= 1_000
            })
    }

    #[test]
    fn a_gps_week_rollover_never_dates_a_leg_19_years_early() {
        for server in [false, true] {
            // Every fix 1024 weeks early; the device clock is right.
            let kept = drive(&mut leg(), |_| -ROLLOVER, 0, server);
            assert!(
                real_times(&kept),
                "all early, server {server}: {:?}",
                kept.first()
            );
            // Only the first fix early: it must not poison the good ones after it.
            let mut l = leg();
            let kept = drive(&mut l, |s| if s == 0 { -ROLLOVER } else { 0 }, 0, server);
            assert!(real_times(&kept), "first early, server {server}");
            assert!(
                kinds(&l.take_events()).is_empty(),
                "good fixes are not a clock jump"
            );
        }
    }

    #[test]
    fn a_device_clock_reset_to_1970_or_set_years_ahead_keeps_good_fix_times() {
        let to_1970 = -(real(0).timestamp() - 3_600);
        for (device_off, server) in [
            (to_1970, false),
            (to_1970, true),
            (20 * 365 * 86_400, false),
            (20 * 365 * 86_400, true),
        ] {
            // GPS times are right; the device clock is not.
            let kept = drive(&mut leg(), |_| 0, device_off, server);
            assert!(
                real_times(&kept),
                "device off {device_off} s, server {server}"
            );
        }
    }

    #[test]
    fn fixes_dated_by_a_wrong_device_clock_are_placed_on_the_servers_time() {
        for device_off in [
            -(real(0).timestamp() - 3_600),
            20 * 365 * 86_400,
            -7 * 3_600,
        ] {
            // The fixes carry the device clock's time; the server's offset is known.
            let kept = drive(&mut leg(), |_| device_off, device_off, true);
            assert!(real_times(&kept), "device off {device_off} s");
        }
        // 1970 on both and no server: nothing can be placed, nothing is kept.
        let to_1970 = -(real(0).timestamp() - 3_600);
        let mut l = leg();
        assert!(drive(&mut l, |_| to_1970, to_1970, false).is_empty());
        assert!(l.counts().backwards >= 60);
    }

    #[test]
    fn a_clock_that_jumps_back_and_forth_while_tracking_is_one_clean_track() {
        let mut l = leg();
        // The device clock (and fix times with it) jumps -2 h at 20 s and +1 day at 40 s.
        let off = |s: i64| match s {
            0..20 => 0,
            20..40 => -7_200,
            _ => 86_400,
        };
        let kept = drive(&mut l, off, 0, false);
        assert!(real_times(&kept));
        assert!(
            kept.windows(2).all(|w| w[0].at < w[1].at),
            "times only move forward"
        );
        assert_eq!(kinds(&l.take_events()), ["clock_jump", "clock_jump"]);
    }

    #[test]
    fn a_fix_without_monotonic_time_keeps_a_plausible_time_and_is_refused_otherwise() {
        let mut l = leg();
        let now = real(100);
        let mut ok = fix(90, 48.0, 11.0);
        ok.elapsed_ms = None;
        assert_eq!(l.push(ok, now).len(), 1);
        for at in [real(90 - ROLLOVER), DateTime::from_timestamp(0, 0).unwrap()] {
            let mut bad = fix(95, 48.001, 11.0);
            bad.elapsed_ms = None;
            bad.at = at;
            assert!(l.push(bad, now).is_empty(), "{at}");
        }
        assert_eq!(l.counts().backwards, 2);
    }
}
