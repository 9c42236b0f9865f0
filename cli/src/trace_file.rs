//! Reads recorded GPS traces into fixes: GPX 1.0/1.1, NMEA 0183 (RMC sentences), barefoot
//! map-matching JSON (`POINT(lon lat)` WKT with a time) and CSV with a header naming its
//! columns. What `waybill replay` accepts, and what the demo drives.

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use waybill_core::Fix;

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The content is not a trace in the format its name says.
    #[error("{format} line {line}: {reason}")]
    Format {
        /// Which reader.
        format: &'static str,
        /// 1-based line (0 when the format has no lines).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The name does not say which format.
    #[error("{0}: unknown trace format (expected .gpx, .csv, .json, .nmea or .log)")]
    UnknownFormat(String),
}

/// The formats the reader knows, by file name.
#[derive(Debug, Clone, Copy)]
enum Format {
    Gpx,
    Barefoot,
    Nmea,
    Csv,
}

fn format_of(name: &str) -> Result<Format, TraceError> {
    let lower = name.to_ascii_lowercase();
    let ends = |ext: &str| lower.ends_with(ext);
    match () {
        _ if ends(".gpx") => Ok(Format::Gpx),
        _ if ends(".json") => Ok(Format::Barefoot),
        _ if ends(".nmea") || ends(".log") => Ok(Format::Nmea),
        _ if ends(".csv") => Ok(Format::Csv),
        _ => Err(TraceError::UnknownFormat(name.to_string())),
    }
}

/// Reads the trace at `path`; naive times (CSV without a zone) are local times
/// `utc_offset_hours` ahead of UTC.
pub fn read_path(path: &Path, utc_offset_hours: i32) -> Result<Vec<Fix>, TraceError> {
    let name = path.display().to_string();
    let format = format_of(&name)?;
    let text =
        std::fs::read_to_string(path).map_err(|source| TraceError::Io { path: name, source })?;
    parse_as(format, &text, utc_offset_hours)
}

/// Parses a trace whose format the file `name` tells.
pub fn parse(name: &str, text: &str, utc_offset_hours: i32) -> Result<Vec<Fix>, TraceError> {
    parse_as(format_of(name)?, text, utc_offset_hours)
}

fn parse_as(format: Format, text: &str, utc_offset_hours: i32) -> Result<Vec<Fix>, TraceError> {
    match format {
        Format::Gpx => gpx_trace(text),
        Format::Barefoot => barefoot(text),
        Format::Nmea => Ok(nmea(text)),
        Format::Csv => csv(text, Duration::hours(i64::from(utc_offset_hours))),
    }
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

fn bad(format: &'static str, line: usize, reason: impl std::fmt::Display) -> TraceError {
    TraceError::Format {
        format,
        line,
        reason: reason.to_string(),
    }
}

fn gpx_trace(text: &str) -> Result<Vec<Fix>, TraceError> {
    let doc = gpx::read(text.as_bytes()).map_err(|e| bad("GPX", 0, e))?;
    Ok(doc
        .tracks
        .iter()
        .flat_map(|t| &t.segments)
        .flat_map(|s| &s.points)
        .filter_map(|p| {
            let ts: String = p.time?.format().ok()?;
            let at = DateTime::parse_from_rfc3339(&ts).ok()?.with_timezone(&Utc);
            let point = p.point();
            Some(fix(at, point.y(), point.x(), None))
        })
        .collect())
}

fn barefoot(text: &str) -> Result<Vec<Fix>, TraceError> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| bad("JSON", e.line(), e))?;
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let wkt = r["point"]
                .as_str()
                .ok_or_else(|| bad("JSON", i + 1, "no \"point\""))?;
            let inner = wkt.trim_start_matches("POINT(").trim_end_matches(')');
            let (lon, lat) = inner
                .split_once(' ')
                .ok_or_else(|| bad("JSON", i + 1, format!("not a WKT point: {wkt}")))?;
            let time = r["time"]
                .as_str()
                .ok_or_else(|| bad("JSON", i + 1, "no \"time\""))?;
            let at = DateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S%z")
                .map_err(|e| bad("JSON", i + 1, e))?
                .with_timezone(&Utc);
            Ok(fix(at, number(lat, i + 1)?, number(lon, i + 1)?, None))
        })
        .collect()
}

fn number(v: &str, line: usize) -> Result<f64, TraceError> {
    v.trim()
        .parse()
        .map_err(|e| bad("trace", line, format!("{v:?}: {e}")))
}

/// RMC sentences with status A: time, latitude ddmm.mmmm, N/S, longitude dddmm.mmmm,
/// E/W, …, date ddmmyy. Other sentences and comments are skipped.
fn nmea(text: &str) -> Vec<Fix> {
    text.lines()
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
            let lat = degrees(f.get(3)?, 2, f.get(4)?)?;
            let lon = degrees(f.get(5)?, 3, f.get(6)?)?;
            let stamp = format!("{} {}", f.get(9)?, f.get(1)?.get(..6)?);
            let at = NaiveDateTime::parse_from_str(&stamp, "%d%m%y %H%M%S").ok()?;
            Some(fix(Utc.from_utc_datetime(&at), lat, lon, None))
        })
        .collect()
}

