//! Compact binary encoding of trajectory batches, version 1 (spec: docs/trajectory-format.md).
//! Shared by the device (encoder) and the server (decoder), so both agree by construction.
//!
//! Layout before compression: `version` (1 byte), `count` (varint), the time unit in
//! milliseconds (varint: the largest of 1000, 100, 10, 1 that divides every time, so the
//! choice is lossless), then three columns: times as zigzag-varint deltas in that unit
//! (the first from 0), latitudes and
//! longitudes as zigzag-varint deltas in units of 1e-5 degree (≤ 0.56 m of rounding per
//! axis). Columns compress better than rows: deflate sees runs of similar deltas. The whole
//! is deflated (raw DEFLATE, RFC 1951).

use std::io::{Read, Write};

/// Format version written in the first byte.
pub const VERSION: u8 = 1;
/// Coordinate unit: 1e-5 degree.
pub const COORD_SCALE: f64 = 1e5;
/// Largest rounding error of one coordinate, in metres (half a unit of latitude).
pub const MAX_ROUNDING_M: f64 = 0.56;
/// Largest batch decoded (a day at 1 Hz is 86,400).
pub const MAX_POINTS: usize = 200_000;

/// One point of a trajectory: time in milliseconds since the Unix epoch, WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub t_ms: i64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// Why a batch does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not a version this decoder knows.
    #[error("unknown trajectory format version {0}")]
    Version(u8),
    /// The bytes end early, overflow, or decompress to garbage.
    #[error("malformed trajectory batch: {0}")]
    Malformed(&'static str),
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes
            .get(*pos)
            .ok_or(DecodeError::Malformed("truncated varint"))?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(DecodeError::Malformed("varint too long"))
}

fn fixed(deg: f64) -> i64 {
    (deg * COORD_SCALE).round() as i64
}

/// Encodes `points` (in time order) into a compressed batch.
pub fn encode(points: &[Point]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(points.len() * 4 + 8);
    raw.push(VERSION);
    put_varint(&mut raw, points.len() as u64);
    let unit = [1000i64, 100, 10, 1]
        .into_iter()
        .find(|u| points.iter().all(|p| p.t_ms % u == 0))
        .unwrap_or(1);
    put_varint(&mut raw, unit as u64);
    let mut previous = 0i64;
    for p in points {
        let t = p.t_ms / unit;
        put_varint(&mut raw, zigzag(t - previous));
        previous = t;
    }
    for column in [|p: &Point| fixed(p.lat), |p: &Point| fixed(p.lon)] {
        let mut previous = 0i64;
        for p in points {
            let v = column(p);
            put_varint(&mut raw, zigzag(v - previous));
            previous = v;
        }
    }
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflater
        .write_all(&raw)
        .expect("writing to a Vec cannot fail");
    deflater.finish().expect("writing to a Vec cannot fail")
}

/// Decodes a batch. Coordinates come back rounded to 1e-5 degree.
pub fn decode(bytes: &[u8]) -> Result<Vec<Point>, DecodeError> {
    let mut raw = Vec::new();
    // Bounded: a hostile batch cannot inflate into gigabytes.
    flate2::read::DeflateDecoder::new(bytes)
        .take((MAX_POINTS * 30 + 16) as u64)
        .read_to_end(&mut raw)
        .map_err(|_| DecodeError::Malformed("not deflate data"))?;
    let version = *raw.first().ok_or(DecodeError::Malformed("empty"))?;
    if version != VERSION {
        return Err(DecodeError::Version(version));
    }
    let mut pos = 1;
    let count = get_varint(&raw, &mut pos)? as usize;
    if count > MAX_POINTS {
        return Err(DecodeError::Malformed("too many points"));
    }
    let unit = match get_varint(&raw, &mut pos)? {
        u @ (1 | 10 | 100 | 1000) => u as i64,
        _ => return Err(DecodeError::Malformed("unknown time unit")),
    };
    let mut columns = [vec![0i64; count], vec![0i64; count], vec![0i64; count]];
    for column in &mut columns {
        let mut acc = 0i64;
        for slot in column.iter_mut() {
            acc = acc
                .checked_add(unzigzag(get_varint(&raw, &mut pos)?))
                .ok_or(DecodeError::Malformed("delta overflow"))?;
            *slot = acc;
        }
    }
    if pos != raw.len() {
        return Err(DecodeError::Malformed("trailing bytes"));
    }
    let [times, lats, lons] = columns;
    let points: Vec<Point> = (0..count)
        .map(|i| Point {
            t_ms: times[i] * unit,
            lat: lats[i] as f64 / COORD_SCALE,
            lon: lons[i] as f64 / COORD_SCALE,
        })
        .collect();
    let sane = points
        .iter()
        .all(|p| p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0);
    if !sane {
        return Err(DecodeError::Malformed("coordinates out of range"));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn points() -> impl Strategy<Value = Vec<Point>> {
        (
            -89.0f64..89.0,
            -179.0f64..179.0,
            0i64..4_000_000_000_000,
            prop::collection::vec((-0.001f64..0.001, -0.001f64..0.001, 0i64..600_000), 0..300),
        )
            .prop_map(|(lat, lon, t0, steps)| {
                let (mut lat, mut lon, mut t) = (lat, lon, t0);
                steps
                    .into_iter()
                    .map(|(dlat, dlon, dt)| {
                        lat = (lat + dlat).clamp(-90.0, 90.0);
                        lon = (lon + dlon).clamp(-180.0, 180.0);
                        t += dt;
                        Point { t_ms: t, lat, lon }
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn round_trip_is_exact_in_time_and_within_half_a_unit_in_space(ps in points()) {
            let back = decode(&encode(&ps)).unwrap();
            prop_assert_eq!(back.len(), ps.len());
            for (a, b) in ps.iter().zip(&back) {
                prop_assert_eq!(a.t_ms, b.t_ms);
                prop_assert!((a.lat - b.lat).abs() <= 0.5 / COORD_SCALE + 1e-12);
                prop_assert!((a.lon - b.lon).abs() <= 0.5 / COORD_SCALE + 1e-12);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn unknown_versions_and_garbage_are_typed_errors() {
        let mut raw = vec![9u8, 0];
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(&raw).unwrap();
        raw = d.finish().unwrap();
        assert_eq!(decode(&raw), Err(DecodeError::Version(9)));
        assert!(matches!(
            decode(b"not deflate"),
            Err(DecodeError::Malformed(_))
        ));
    }
}
