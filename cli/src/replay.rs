//! `waybill replay TRACE`: a recorded trace through the core's trajectory pipeline — the
//! leg (filter, stops, gaps), the bounded-error simplification and the v2 codec — with
//! the figures an integrator asks for: what was rejected and why, how many points and
//! bytes reach the server, and how far the decoded track strays from the kept fixes.

use chrono::Utc;
use waybill_core::Fix;
use waybill_core::track::events::TrackEvent;
use waybill_core::track::filter::FilterConfig;
use waybill_core::track::leg::{Leg, LegConfig};
use waybill_core::track::simplify::{TimedPoint, max_deviation_m};
use waybill_core::track::{DEFAULT_EPSILON_M, encode_batch};
use waybill_protocol::trajectory::{self, Point};

/// What a replay measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReplayFigures {
    /// Fixes read from the file.
    pub fixes: usize,
    /// Fixes the filter kept.
    pub kept: usize,
    /// Rejections by reason.
    pub rejected: String,
    /// Stops and gaps the leg noticed.
    pub events: Vec<String>,
    /// Points after simplification.
    pub points: usize,
    /// Encoded body, bytes (one batch).
    pub bytes: usize,
    /// Bytes per fix read.
    pub bytes_per_fix: f64,
    /// The same kept fixes as a JSON array of {t, lat, lon} objects, bytes.
    pub json_bytes: usize,
    /// Largest distance of a kept fix from the decoded track, metres.
    pub max_deviation_m: f64,
    /// Bound it must stay within, metres.
    pub epsilon_m: f64,
    /// Time spanned, seconds.
    pub duration_s: i64,
}

/// Replays `fixes` (file order) through the pipeline with `epsilon_m`.
pub fn replay(fixes: &[Fix], epsilon_m: f64) -> ReplayFigures {
    let mut leg = Leg::new(LegConfig::default(), FilterConfig::default(), Vec::new());
    let now = fixes.iter().map(|f| f.at).max().unwrap_or_else(Utc::now);
    let kept: Vec<Fix> = fixes.iter().flat_map(|f| leg.push(*f, now)).collect();
    let events: Vec<String> = leg.take_events().iter().map(describe).collect();
    let (bytes, points) = encode_batch(&kept, &[], epsilon_m);
    let decoded = trajectory::decode(&bytes).unwrap_or_default();
    let json: Vec<serde_json::Value> = kept
        .iter()
        .map(|f| serde_json::json!({"t": f.at.timestamp_millis(), "lat": f.lat, "lon": f.lon}))
        .collect();
    let duration_s = match (kept.first(), kept.last()) {
        (Some(a), Some(b)) => (b.at - a.at).num_seconds(),
        _ => 0,
    };
    ReplayFigures {
        fixes: fixes.len(),
        kept: kept.len(),
        rejected: format!("{:?}", leg.counts()),
        events,
        points,
        bytes: bytes.len(),
        bytes_per_fix: bytes.len() as f64 / fixes.len().max(1) as f64,
        json_bytes: serde_json::to_vec(&json).map(|v| v.len()).unwrap_or(0),
        max_deviation_m: decoded_deviation(&kept, &decoded),
        epsilon_m,
        duration_s,
    }
}

/// [`replay`] with the default bound.
pub fn replay_default(fixes: &[Fix]) -> ReplayFigures {
    replay(fixes, DEFAULT_EPSILON_M)
}

fn describe(e: &TrackEvent) -> String {
    format!(
        "{:?} {} → {} ({} s)",
        e.kind,
        e.from.format("%H:%M:%S"),
        e.to.format("%H:%M:%S"),
        (e.to - e.from).num_seconds()
    )
}

/// The largest synchronized Euclidean distance of any `kept` fix from the track made of
/// `decoded` (a decoded batch, rounded coordinates): what the server holds, measured
/// against what the filter kept. Every decoded point must be a kept fix.
pub fn decoded_deviation(kept: &[Fix], decoded: &[Point]) -> f64 {
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

/// The figures as the terminal shows them.
pub fn render(name: &str, f: &ReplayFigures) -> String {
    let mut table = comfy_table::Table::new();
    table.set_header(vec!["measure", "value"]);
    let rows = [
        ("trace", name.to_string()),
        ("fixes read / kept", format!("{} / {}", f.fixes, f.kept)),
        ("rejected", f.rejected.clone()),
        ("time spanned", format!("{} s", f.duration_s)),
        ("points after simplification", f.points.to_string()),
        (
            "encoded (v2) bytes / per fix",
            format!("{} / {:.3}", f.bytes, f.bytes_per_fix),
        ),
        ("same fixes as JSON, bytes", f.json_bytes.to_string()),
        (
            "max deviation of a kept fix",
            format!("{:.2} m (bound {} m)", f.max_deviation_m, f.epsilon_m),
        ),
    ];
    for (k, v) in rows {
        table.add_row(vec![k.to_string(), v]);
    }
    let mut out = format!("{table}\n");
    for e in &f.events {
        out += &format!("  {e}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_reports_figures_consistent_with_the_codec() {
        let fixes = crate::trace_file::parse(
            "munich.json",
            include_str!("../../tests/data/traces/x0001-001.json"),
            0,
        )
        .unwrap();
        let f = replay_default(&fixes);
        assert_eq!(f.fixes, 1194);
        assert!(f.kept < f.fixes && f.kept > 500, "{f:?}");
        assert!(f.points < f.kept / 3, "{f:?}");
        assert!(f.max_deviation_m <= DEFAULT_EPSILON_M, "{f:?}");
        assert!(f.bytes * 50 < f.json_bytes, "{f:?}");
        assert!(render("munich", &f).contains("points after simplification"));
    }
}