/// CSV whose header names the columns (`lat`/`latitude`, `lon`/`lng`/`longitude`,
/// `time`/`timestamp`/`tracked_at`/`datetime`, optional `accuracy`; `,` or `;`).
/// An accuracy of 0 means unknown.
fn csv(text: &str, utc_offset: Duration) -> Result<Vec<Fix>, TraceError> {
    let mut lines = text.lines();
    let header = lines.next().ok_or_else(|| bad("CSV", 1, "empty file"))?;
    let sep = if header.contains(';') { ';' } else { ',' };
    let names: Vec<String> = header
        .split(sep)
        .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let column = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let lat = column(&["lat", "latitude"]).ok_or_else(|| bad("CSV", 1, "no latitude column"))?;
    let lon = column(&["lon", "lng", "long", "longitude"])
        .ok_or_else(|| bad("CSV", 1, "no longitude column"))?;
    let time = column(&["time", "timestamp", "tracked_at", "datetime", "date_time"])
        .ok_or_else(|| bad("CSV", 1, "no time column"))?;
    let accuracy = column(&["accuracy", "accuracy_m", "horizontal_accuracy"]);
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let line = i + 2;
            let f: Vec<&str> = l.split(sep).map(|v| v.trim().trim_matches('"')).collect();
            let get = |c: usize| {
                f.get(c)
                    .copied()
                    .ok_or_else(|| bad("CSV", line, format!("no column {}", c + 1)))
            };
            let at = timestamp(get(time)?, utc_offset)
                .ok_or_else(|| bad("CSV", line, format!("unreadable time {:?}", f.get(time))))?;
            let accuracy_m = match accuracy {
                Some(c) => Some(number(get(c)?, line)?).filter(|a| *a > 0.0),
                None => None,
            };
            Ok(fix(
                at,
                number(get(lat)?, line)?,
                number(get(lon)?, line)?,
                accuracy_m,
            ))
        })
        .collect()
}

/// RFC 3339, or a naive `YYYY-MM-DD HH:MM:SS[.fff]` local time `utc_offset` ahead of UTC.
fn timestamp(v: &str, utc_offset: Duration) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Some(Utc.from_utc_datetime(&naive) - utc_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_found_by_name_and_local_times_shifted() {
        let text = "id;longitude;latitude;accuracy;tracked_at\n\
                    1;114.0123;22.5325;0;2014-10-22 23:39:17\n\
                    1;114.0136;22.5304;12.5;2014-10-22 23:40:10.5\n";
        let fixes = parse("t.csv", text, 8).unwrap();
        assert_eq!(fixes.len(), 2);
        assert_eq!(fixes[0].lat, 22.5325);
        assert_eq!(fixes[0].lon, 114.0123);
        assert_eq!(fixes[0].accuracy_m, None, "0 means unknown");
        assert_eq!(fixes[1].accuracy_m, Some(12.5));
        assert_eq!(fixes[0].at.to_rfc3339(), "2014-10-22T15:39:17+00:00");
    }

    #[test]
    fn broken_traces_get_a_typed_error_with_the_line() {
        let err = parse(
            "t.csv",
            "lat,lon,time\n1,2,2014-01-01 00:00:00\nx,2,2014\n",
            0,
        )
        .unwrap_err();
        assert!(matches!(err, TraceError::Format { line: 3, .. }), "{err}");
        assert!(matches!(
            parse("t.csv", "a,b\n", 0),
            Err(TraceError::Format { line: 1, .. })
        ));
        assert!(matches!(
            parse("t.kml", "", 0),
            Err(TraceError::UnknownFormat(_))
        ));
        assert!(matches!(
            parse("t.json", "{", 0),
            Err(TraceError::Format { .. })
        ));
    }

    #[test]
    fn nmea_keeps_valid_rmc_fixes_only() {
        let text = "# comment\n\
                    $GPGGA,094737.00,5238.1,N,00530.1,E,1,08,0.6,1.0,M,,M,,*00\n\
                    $GPRMC,094737.00,A,5238.1000,N,00530.1000,E,3.1,90.0,200818,,,A*00\n\
                    $GPRMC,094738.00,V,5238.1000,N,00530.1000,E,3.1,90.0,200818,,,A*00\n";
        let fixes = parse("b.log", text, 0).unwrap();
        assert_eq!(fixes.len(), 1);
        assert!((fixes[0].lat - (52.0 + 38.1 / 60.0)).abs() < 1e-9);
        assert_eq!(fixes[0].at.to_rfc3339(), "2018-08-20T09:47:37+00:00");
    }
}
