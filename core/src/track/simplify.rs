//! Time-aware simplification with a guaranteed bound: Douglas-Peucker on the synchronized
//! Euclidean distance (SED), the distance between a fix and where the simplified track
//! says the vehicle was *at that fix's time*. Plain geometric simplification would keep a
//! straight road and forget a ten-minute stop on it; SED keeps both. Points marked `keep`
//! (order events, stop ends) always stay.

use super::geo::Local;

/// A point to simplify: time in milliseconds, WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedPoint {
    /// Milliseconds since the epoch.
    pub t_ms: i64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Must stay (an order event, the end of a stop).
    pub keep: bool,
}

/// Indices of the points kept so that every dropped point lies within `epsilon_m`
/// (SED) of the kept track. First and last always stay.
pub fn simplify(points: &[TimedPoint], epsilon_m: f64) -> Vec<usize> {
    let n = points.len();
    if n <= 2 {
        return (0..n).collect();
    }
    let local = Local::new(points[0].lat, points[0].lon);
    let xy: Vec<(f64, f64)> = points.iter().map(|p| local.project(p.lat, p.lon)).collect();
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    // Forced points split the track into independent spans.
    let mut anchors: Vec<usize> = (0..n)
        .filter(|&i| i == 0 || i == n - 1 || points[i].keep)
        .collect();
    anchors.dedup();
    let mut stack: Vec<(usize, usize)> = anchors.windows(2).map(|w| (w[0], w[1])).collect();
    for &a in &anchors {
        keep[a] = true;
    }
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut worst, mut worst_d) = (0, -1.0);
        for i in a + 1..b {
            let d = sed(points, &xy, a, b, i);
            if d > worst_d {
                worst = i;
                worst_d = d;
            }
        }
        if worst_d > epsilon_m {
            keep[worst] = true;
            stack.push((a, worst));
            stack.push((worst, b));
        }
    }
    (0..n).filter(|&i| keep[i]).collect()
}

/// SED of point `i` against the segment from `a` to `b`.
fn sed(points: &[TimedPoint], xy: &[(f64, f64)], a: usize, b: usize, i: usize) -> f64 {
    let span = (points[b].t_ms - points[a].t_ms) as f64;
    let f = if span > 0.0 {
        (points[i].t_ms - points[a].t_ms) as f64 / span
    } else {
        0.0
    };
    let x = xy[a].0 + (xy[b].0 - xy[a].0) * f;
    let y = xy[a].1 + (xy[b].1 - xy[a].1) * f;
    ((xy[i].0 - x).powi(2) + (xy[i].1 - y).powi(2)).sqrt()
}

/// The largest SED of any original point from the track made of `kept` (indices into
/// `points`, ascending): the check that the bound holds.
pub fn max_deviation_m(points: &[TimedPoint], kept: &[usize]) -> f64 {
    if points.len() < 3 || kept.len() < 2 {
        return 0.0;
    }
    let local = Local::new(points[0].lat, points[0].lon);
    let xy: Vec<(f64, f64)> = points.iter().map(|p| local.project(p.lat, p.lon)).collect();
    kept.windows(2)
        .flat_map(|w| (w[0] + 1..w[1]).map(move |i| (w[0], w[1], i)))
        .map(|(a, b, i)| sed(points, &xy, a, b, i))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t_s: i64, lat: f64, lon: f64) -> TimedPoint {
        TimedPoint {
            t_ms: t_s * 1000,
            lat,
            lon,
            keep: false,
        }
    }

    #[test]
    fn a_stop_on_a_straight_road_is_kept_because_time_matters() {
        // Drive north, stand still 5 minutes, drive on: geometrically one line.
        let mut pts = vec![];
        for s in 0..60 {
            pts.push(p(s, 31.0 + s as f64 * 1e-4, 121.0));
        }
        for s in 60..360 {
            pts.push(p(s, 31.0 + 59.0 * 1e-4, 121.0));
        }
        for s in 360..420 {
            pts.push(p(s, 31.0 + (s - 301) as f64 * 1e-4, 121.0));
        }
        let kept = simplify(&pts, 5.0);
        assert!(kept.len() >= 4 && kept.len() <= 8, "{kept:?}");
        assert!(max_deviation_m(&pts, &kept) <= 5.0);
        let geometric_only = [0, pts.len() - 1];
        assert!(
            max_deviation_m(&pts, &geometric_only) > 100.0,
            "a line forgets the stop"
        );
    }

    #[test]
    fn forced_points_stay() {
        let mut pts: Vec<_> = (0..100)
            .map(|s| p(s, 31.0 + s as f64 * 1e-4, 121.0))
            .collect();
        pts[42].keep = true;
        let kept = simplify(&pts, 5.0);
        assert!(kept.contains(&42));
        assert_eq!(kept.len(), 3);
    }
}
