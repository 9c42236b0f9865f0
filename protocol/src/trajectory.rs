//! Compact binary encoding of trajectory batches, version 2 (spec:
//! docs/trajectory-format.md). Shared by the device (encoder) and the server (decoder), so
//! both agree by construction.
//!
//! Layout: `version` (1 byte), `flags` (varint; bit 0: anchored), `count` (varint), the
//! time unit in milliseconds (varint: the largest of 1000, 100, 10, 1 that divides every
//! time, so the choice is lossless), then three columns — times as deltas in that unit,
//! latitudes and longitudes as deltas in units of 1e-5 degree (≤ 0.56 m of rounding per
//! axis) — zigzag-mapped and written as exp-Golomb codes whose order is chosen per column
//! and batch (the smallest total). Then the events (gaps, stops, arrivals) as varints.
//!
//! Why not a general compressor: a five-minute batch holds a few dozen points, and
//! DEFLATE's Huffman tables cost more than they save at that size (measured: version 1,
//! varints + DEFLATE, 0.55 bytes a fix on the Munich trace; exp-Golomb columns, less).
//!
//! An anchored batch continues the previous one: its deltas start from the last point the
//! server already holds (identified by its time, which opens the time column), so a batch
//! every five minutes does not pay for an absolute position each time.

/// Format version written in the first byte.
pub const VERSION: u8 = 2;
/// Coordinate unit: 1e-5 degree.
pub const COORD_SCALE: f64 = 1e5;
/// Largest rounding error of one coordinate, in metres (half a unit of latitude).
pub const MAX_ROUNDING_M: f64 = 0.56;
/// Largest batch decoded (a day at 1 Hz is 86,400).
pub const MAX_POINTS: usize = 10_000;
/// Largest number of events in one batch.
pub const MAX_EVENTS: usize = 5_000;

const FLAG_ANCHORED: u64 = 1;

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

/// Why a stretch of a trajectory has no positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// The position jumped further than the vehicle can travel (a frozen or wrong fix
    /// before, e.g. in a tunnel or a car park); the track resumes at the new position.
    PositionJump,
    /// No usable fix for a while although the vehicle moved (tunnel, urban canyon).
    SignalLost,
    /// The app was not running (killed by the OS, or restarted).
    AppRestarted,
    /// The location permission was turned off.
    PermissionRevoked,
    /// The driver withdrew consent to the trajectory.
    ConsentWithdrawn,
    /// The location provider was switched off (reported by the app).
    ProviderOff,
    /// The device clock jumped; times after it are re-based on the monotonic clock.
    ClockJump,
    /// A reason this version does not know (sent by a newer app).
    Other,
}

impl GapReason {
    const ALL: [GapReason; 7] = [
        GapReason::PositionJump,
        GapReason::SignalLost,
        GapReason::AppRestarted,
        GapReason::PermissionRevoked,
        GapReason::ConsentWithdrawn,
        GapReason::ProviderOff,
        GapReason::ClockJump,
    ];

    /// The reason's code on the wire.
    pub fn code(self) -> u8 {
        GapReason::ALL
            .iter()
            .position(|r| *r == self)
            .map_or(0, |i| i as u8 + 1)
    }

    /// The reason of a wire code (unknown codes are [`GapReason::Other`]).
    pub fn from_code(code: u8) -> GapReason {
        GapReason::ALL
            .get(usize::from(code).wrapping_sub(1))
            .copied()
            .unwrap_or(GapReason::Other)
    }

    /// The reason's stable name (as in JSON and the device database).
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::PositionJump => "position_jump",
            GapReason::SignalLost => "signal_lost",
            GapReason::AppRestarted => "app_restarted",
            GapReason::PermissionRevoked => "permission_revoked",
            GapReason::ConsentWithdrawn => "consent_withdrawn",
            GapReason::ProviderOff => "provider_off",
            GapReason::ClockJump => "clock_jump",
            GapReason::Other => "other",
        }
    }

    /// The reason named `s` ([`GapReason::Other`] if unknown).
    pub fn parse(s: &str) -> GapReason {
        GapReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .unwrap_or(GapReason::Other)
    }
}

/// What happened over an interval of a trajectory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    /// No positions, and why.
    Gap(GapReason),
    /// The vehicle stood still at `at` (dwell).
    Stop {
        /// Where it stood.
        at: (f64, f64),
    },
    /// The vehicle entered the geofence of stop `stop` of the order's route.
    Arrival {
        /// Index of the stop in the route.
        stop: u32,
        /// The first fix inside the geofence.
        at: (f64, f64),
    },
}

