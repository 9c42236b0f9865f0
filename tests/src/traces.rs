//! Readers for the real recorded traces in `tests/data/traces` (see SOURCES.md there):
//! barefoot JSON, CSV of several layouts, GPX and NMEA RMC sentences.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use waybill_core::Fix;

/// Folder of the traces.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/traces")
}

fn fix(at: DateTime<Utc>, lat: f64, lon: f64, accuracy_m: Option<f64>) -> Fix {
    Fix {
        at,
        lat,
        lon,
        accuracy_m,
        elapsed_ms: None,
        mock: false,
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A named trace as fixes in file order (which is not always time order: that is the point
/// of some of them).
pub fn load(name: &str) -> Vec<Fix> {
    match name {
        "x0001-001.json" => munich(),
        "posmo_trajectory.csv" => posmo(),
        "traj2.csv" => shenzhen(),
        "bundg_zeus_9.log" => nmea(name),
        n if n.ends_with(".gpx") => gpx_file(n),
        other => panic!("no reader for {other}"),
    }
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

fn munich() -> Vec<Fix> {
    let rows: Vec<serde_json::Value> = serde_json::from_str(&read("x0001-001.json")).unwrap();
    rows.iter()
        .map(|r| {
            let wkt = r["point"].as_str().unwrap();
            let inner = wkt.trim_start_matches("POINT(").trim_end_matches(')');
            let (lon, lat) = inner.split_once(' ').unwrap();
            let at = DateTime::parse_from_str(r["time"].as_str().unwrap(), "%Y-%m-%d %H:%M:%S%z")
                .unwrap()
                .with_timezone(&Utc);
            fix(at, lat.parse().unwrap(), lon.parse().unwrap(), None)
        })
        .collect()
}

fn posmo() -> Vec<Fix> {
    read("posmo_trajectory.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            let at = NaiveDateTime::parse_from_str(f[4], "%Y-%m-%d %H:%M:%S%.f").unwrap();
            let accuracy: f64 = f[3].parse().unwrap();
            fix(
                Utc.from_utc_datetime(&at),
                f[2].parse().unwrap(),
                f[1].parse().unwrap(),
                (accuracy > 0.0).then_some(accuracy),
            )
        })
        .collect()
}

fn shenzhen() -> Vec<Fix> {
    read("traj2.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let at = NaiveDateTime::parse_from_str(f[3], "%Y-%m-%d %H:%M:%S").unwrap();
            // Local time in Shenzhen (UTC+8).
            let at = Utc.from_utc_datetime(&at) - chrono::Duration::hours(8);
            fix(at, f[2].parse().unwrap(), f[1].parse().unwrap(), None)
        })
        .collect()
}

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
            None,
        ));
    }
    tracks
        .into_iter()
        .filter(|(_, t)| t.len() >= min_points)
        .collect()
}

fn gpx_file(name: &str) -> Vec<Fix> {
    let doc = gpx::read(std::io::BufReader::new(
        std::fs::File::open(dir().join(name)).unwrap(),
    ))
    .unwrap();
    doc.tracks
        .iter()
        .flat_map(|t| &t.segments)
        .flat_map(|s| &s.points)
        .filter_map(|p| {
            let time = p.time?;
            let ts: String = time.format().ok()?;
            let at = DateTime::parse_from_rfc3339(&ts).ok()?.with_timezone(&Utc);
            let point = p.point();
            Some(fix(at, point.y(), point.x(), None))
        })
        .collect()
}

/// RMC sentences: time, status A, latitude ddmm.mmmm, N/S, longitude dddmm.mmmm, E/W, ...,
/// date ddmmyy.
fn nmea(name: &str) -> Vec<Fix> {
    read(name)
        .lines()
        .filter(|l| l.starts_with('$') && l.get(3..6) == Some("RMC"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('*').next()?.split(',').collect();
            if f.get(2) != Some(&"A") {
                return None;
            }
            let degrees = |v: &str, deg_len: usize, hemi: &str| -> Option<f64> {
                let d: f64 = v.get(..deg_len)?.parse().ok()?;
                let m: f64 = v.get(deg_len..)?.parse().ok()?;
                let x = d + m / 60.0;
                Some(if hemi == "S" || hemi == "W" { -x } else { x })
            };
            let lat = degrees(f[3], 2, f[4])?;
            let lon = degrees(f[5], 3, f[6])?;
            let at =
                NaiveDateTime::parse_from_str(&format!("{} {}", f[9], &f[1][..6]), "%d%m%y %H%M%S")
                    .ok()?;
            Some(fix(Utc.from_utc_datetime(&at), lat, lon, None))
        })
        .collect()
}

/// The largest synchronized Euclidean distance of any `kept` fix from the track made of
/// `decoded` (a decoded batch, rounded coordinates): what the server holds, measured
/// against what the filter kept.
pub fn decoded_deviation(kept: &[Fix], decoded: &[waybill_protocol::trajectory::Point]) -> f64 {
    use waybill_core::track::simplify::{TimedPoint, max_deviation_m};
    let mut all: Vec<TimedPoint> = kept
        .iter()
        .map(|f| TimedPoint {
            t_ms: f.at.timestamp_millis(),
            lat: f.lat,
            lon: f.lon,
            keep: false,
        })
        .collect();
    let (mut indices, mut j) = (vec![], 0);
    for (i, p) in all.iter_mut().enumerate() {
        if j < decoded.len() && decoded[j].t_ms == p.t_ms {
            p.lat = decoded[j].lat;
            p.lon = decoded[j].lon;
            indices.push(i);
            j += 1;
        }
    }
    assert_eq!(j, decoded.len(), "every decoded point is a kept fix");
    max_deviation_m(&all, &indices)
}
