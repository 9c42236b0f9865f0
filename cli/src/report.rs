//! The day's map as a standalone SVG: the raw fixes, what the server holds, the stretch
//! driven without signal, stops and order events. No map tiles: the track draws itself,
//! so the file opens anywhere and leaks nothing to a tile server.

use std::fmt::Write as _;

/// A labelled point on the map.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Shown next to the point.
    pub label: String,
    /// CSS colour.
    pub color: &'static str,
}

/// What the map shows; points are (lat, lon).
#[derive(Debug, Clone, Default)]
pub struct MapLayers {
    /// Every fix the phone produced.
    pub raw: Vec<(f64, f64)>,
    /// Stretches recorded while the phone had no signal (one polyline each).
    pub offline: Vec<Vec<(f64, f64)>>,
    /// The points the server holds (simplified, bounded error).
    pub kept: Vec<(f64, f64)>,
    /// What the errand's shipper saw of the courier (pickup to delivery only).
    pub shipper_saw: Vec<(f64, f64)>,
    /// Stops, events, pickup and drop-off.
    pub markers: Vec<Marker>,
    /// Title line.
    pub title: String,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 640.0;
const MARGIN: f64 = 40.0;
/// Room kept on the right for labels.
const LABEL_ROOM: f64 = 110.0;

/// Renders the layers as an SVG document (equirectangular around the track's mean
/// latitude, north up, fitted to the page).
pub fn svg(layers: &MapLayers) -> String {
    let all = || {
        layers
            .raw
            .iter()
            .chain(&layers.kept)
            .chain(&layers.shipper_saw)
            .copied()
            .chain(layers.markers.iter().map(|m| (m.lat, m.lon)))
    };
    let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) = (90.0, -90.0, 180.0, -180.0_f64);
    for (lat, lon) in all() {
        min_lat = f64::min(min_lat, lat);
        max_lat = f64::max(max_lat, lat);
        min_lon = f64::min(min_lon, lon);
        max_lon = f64::max(max_lon, lon);
    }
    let shrink = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
    let span_x = ((max_lon - min_lon) * shrink).max(1e-6);
    let span_y = (max_lat - min_lat).max(1e-6);
    let scale = f64::min(
        (WIDTH - 2.0 * MARGIN - LABEL_ROOM) / span_x,
        (HEIGHT - 2.0 * MARGIN - 30.0) / span_y,
    );
    let project = |(lat, lon): (f64, f64)| {
        (
            MARGIN + (lon - min_lon) * shrink * scale,
            HEIGHT - MARGIN - (lat - min_lat) * scale,
        )
    };
    let polyline = |points: &[(f64, f64)], style: &str| -> String {
        if points.len() < 2 {
            return String::new();
        }
        let coords: Vec<String> = points
            .iter()
            .map(|p| {
                let (x, y) = project(*p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        format!(
            "  <polyline fill=\"none\" {style} points=\"{}\"/>\n",
            coords.join(" ")
        )
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        out,
        "  <rect width=\"100%\" height=\"100%\" fill=\"#fbfbf8\"/>\n  <text x=\"{MARGIN}\" \
         y=\"24\" font-size=\"15\">{}</text>",
        escape(&layers.title)
    );
    out += &polyline(
        &layers.raw,
        "id=\"raw\" stroke=\"#b8b8b8\" stroke-width=\"5\" stroke-linejoin=\"round\"",
    );
    for (i, stretch) in layers.offline.iter().enumerate() {
        out += &polyline(
            stretch,
            &format!(
                "id=\"offline-{i}\" class=\"offline\" stroke=\"#f0a030\" stroke-width=\"5\" \
                 stroke-linejoin=\"round\""
            ),
        );
    }
    out += &polyline(
        &layers.kept,
        "id=\"kept\" stroke=\"#1f5fbf\" stroke-width=\"1.6\" stroke-linejoin=\"round\"",
    );
    out += &polyline(
        &layers.shipper_saw,
        "id=\"shipper\" stroke=\"#2e9d4f\" stroke-width=\"3\" stroke-dasharray=\"6 4\" \
         stroke-linejoin=\"round\"",
    );
    for p in &layers.kept {
        let (x, y) = project(*p);
        let _ = writeln!(
            out,
            "  <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.8\" fill=\"#1f5fbf\"/>"
        );
    }
    // Labels move down until they overlap no label placed before them.
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for m in &layers.markers {
        let (x, y) = project((m.lat, m.lon));
        let mut label_y = y + 4.0;
        while placed
            .iter()
            .any(|(px, py)| (px - x).abs() < 100.0 && (py - label_y).abs() < 14.0)
        {
            label_y += 14.0;
        }
        placed.push((x, label_y));
        let _ = writeln!(
            out,
            "  <g class=\"marker\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"{}\" \
             stroke=\"#fff\" stroke-width=\"1.5\"/><text x=\"{:.1}\" y=\"{label_y:.1}\">{}</text></g>",
            m.color,
            x + 9.0,
            escape(&m.label)
        );
    }
    let legend = [
        ("#b8b8b8", "raw fixes from the phone"),
        ("#f0a030", "recorded without signal"),
        ("#1f5fbf", "points the server holds"),
        ("#2e9d4f", "what the shipper saw (in transit)"),
    ];
    for (i, (color, text)) in legend.iter().enumerate() {
        let y = HEIGHT - 14.0 - 16.0 * (legend.len() - 1 - i) as f64;
        let _ = writeln!(
            out,
            "  <rect x=\"{}\" y=\"{:.1}\" width=\"18\" height=\"4\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"{:.1}\">{text}</text>",
            WIDTH - 230.0,
            y - 4.0,
            WIDTH - 206.0,
            y
        );
    }
    out += "</svg>\n";
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_is_valid_svg_with_the_track_inside_the_page() {
        let layers = MapLayers {
            raw: vec![(48.1, 11.5), (48.11, 11.52), (48.12, 11.51)],
            offline: vec![],
            kept: vec![(48.1, 11.5), (48.12, 11.51)],
            shipper_saw: vec![(48.11, 11.52), (48.12, 11.51)],
            markers: vec![Marker {
                lat: 48.12,
                lon: 11.51,
                label: "drop-off <Suzhou & co>".into(),
                color: "red",
            }],
            title: "a \"day\"".into(),
        };
        let text = svg(&layers);
        let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
        let kept = doc
            .descendants()
            .find(|n| n.attribute("id") == Some("kept"))
            .expect("the kept track");
        let points: Vec<(f64, f64)> = kept
            .attribute("points")
            .unwrap()
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(points.len(), 2);
        assert!(
            doc.descendants()
                .any(|n| n.attribute("id") == Some("shipper")),
            "the shipper's view is drawn"
        );
        assert!(
            points
                .iter()
                .all(|(x, y)| (0.0..=WIDTH).contains(x) && (0.0..=HEIGHT).contains(y))
        );
        assert!(text.contains("drop-off &lt;Suzhou &amp; co&gt;"));
    }
}