/// A gap, stop or arrival, from `from_ms` to `to_ms` (equal for an arrival).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// What.
    pub kind: EventKind,
    /// Start, milliseconds since the Unix epoch.
    pub from_ms: i64,
    /// End, milliseconds since the Unix epoch (≥ `from_ms`).
    pub to_ms: i64,
}

/// One upload batch: points in time order, optionally continuing from an anchor (the last
/// point of the previous batch, not repeated), and the events of the same stretch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// The point the server already holds that this batch continues from.
    pub anchor: Option<Point>,
    /// New points, in time order.
    pub points: Vec<Point>,
    /// Gaps, stops and arrivals.
    pub events: Vec<Event>,
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
    /// An anchored batch whose anchor the receiver does not hold (send it unanchored).
    #[error("the batch continues from a point at {0} ms that is not held")]
    UnknownAnchor(i64),
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

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, zigzag(v));
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

/// Encodes `points` (in time order), unanchored and without events.
pub fn encode(points: &[Point]) -> Vec<u8> {
    encode_batch(&Batch {
        points: points.to_vec(),
        ..Batch::default()
    })
}

/// Encodes a batch into its compressed form.
pub fn encode_batch(batch: &Batch) -> Vec<u8> {
    let mut raw = Vec::with_capacity(batch.points.len() * 4 + 16);
    raw.push(VERSION);
    put_varint(
        &mut raw,
        if batch.anchor.is_some() {
            FLAG_ANCHORED
        } else {
            0
        },
    );
    put_varint(&mut raw, batch.points.len() as u64);
    let times = || batch.anchor.iter().chain(&batch.points).map(|p| p.t_ms);
    let unit = [1000i64, 100, 10, 1]
        .into_iter()
        .find(|u| times().all(|t| t % u == 0))
        .unwrap_or(1);
    put_varint(&mut raw, unit as u64);
    let mut previous = 0i64;
    let times: Vec<u64> = times()
        .map(|t| {
            let d = zigzag(t / unit - previous);
            previous = t / unit;
            d
        })
        .collect();
    let origin = batch.anchor.or_else(|| batch.points.first().copied());
    let (t0, lat0, lon0) = origin.map_or((0, 0, 0), |p| (p.t_ms, fixed(p.lat), fixed(p.lon)));
    let (anchor_lat, anchor_lon) = batch
        .anchor
        .map_or((0, 0), |a| (fixed(a.lat), fixed(a.lon)));
    let deltas = |start: i64, value: fn(&Point) -> f64| -> Vec<u64> {
        let mut previous = start;
        batch
            .points
            .iter()
            .map(|p| {
                let v = fixed(value(p));
                let d = zigzag(v - previous);
                previous = v;
                d
            })
            .collect()
    };
    let columns = [
        times,
        deltas(anchor_lat, |p| p.lat),
        deltas(anchor_lon, |p| p.lon),
    ];
    let orders = columns.each_ref().map(|c| best_order(c));
    raw.extend(orders.map(|k| k as u8));
    let mut bits = BitWriter::default();
    for (column, k) in columns.iter().zip(orders) {
        for &v in column {
            bits.exp_golomb(v, k);
        }
    }
    let bits = bits.finish();
    put_varint(&mut raw, bits.len() as u64);
    raw.extend(bits);
    put_varint(&mut raw, batch.events.len() as u64);
    for e in &batch.events {
        let at = match e.kind {
            EventKind::Gap(reason) => {
                raw.extend([1, reason.code()]);
                None
            }
            EventKind::Stop { at } => {
                raw.push(2);
                Some(at)
            }
            EventKind::Arrival { stop, at } => {
                raw.push(3);
                put_varint(&mut raw, u64::from(stop));
                Some(at)
            }
        };
        if let Some((lat, lon)) = at {
            put_signed(&mut raw, fixed(lat) - lat0);
            put_signed(&mut raw, fixed(lon) - lon0);
        }
        put_signed(&mut raw, e.from_ms - t0);
        put_varint(&mut raw, (e.to_ms - e.from_ms).max(0) as u64);
    }
    raw
}

/// Largest exp-Golomb order tried (values are zigzag deltas, < 2^64).
const MAX_ORDER: u32 = 40;

/// Bits of `v` as an exp-Golomb code of order `k`.
fn exp_golomb_len(v: u64, k: u32) -> u64 {
    let w = u128::from(v) + (1u128 << k);
    let n = 128 - w.leading_zeros();
    u64::from(2 * n - 1 - k)
}

