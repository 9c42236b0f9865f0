//! Following the courier of an errand (the shipper's app): positions between pickup and
//! delivery, pulled from the server a page after the last one, kept in memory only — the
//! courier's route is the driver's personal data, so the shipper's device never writes it
//! to disk, and it is dropped as soon as the errand is delivered or cancelled.

use std::collections::HashMap;
use std::sync::Mutex;

use waybill_protocol::{CourierState, CourierView, TrackPoint};

/// Where the courier of one errand is, as the shipper sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CourierTrack {
    /// Where the errand stands.
    pub state: CourierState,
    /// The route since pickup, oldest first (empty unless in transit).
    pub route: Vec<TrackPoint>,
    /// The latest position (in transit only).
    pub latest: Option<TrackPoint>,
    /// Metres covered since pickup.
    pub covered_m: f64,
    /// Metres left in a straight line to the drop-off, when known.
    pub left_m: Option<f64>,
}

/// The routes being followed, in memory.
#[derive(Debug, Default)]
pub(crate) struct Followed(Mutex<HashMap<String, Vec<TrackPoint>>>);

impl Followed {
    /// The cursor for `order_id`: the last position held.
    pub(crate) fn after(&self, order_id: &str) -> i64 {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(order_id)
            .and_then(|route| route.last())
            .map_or(0, |p| p.t_ms)
    }

    /// Adds a page and returns the whole track; a finished errand's route is forgotten.
    pub(crate) fn merge(&self, order_id: &str, view: CourierView) -> CourierTrack {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if view.state != CourierState::InTransit {
            all.remove(order_id);
            return CourierTrack {
                state: view.state,
                route: vec![],
                latest: None,
                covered_m: 0.0,
                left_m: None,
            };
        }
        let route = all.entry(order_id.to_string()).or_default();
        let last = route.last().map_or(i64::MIN, |p| p.t_ms);
        // A lying or repeating server cannot make the route go backwards or grow twice.
        route.extend(view.points.into_iter().filter(|p| p.t_ms > last));
        CourierTrack {
            state: view.state,
            route: route.clone(),
            latest: view.latest,
            covered_m: view.covered_m,
            left_m: view.left_m,
        }
    }

    /// Forgets every route (sign-out, wipe).
    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: CourierState, ts: &[i64]) -> CourierView {
        let points: Vec<TrackPoint> = ts
            .iter()
            .map(|&t_ms| TrackPoint {
                t_ms,
                lat: 31.2,
                lon: 121.4,
            })
            .collect();
        CourierView {
            state,
            latest: points.last().copied(),
            points,
            covered_m: 10.0,
            left_m: Some(5.0),
            next_after: 0,
        }
    }

    #[test]
    fn a_repeating_or_backwards_server_cannot_rewrite_the_route_and_delivery_forgets_it() {
        let followed = Followed::default();
        followed.merge("e", view(CourierState::InTransit, &[1, 2, 3]));
        assert_eq!(followed.after("e"), 3);
        // A page that repeats and goes back in time adds only what is newer.
        let track = followed.merge("e", view(CourierState::InTransit, &[2, 3, 1, 4]));
        let times: Vec<i64> = track.route.iter().map(|p| p.t_ms).collect();
        assert_eq!(times, [1, 2, 3, 4]);
        let done = followed.merge("e", view(CourierState::Delivered, &[5]));
        assert!(done.route.is_empty() && done.latest.is_none());
        assert_eq!(followed.after("e"), 0, "the route is forgotten");
    }
}
