//! The trajectory engine's handle: one leg per order being tracked (filter, stops, gaps,
//! arrivals, in memory), the fixes kept and not yet written, and the group commit that
//! writes them. An arrival it detects is handed back to the caller: turning it into an
//! order action is the client's business, not the tracker's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::events::{self as track_events, GapReason, TrackEvent, TrackEventKind};
use super::filter::{Clock, FilterConfig, RejectionCounts};
use super::leg::{Geofence, Leg, LegConfig};
use super::{Fix, distance_m, fixes, last_fix, last_fix_at};
use crate::error::{Error, Result};
use crate::orders::engine::Orders;
use crate::privacy::gate::Gate;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;

/// Group commit: fixes are written together once this many wait...
pub const GROUP_COMMIT_FIXES: usize = 64;
/// ...or this long after the previous commit (a minute of driving costs six fsyncs).
pub const GROUP_COMMIT_INTERVAL: Duration = Duration::from_secs(10);

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

/// The leg of `order_id` entered the geofence of stop `stop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arrival {
    pub(crate) order_id: String,
    pub(crate) stop: u32,
}

/// What a group commit wrote.
#[derive(Debug, Default)]
pub(crate) struct Flushed {
    /// Fixes written.
    pub(crate) fixes: u32,
    /// Arrivals among the events written.
    pub(crate) arrivals: Vec<Arrival>,
}

/// Fixes kept by the filter and events found, not yet written, and when the last commit
/// was.
struct Pending {
    fixes: Vec<(String, Fix)>,
    events: Vec<(String, TrackEvent)>,
    since: Instant,
}

