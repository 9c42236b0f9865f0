//! The real recorded traces in `tests/data/traces` (see SOURCES.md there), read with the
//! CLI's trace reader (barefoot JSON, CSV, GPX, NMEA), plus the Go!Track tracks by id.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use waybill_core::Fix;

/// Folder of the traces.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/traces")
}

fn fix(at: DateTime<Utc>, lat: f64, lon: f64) -> Fix {
    Fix {
        at,
        lat,
        lon,
        accuracy_m: None,
        elapsed_ms: None,
        mock: false,
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A named trace as fixes in file order (which is not always time order: that is the point
/// of some of them), read by the CLI's trace reader.
pub fn load(name: &str) -> Vec<Fix> {
    // Local times: Shenzhen's taxi terminal writes UTC+8.
    let utc_offset_hours = if name == "traj2.csv" { 8 } else { 0 };
    waybill_cli::trace_file::parse(name, &read(name), utc_offset_hours)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The traces every pipeline test runs on (Go!Track comes per track: [`go_track`]).
pub const ALL: &[&str] = &[
    "x0001-001.json",
    "posmo_trajectory.csv",
    "around-visnjan-with-car.gpx",
    "garmin-activity.gpx",
    "bundg_zeus_9.log",
    "traj2.csv",
];

/// Go!Track tracks (Aracaju, Brazil; local time UTC−3), by track id, with at least
/// `min_points` fixes.
pub fn go_track(min_points: usize) -> Vec<(u32, Vec<Fix>)> {
    let mut tracks: std::collections::BTreeMap<u32, Vec<Fix>> = Default::default();
    for l in read("go_track_trackspoints.csv").lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let at = NaiveDateTime::parse_from_str(f[3], "%Y-%m-%d %H:%M:%S").unwrap();
        let at = Utc.from_utc_datetime(&at) + chrono::Duration::hours(3);
        tracks.entry(f[2].parse().unwrap()).or_default().push(fix(
            at,
            f[0].parse().unwrap(),
            f[1].parse().unwrap(),
        ));
    }
    tracks
        .into_iter()
        .filter(|(_, t)| t.len() >= min_points)
        .collect()
}

pub use waybill_cli::replay::decoded_deviation;
