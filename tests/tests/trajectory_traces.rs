//! The trajectory pipeline on real recorded traces (tests/data/traces/SOURCES.md): the
//! filter removes the outliers they are known to contain, the simplified and encoded
//! track decodes within its bound of every filtered fix, and the encoding is compact.

use waybill_core::Fix;
use waybill_core::track::filter::{FilterConfig, FixFilter};
use waybill_core::track::{DEFAULT_EPSILON_M, encode_batch};
use waybill_e2e::traces;
use waybill_protocol::trajectory;

fn filtered(fixes: &[Fix]) -> (Vec<Fix>, FixFilter) {
    let mut filter = FixFilter::new(FilterConfig::default());
    let kept = fixes.iter().flat_map(|f| filter.push(*f)).collect();
    (kept, filter)
}

#[test]
fn every_trace_decodes_within_the_bound_of_every_filtered_fix() {
    for name in traces::ALL {
        let raw = traces::load(name);
        let (kept, filter) = filtered(&raw);
        assert!(!kept.is_empty(), "{name}");
        assert!(
            kept.windows(2).all(|w| w[0].at < w[1].at),
            "{name}: the filter yields strictly increasing times"
        );
        let (bytes, points) = encode_batch(&kept, &[], DEFAULT_EPSILON_M);
        let decoded = trajectory::decode(&bytes).unwrap();
        assert_eq!(decoded.len(), points);
        let deviation = traces::decoded_deviation(&kept, &decoded);
        assert!(
            deviation <= DEFAULT_EPSILON_M,
            "{name}: {deviation:.2} m > {DEFAULT_EPSILON_M} m"
        );
        println!(
            "{name}: {} fixes, {} rejected {:?}, {} kept, {} sent, {} bytes = {:.3} B/fix, max deviation {:.2} m",
            raw.len(),
            filter.counts().total(),
            filter.counts(),
            kept.len(),
            points,
            bytes.len(),
            bytes.len() as f64 / raw.len() as f64,
            deviation
        );
    }
}

#[test]
fn the_munich_outlier_and_standing_repeats_are_filtered() {
    // SOURCES.md: one jump of ~470 m/s implied speed, 305 repeated positions. The data
    // shows what it is: the position froze while the car stood (or crept), then jumped 470 m
    // and the drive went on from there. The filter drops the jump, follows the new position
    // once consistent fixes confirm it, and records the stretch as an explained gap.
    let raw = traces::load("x0001-001.json");
    let (kept, filter) = filtered(&raw);
    let counts = filter.counts();
    assert!(counts.speed_outlier >= 1, "{counts:?}");
    assert!(counts.stationary >= 300, "{counts:?}");
    let mut filter = filter;
    let gaps = filter.take_gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = gaps[0];
    let max_speed = kept
        .windows(2)
        .filter(|w| !(w[0].at >= gap.from && w[1].at <= gap.to))
        .map(|w| {
            waybill_core::track::geo::distance_m(w[0].lat, w[0].lon, w[1].lat, w[1].lon)
                / (w[1].at - w[0].at).num_milliseconds() as f64
                * 1000.0
        })
        .fold(0.0, f64::max);
    assert!(max_speed < 70.0, "{max_speed} m/s left");
}

#[test]
fn the_noisy_phone_trace_loses_its_backward_times_and_jumps() {
    // SOURCES.md: 5 timestamps going backwards, ~110 segments above 50 m/s.
    let raw = traces::load("posmo_trajectory.csv");
    let (kept, filter) = filtered(&raw);
    let counts = filter.counts();
    assert!(counts.backwards >= 1, "{counts:?}");
    assert!(counts.speed_outlier >= 10, "{counts:?}");
    assert!(kept.len() > raw.len() / 2, "most of the trace survives");
}

#[test]
fn go_track_cars_and_buses_stay_within_the_bound() {
    let tracks = traces::go_track(50);
    assert!(tracks.len() > 50);
    for (id, raw) in tracks {
        let (kept, _) = filtered(&raw);
        let (bytes, _) = encode_batch(&kept, &[], DEFAULT_EPSILON_M);
        let decoded = trajectory::decode(&bytes).unwrap();
        let deviation = traces::decoded_deviation(&kept, &decoded);
        assert!(
            deviation <= DEFAULT_EPSILON_M,
            "track {id}: {deviation:.2} m"
        );
    }
}