/// The order that codes `column` in the fewest bits.
fn best_order(column: &[u64]) -> u32 {
    (0..=MAX_ORDER)
        .min_by_key(|&k| column.iter().map(|&v| exp_golomb_len(v, k)).sum::<u64>())
        .unwrap_or(0)
}

/// Bits written most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    byte: u8,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, b: bool) {
        self.byte = (self.byte << 1) | u8::from(b);
        self.used += 1;
        if self.used == 8 {
            self.out.push(self.byte);
            (self.byte, self.used) = (0, 0);
        }
    }

    /// `v + 2^k` in binary, after as many zeros as it has bits beyond `k + 1`.
    fn exp_golomb(&mut self, v: u64, k: u32) {
        let w = u128::from(v) + (1u128 << k);
        let n = 128 - w.leading_zeros();
        for _ in 0..(n - 1 - k) {
            self.bit(false);
        }
        for i in (0..n).rev() {
            self.bit((w >> i) & 1 == 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.byte << (8 - self.used));
        }
        self.out
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Result<bool, DecodeError> {
        let byte = self
            .bytes
            .get(self.at / 8)
            .ok_or(DecodeError::Malformed("bit stream ends early"))?;
        let b = (byte >> (7 - self.at % 8)) & 1 == 1;
        self.at += 1;
        Ok(b)
    }

    fn exp_golomb(&mut self, k: u32) -> Result<u64, DecodeError> {
        let mut zeros = 0u32;
        while !self.bit()? {
            zeros += 1;
            if zeros > 64 {
                return Err(DecodeError::Malformed("exp-Golomb code too long"));
            }
        }
        let mut w = 1u128;
        for _ in 0..(zeros + k) {
            w = (w << 1) | u128::from(self.bit()?);
        }
        u64::try_from(w - (1u128 << k)).map_err(|_| DecodeError::Malformed("value too large"))
    }
}

/// Decodes an unanchored batch's points. Coordinates come back rounded to 1e-5 degree.
pub fn decode(bytes: &[u8]) -> Result<Vec<Point>, DecodeError> {
    decode_batch(bytes, |_| None).map(|b| b.points)
}

struct Reader<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, DecodeError> {
        get_varint(self.raw, &mut self.pos)
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        self.varint().map(unzigzag)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .raw
            .get(self.pos)
            .ok_or(DecodeError::Malformed("truncated"))?;
        self.pos += 1;
        Ok(b)
    }
}

fn degrees(v: i64) -> Result<f64, DecodeError> {
    let d = v as f64 / COORD_SCALE;
    if d.abs() <= 180.0 {
        Ok(d)
    } else {
        Err(DecodeError::Malformed("coordinates out of range"))
    }
}

fn position(lat: i64, lon: i64) -> Result<(f64, f64), DecodeError> {
    let (lat, lon) = (degrees(lat)?, degrees(lon)?);
    if lat.abs() <= 90.0 {
        Ok((lat, lon))
    } else {
        Err(DecodeError::Malformed("coordinates out of range"))
    }
}