/// The trajectory engine.
pub(crate) struct Tracker {
    pub(super) services: Arc<Services>,
    pub(super) gate: Arc<Gate>,
    pub(super) orders: Arc<Orders>,
    /// After a restart a leg starts afresh and its first fix closes an `AppRestarted` gap.
    legs: Mutex<HashMap<String, Leg>>,
    pending: Mutex<Pending>,
    /// The order the gate and the job check last passed for, at which change generation:
    /// a fix a second then costs no database read. Any change (a withdrawal, a
    /// permission, an order update) moves the generation and the next fix checks again.
    checked: Mutex<Option<(u64, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Tracker {
    /// The engine; it reads orders (in transit? where are the drop-offs?) from `orders`.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>, orders: Arc<Orders>) -> Tracker {
        Tracker {
            services,
            gate,
            orders,
            legs: Mutex::default(),
            pending: Mutex::new(Pending {
                fixes: vec![],
                events: vec![],
                since: Instant::now(),
            }),
            checked: Mutex::default(),
        }
    }

    /// Passes `fixes` of `order_id` through its leg's filter and keeps the survivors for
    /// the next group commit, which runs here when due. Needs the trajectory's consent and
    /// the order in transit. Returns how many were kept, and what a commit wrote.
    pub(crate) fn record(&self, order_id: &str, fixes: &[Fix]) -> Result<(u32, Flushed)> {
        let generation = self.services.listeners.generation();
        let checked = lock(&self.checked)
            .as_ref()
            .is_some_and(|(g, o)| *g == generation && o == order_id);
        if !checked {
            self.gate.check(Purpose::Trajectory)?;
            if !self.orders.get(order_id).is_ok_and(|o| o.in_transit()) {
                return Err(Error::NotInJob {
                    order_id: order_id.to_string(),
                });
            }
            *lock(&self.checked) = Some((generation, order_id.to_string()));
        }
        let now = Utc::now();
        let (kept, events) = {
            let mut legs = lock(&self.legs);
            if !legs.contains_key(order_id) {
                let leg = self.start_leg(order_id)?;
                legs.insert(order_id.to_string(), leg);
            }
            let leg = legs.get_mut(order_id).expect("inserted above");
            let clock = Clock {
                device: now,
                server_offset_ms: self.services.api.server_offset_ms(),
            };
            let kept: Vec<Fix> = fixes.iter().flat_map(|f| leg.push(*f, clock)).collect();
            (kept, leg.take_events())
        };
        let n = u32::try_from(kept.len()).unwrap_or(u32::MAX);
        let due = {
            let mut pending = lock(&self.pending);
            let order = || order_id.to_string();
            pending.fixes.extend(kept.into_iter().map(|f| (order(), f)));
            pending
                .events
                .extend(events.into_iter().map(|e| (order(), e)));
            pending.fixes.len() >= GROUP_COMMIT_FIXES
                || pending.since.elapsed() >= GROUP_COMMIT_INTERVAL
        };
        let flushed = if due {
            self.flush()?
        } else {
            Flushed::default()
        };
        Ok((n, flushed))
    }

    /// Writes every kept fix and event in one transaction (group commit). The gate is
    /// asked again: a consent withdrawn since the fixes were taken means they are not
    /// written at all; an order no longer in transit has its fixes dropped.
    pub(crate) fn flush(&self) -> Result<Flushed> {
        let (batch, events) = {
            let mut pending = lock(&self.pending);
            pending.since = Instant::now();
            (
                std::mem::take(&mut pending.fixes),
                std::mem::take(&mut pending.events),
            )
        };
        if batch.is_empty() && events.is_empty() {
            return Ok(Flushed::default());
        }
        let basis = self.gate.check(Purpose::Trajectory)?;
        let fix_groups = group_by_order(&batch);
        let event_groups = group_by_order(&events);
        let in_transit: HashMap<&str, bool> = fix_groups
            .iter()
            .map(|(o, _)| o.as_str())
            .chain(event_groups.iter().map(|(o, _)| o.as_str()))
            .map(|o| (o, self.orders.get(o).is_ok_and(|x| x.in_transit())))
            .collect();
        let carried = |order: &str| in_transit.get(order).copied().unwrap_or(false);
        let written = self.services.db.write(|tx| {
            let now = Utc::now();
            let mut n = 0;
            for (order_id, fixes) in fix_groups.iter().filter(|(o, _)| carried(o)) {
                n += super::record(tx, &basis, order_id, fixes, now)?;
            }
            for (order_id, order_events) in event_groups.iter().filter(|(o, _)| carried(o)) {
                track_events::record(tx, &basis, order_id, order_events, now)?;
            }
            self.gate.record(
                tx,
                DataAction::Collected,
                &basis,
                &["precise_location", "trajectory"],
                n as usize,
            )?;
            Ok::<_, Error>(n)
        })?;
        let dropped = batch.len() - written as usize;
        if dropped > 0 {
            tracing::warn!(
                fixes = dropped,
                "fixes of an order no longer in transit dropped"
            );
        }
        let arrivals = events
            .iter()
            .filter(|(order, _)| carried(order))
            .filter_map(|(order_id, e)| match e.kind {
                TrackEventKind::Arrival { stop, .. } => Some(Arrival {
                    order_id: order_id.clone(),
                    stop,
                }),
                _ => None,
            })
            .collect();
        Ok(Flushed {
            fixes: written,
            arrivals,
        })
    }

    /// A leg for `order_id` starting now: heading for the route's drop-off stops not yet
    /// reached, and, if fixes are held from before (the app was killed or restarted),
    /// opening with a gap.
    fn start_leg(&self, order_id: &str) -> Result<Leg> {
        let order = self.orders.get(order_id)?;
        let arrived: Vec<u32> = self
            .services
            .db
            .read(|c| track_events::all(c, order_id))?
            .into_iter()
            .filter_map(|e| match e.kind {
                TrackEventKind::Arrival { stop, .. } => Some(stop),
                _ => None,
            })
            .collect();
        let geofences = order
            .dropoff_points()
            .filter(|(stop, _)| !arrived.contains(stop))
            .map(|(stop, p)| Geofence {
                stop,
                lat: p.lat,
                lon: p.lon,
            })
            .collect();
        let mut leg = Leg::new(LegConfig::default(), FilterConfig::default(), geofences);
        if let Some(at) = self.services.db.read(|c| last_fix_at(c, order_id))? {
            leg.interrupt(at, GapReason::AppRestarted);
        }
        Ok(leg)
    }

    /// The next fix of each leg in progress closes a gap for `reason`.
    pub(crate) fn interrupt(&self, reason: GapReason) {
        let now = Utc::now();
        for leg in lock(&self.legs).values_mut() {
            leg.interrupt(now, reason);
        }
    }

    /// Drops the fixes and events not yet written.
    pub(crate) fn drop_pending(&self) {
        let mut pending = lock(&self.pending);
        pending.fixes.clear();
        pending.events.clear();
    }

    /// After a purge: without a live basis for the trajectory, what is in memory is
    /// dropped, never written, and each leg's next fix closes a gap saying why.
    pub(crate) fn drop_without_basis(&self) {
        if let Err(e) = self.gate.check(Purpose::Trajectory) {
            self.drop_pending();
            self.interrupt(match e {
                Error::PermissionRequired { .. } => GapReason::PermissionRevoked,
                _ => GapReason::ConsentWithdrawn,
            });
        }
    }

    /// Whether the latest fixes of `order_id`'s leg say the vehicle stands.
    pub(crate) fn is_standing(&self, order_id: &str) -> bool {
        lock(&self.legs).get(order_id).is_some_and(Leg::is_standing)
    }

    /// Rejections by reason, gaps, stops and arrivals, and the distance of a leg (written
    /// fixes only: the caller flushes first).
    pub(crate) fn diagnostics(&self, order_id: &str) -> Result<TrackingDiagnostics> {
        let rejections = lock(&self.legs)
            .get(order_id)
            .map(Leg::counts)
            .unwrap_or_default();
        self.services.db.read(|c| {
            Ok(TrackingDiagnostics {
                rejections,
                events: track_events::all(c, order_id)?,
                distance_m: distance_m(c, order_id)?,
            })
        })
    }

    /// The fixes written for `order_id`.
    pub(crate) fn fixes(&self, order_id: &str) -> Result<Vec<Fix>> {
        self.services.db.read(|c| fixes(c, order_id))
    }

    /// The last fix written for `order_id`.
    pub(crate) fn last_fix(&self, order_id: &str) -> Result<Option<Fix>> {
        self.services.db.read(|c| last_fix(c, order_id))
    }
}

/// Groups `(order, item)` pairs by order, orders in first-seen order.
fn group_by_order<T: Copy>(batch: &[(String, T)]) -> Vec<(String, Vec<T>)> {
    let mut groups: Vec<(String, Vec<T>)> = vec![];
    for (order, item) in batch {
        match groups.iter_mut().find(|(o, _)| o == order) {
            Some((_, items)) => items.push(*item),
            None => groups.push((order.clone(), vec![*item])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::manifest::Permission;
    use crate::test_support::{Driver, driver};
    use waybill_protocol::{LatLon, OrderStatus};

    const DROP: LatLon = LatLon {
        lat: 31.25,
        lon: 121.45,
    };

    /// `n` fixes one second apart, ending a second ago, driving north at 15 m/s so that the
    /// last one is `end_m` metres south of the drop-off.
    fn drive(n: usize, end_m: f64) -> Vec<Fix> {
        let start = Utc::now() - chrono::Duration::seconds(n as i64 + 1);
        (0..n)
            .map(|i| {
                let south_m = end_m + 15.0 * (n - 1 - i) as f64;
                Fix {
                    at: start + chrono::Duration::seconds(i as i64),
                    lat: DROP.lat - south_m / 111_195.0,
                    lon: DROP.lon,
                    accuracy_m: Some(5.0),
                    elapsed_ms: None,
                    mock: false,
                }
            })
            .collect()
    }

    fn tracking() -> (Driver, Tracker) {
        let d = driver();
        let location = [Permission::LocationPrecise, Permission::LocationBackground];
        d.allow("trajectory_upload", &location);
        d.server_order("o-1", OrderStatus::PickedUp, true, DROP);
        let t = Tracker::new(
            Arc::clone(&d.services),
            Arc::clone(&d.gate),
            Arc::clone(&d.orders),
        );
        (d, t)
    }

    #[test]
    fn fixes_wait_for_the_group_commit_and_are_written_together() {
        let (_d, t) = tracking();
        let fixes = drive(GROUP_COMMIT_FIXES, 5_000.0);
        let (kept, flushed) = t.record("o-1", &fixes[..GROUP_COMMIT_FIXES - 1]).unwrap();
        assert!(kept > 0);
        assert_eq!(flushed.fixes, 0, "below the threshold nothing is written");
        assert!(t.fixes("o-1").unwrap().is_empty());
        let (_, flushed) = t.record("o-1", &fixes[GROUP_COMMIT_FIXES - 1..]).unwrap();
        let written = t.fixes("o-1").unwrap();
        assert_eq!(flushed.fixes as usize, written.len());
        assert!(written.len() >= GROUP_COMMIT_FIXES - 2, "{}", written.len());
    }

    #[test]
    fn an_arrival_at_the_drop_off_is_handed_back_once() {
        let (_d, t) = tracking();
        t.record("o-1", &drive(40, 10.0)).unwrap();
        let flushed = t.flush().unwrap();
        assert_eq!(
            flushed.arrivals,
            vec![Arrival {
                order_id: "o-1".into(),
                stop: 1
            }]
        );
        assert!(t.flush().unwrap().arrivals.is_empty());
    }

    #[test]
    fn no_fix_is_kept_outside_a_job_or_after_a_withdrawal() {
        let (d, t) = tracking();
        d.server_order("o-2", OrderStatus::Accepted, true, DROP);
        assert!(matches!(
            t.record("o-2", &drive(5, 1_000.0)),
            Err(Error::NotInJob { .. })
        ));
        t.record("o-1", &drive(5, 1_000.0)).unwrap();
        let m = d.gate.manifest();
        let registry = crate::privacy::holdings::Registry::empty();
        d.services
            .db
            .write(|tx| {
                crate::privacy::decide(
                    tx,
                    &registry,
                    &m,
                    "trajectory_upload",
                    false,
                    "t",
                    Utc::now(),
                )
            })
            .unwrap();
        t.drop_without_basis();
        assert!(matches!(t.flush(), Ok(Flushed { fixes: 0, .. })));
        assert!(t.fixes("o-1").unwrap().is_empty());
    }
}