/// Decodes a batch (version 1 or 2). `anchor` gives the coordinates of the point held at a
/// time (for an anchored batch); without it the batch is [`DecodeError::UnknownAnchor`].
pub fn decode_batch(
    bytes: &[u8],
    anchor: impl FnOnce(i64) -> Option<(f64, f64)>,
) -> Result<Batch, DecodeError> {
    let mut r = Reader { raw: bytes, pos: 0 };
    let version = r.byte().map_err(|_| DecodeError::Malformed("empty"))?;
    if version != VERSION {
        return Err(DecodeError::Version(version));
    }
    let flags = r.varint()?;
    let anchored = flags & FLAG_ANCHORED != 0;
    let count = r.varint()? as usize;
    if count > MAX_POINTS {
        return Err(DecodeError::Malformed("too many points"));
    }
    let unit = match r.varint()? {
        u @ (1 | 10 | 100 | 1000) => u as i64,
        _ => return Err(DecodeError::Malformed("unknown time unit")),
    };
    let orders = [r.byte()?, r.byte()?, r.byte()?].map(u32::from);
    if orders.iter().any(|&k| k > MAX_ORDER) {
        return Err(DecodeError::Malformed("exp-Golomb order too large"));
    }
    let stream_len = r.varint()? as usize;
    let stream = r
        .raw
        .get(r.pos..r.pos.saturating_add(stream_len))
        .ok_or(DecodeError::Malformed("bit stream ends early"))?;
    r.pos += stream_len;
    let mut bits = BitReader {
        bytes: stream,
        at: 0,
    };
    // Each value takes at least one bit: a count the stream cannot hold is refused
    // before anything is allocated for it.
    let values = (count * 3 + usize::from(anchored)) as u64;
    if values > stream_len as u64 * 8 {
        return Err(DecodeError::Malformed(
            "more points than the bit stream holds",
        ));
    }
    let mut column = |n: usize, start: i64, k: u32| -> Result<Vec<i64>, DecodeError> {
        let mut acc = start;
        (0..n)
            .map(|_| {
                acc = acc
                    .checked_add(unzigzag(bits.exp_golomb(k)?))
                    .ok_or(DecodeError::Malformed("delta overflow"))?;
                Ok(acc)
            })
            .collect()
    };
    let mut times = column(count + usize::from(anchored), 0, orders[0])?;
    for t in &mut times {
        *t = t
            .checked_mul(unit)
            .ok_or(DecodeError::Malformed("time overflow"))?;
    }
    // Points (after the anchor) are strictly later than what comes before them: a batch
    // that goes back or repeats an instant was not made by the encoder.
    if times.windows(2).any(|w| w[1] <= w[0]) {
        return Err(DecodeError::Malformed("times not strictly increasing"));
    }
    let anchor = if anchored {
        let t = times.remove(0);
        let (lat, lon) = anchor(t).ok_or(DecodeError::UnknownAnchor(t))?;
        Some(Point { t_ms: t, lat, lon })
    } else {
        None
    };
    let (anchor_lat, anchor_lon) = anchor.map_or((0, 0), |a| (fixed(a.lat), fixed(a.lon)));
    let lats = column(count, anchor_lat, orders[1])?;
    let lons = column(count, anchor_lon, orders[2])?;
    let points = (0..count)
        .map(|i| {
            let (lat, lon) = position(lats[i], lons[i])?;
            Ok(Point {
                t_ms: times[i],
                lat,
                lon,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let events = read_events(&mut r, anchor.or_else(|| points.first().copied()))?;
    if r.pos != r.raw.len() {
        return Err(DecodeError::Malformed("trailing bytes"));
    }
    Ok(Batch {
        anchor,
        points,
        events,
    })
}

fn read_events(r: &mut Reader<'_>, origin: Option<Point>) -> Result<Vec<Event>, DecodeError> {
    let (t0, lat0, lon0) = origin.map_or((0, 0, 0), |p| (p.t_ms, fixed(p.lat), fixed(p.lon)));
    let count = r.varint()? as usize;
    if count > MAX_EVENTS {
        return Err(DecodeError::Malformed("too many events"));
    }
    let mut events = Vec::with_capacity(count);
    for _ in 0..count {
        let at = |r: &mut Reader<'_>| -> Result<(f64, f64), DecodeError> {
            let lat = lat0.checked_add(r.signed()?);
            let lon = lon0.checked_add(r.signed()?);
            match (lat, lon) {
                (Some(lat), Some(lon)) => position(lat, lon),
                _ => Err(DecodeError::Malformed("delta overflow")),
            }
        };
        let kind = match r.byte()? {
            1 => EventKind::Gap(GapReason::from_code(r.byte()?)),
            2 => EventKind::Stop { at: at(r)? },
            3 => {
                let stop = u32::try_from(r.varint()?)
                    .map_err(|_| DecodeError::Malformed("stop index too large"))?;
                EventKind::Arrival { stop, at: at(r)? }
            }
            _ => return Err(DecodeError::Malformed("unknown event kind")),
        };
        let from_ms = t0
            .checked_add(r.signed()?)
            .ok_or(DecodeError::Malformed("time overflow"))?;
        let to_ms = i64::try_from(r.varint()?)
            .ok()
            .and_then(|d| from_ms.checked_add(d))
            .ok_or(DecodeError::Malformed("time overflow"))?;
        events.push(Event {
            kind,
            from_ms,
            to_ms,
        });
    }
    Ok(events)
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
            // Times strictly increase (the decoder refuses anything else): steps of ≥ 1 ms.
            prop::collection::vec((-0.001f64..0.001, -0.001f64..0.001, 1i64..600_000), 0..300),
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
        fn anchored_batches_with_events_round_trip(
            ps in points(),
            anchored in any::<bool>(),
            events in prop::collection::vec((0u8..9, 0u32..40, -600_000i64..600_000, 0i64..3_600_000), 0..8),
        ) {
            let Some((anchor, rest)) = ps.split_first() else { return Ok(()) };
            let anchor = (anchored).then(|| Point {
                t_ms: anchor.t_ms,
                lat: (anchor.lat * COORD_SCALE).round() / COORD_SCALE,
                lon: (anchor.lon * COORD_SCALE).round() / COORD_SCALE,
            });
            let points = if anchored { rest.to_vec() } else { ps.clone() };
            let at = (ps[0].lat, ps[0].lon);
            let events: Vec<Event> = events
                .into_iter()
                .map(|(k, stop, from, len)| Event {
                    kind: match k % 3 {
                        0 => EventKind::Gap(GapReason::from_code(k)),
                        1 => EventKind::Stop { at },
                        _ => EventKind::Arrival { stop, at },
                    },
                    from_ms: ps[0].t_ms + from,
                    to_ms: ps[0].t_ms + from + len,
                })
                .collect();
            let batch = Batch { anchor, points, events };
            let bytes = encode_batch(&batch);
            let back = decode_batch(&bytes, |t| {
                anchor.filter(|a| a.t_ms == t).map(|a| (a.lat, a.lon))
            })
            .unwrap();
            prop_assert_eq!(back.anchor, batch.anchor);
            prop_assert_eq!(back.points.len(), batch.points.len());
            for (a, b) in batch.points.iter().zip(&back.points) {
                prop_assert_eq!(a.t_ms, b.t_ms);
                prop_assert!((a.lat - b.lat).abs() <= 0.5 / COORD_SCALE + 1e-12);
                prop_assert!((a.lon - b.lon).abs() <= 0.5 / COORD_SCALE + 1e-12);
            }
            prop_assert_eq!(back.events.len(), batch.events.len());
            for (a, b) in batch.events.iter().zip(&back.events) {
                prop_assert_eq!((a.from_ms, a.to_ms), (b.from_ms, b.to_ms));
                match (a.kind, b.kind) {
                    (EventKind::Gap(x), EventKind::Gap(y)) => prop_assert_eq!(x, y),
                    (EventKind::Stop { at: x }, EventKind::Stop { at: y })
                    | (EventKind::Arrival { at: x, .. }, EventKind::Arrival { at: y, .. }) => {
                        prop_assert!((x.0 - y.0).abs() <= 0.5 / COORD_SCALE + 1e-12);
                        prop_assert!((x.1 - y.1).abs() <= 0.5 / COORD_SCALE + 1e-12);
                    }
                    (x, y) => prop_assert!(false, "{x:?} came back as {y:?}"),
                }
            }
            if anchored && !batch.points.is_empty() {
                prop_assert_eq!(
                    decode_batch(&bytes, |_| None),
                    Err(DecodeError::UnknownAnchor(batch.anchor.unwrap().t_ms))
                );
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn gap_reasons_keep_their_codes_and_names() {
        for (i, r) in GapReason::ALL.into_iter().enumerate() {
            assert_eq!(r.code(), i as u8 + 1);
            assert_eq!(GapReason::from_code(r.code()), r);
            assert_eq!(GapReason::parse(r.as_str()), r);
        }
        assert_eq!(GapReason::from_code(0), GapReason::Other);
        assert_eq!(GapReason::from_code(200), GapReason::Other);
    }

    #[test]
    fn unknown_versions_and_garbage_are_typed_errors() {
        assert_eq!(decode(&[9u8, 0]), Err(DecodeError::Version(9)));
        assert_eq!(decode(&[]), Err(DecodeError::Malformed("empty")));
        // A count of a million points over a 1-byte stream.
        let mut lying = vec![VERSION, 0];
        put_varint(&mut lying, 1_000_000);
        lying.extend([0xe8, 0x07, 0, 0, 0, 1, 0xff]);
        assert!(matches!(decode(&lying), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn exp_golomb_codes_round_trip_at_every_order() {
        for k in [0, 1, 5, 17, MAX_ORDER] {
            let values = [0u64, 1, 2, 127, 128, 1 << 40, u64::MAX - 1, u64::MAX];
            let mut w = BitWriter::default();
            for v in values {
                w.exp_golomb(v, k);
            }
            let bytes = w.finish();
            let mut r = BitReader {
                bytes: &bytes,
                at: 0,
            };
            for v in values {
                assert_eq!(r.exp_golomb(k).unwrap(), v, "order {k}");
            }
        }
    }
}
