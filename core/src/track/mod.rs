//! The trajectory buffer: location fixes recorded while the driver carries an order,
//! stored only under a ticket for the trajectory purpose (separate consent, sensitive
//! data), and the upload batches cut from it. Filtering (`filter`), what happens between
//! fixes (`leg`, `events`), simplification (`simplify`) and the tracking plan (`plan`)
//! live in their own modules; the wire format is `waybill_protocol::trajectory`.

pub mod events;
pub mod export;
pub mod filter;
pub mod geo;
pub mod leg;
pub mod plan;
pub mod simplify;
pub mod tracker;
pub mod upload;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::purpose::Purpose;
use crate::ticket::Ticket;
use events::TrackEvent;

/// One location fix as the shell reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// Device time of the fix.
    pub at: DateTime<Utc>,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Horizontal accuracy radius in metres, if the OS gave one.
    pub accuracy_m: Option<f64>,
    /// Monotonic time since boot in milliseconds (Android `elapsedRealtimeNanos`, iOS
    /// `timestamp` against `systemUptime`): immune to the user changing the clock.
    pub elapsed_ms: Option<i64>,
    /// The OS says this is a mock (simulated) location.
    pub mock: bool,
}

impl Fix {
    /// Finite coordinates in range, and a finite, non-negative accuracy if any.
    pub fn is_valid(&self) -> bool {
        let at = waybill_protocol::LatLon {
            lat: self.lat,
            lon: self.lon,
        };
        at.is_on_earth() && self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0)
    }

    fn check(&self, index: usize) -> Result<()> {
        if self.is_valid() {
            Ok(())
        } else {
            Err(Error::InvalidInput {
                reason: format!(
                    "fix {index}: coordinates must be finite and in range, accuracy finite and ≥ 0"
                ),
            })
        }
    }
}

/// Stores `fixes` for `order_id`, which the caller found in transit (`Order::in_transit`:
/// no fix is kept outside a job). All or nothing: one bad fix refuses the batch and stores
/// none.
pub fn record(
    tx: &Transaction<'_>,
    basis: &Ticket,
    order_id: &str,
    fixes: &[Fix],
    now: DateTime<Utc>,
) -> Result<u32> {
    for (i, fix) in fixes.iter().enumerate() {
        fix.check(i)?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO track_fixes (order_id, purpose, at, lat, lon, accuracy_m, collected_at)
         VALUES (?1, ?2, ?3, seal(?4, 'track_fixes.lat', ?1 || '|' || ?3),
             seal(?5, 'track_fixes.lon', ?1 || '|' || ?3),
             seal(?6, 'track_fixes.accuracy_m', ?1 || '|' || ?3), ?7)",
    )?;
    let now = now.to_rfc3339();
    for fix in fixes {
        insert.execute(params![
            order_id,
            basis.purpose(),
            fix.at.to_rfc3339(),
            fix.lat,
            fix.lon,
            fix.accuracy_m,
            now
        ])?;
    }
    Ok(u32::try_from(fixes.len()).unwrap_or(u32::MAX))
}

/// The fixes held for `order_id`, in recording order.
pub fn fixes(conn: &Connection, order_id: &str) -> Result<Vec<Fix>> {
    let mut stmt = conn.prepare(
        "SELECT at, unseal(lat, 'track_fixes.lat', order_id || '|' || at), unseal(lon, 'track_fixes.lon', order_id || '|' || at),\n            unseal(accuracy_m, 'track_fixes.accuracy_m', order_id || '|' || at) FROM track_fixes WHERE order_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([order_id], fix_from_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A stored fix from `at, lat, lon, accuracy_m`.
fn fix_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Fix> {
    fix_from_row_at(r, 0)
}

/// A stored fix from `at, lat, lon, accuracy_m` starting at column `i`.
fn fix_from_row_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Fix> {
    let at: String = r.get(i)?;
    Ok(Fix {
        at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
        lat: r.get(i + 1)?,
        lon: r.get(i + 2)?,
        accuracy_m: r.get(i + 3)?,
        // Not stored: only what the trajectory needs is kept.
        elapsed_ms: None,
        mock: false,
    })
}

/// Orders with fixes held, for the export.
pub fn orders_with_fixes(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT order_id FROM track_fixes ORDER BY order_id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A GPX 1.1 document with one track (named after the order) of one segment: each fix as
/// a `trkpt` with its time. Written by hand rather than through the `gpx` crate (68 KB of
/// the mobile library with `xml-rs` and `time`, for an output of four elements); the tests
/// read it back with that crate.
pub fn to_gpx(order_id: &str, fixes: &[Fix]) -> Result<String> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(256 + fixes.len() * 96);
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        "\n",
        r#"<gpx version="1.1" creator="Waybill" xmlns="http://www.topografix.com/GPX/1/1">"#,
        "\n<trk>\n<name>Order "
    ));
    push_xml_text(&mut out, order_id);
    out.push_str("</name>\n<trkseg>\n");
    for f in fixes {
        // f64's Display never uses an exponent, as xsd:decimal requires.
        let _ = write!(out, r#"<trkpt lat="{}" lon="{}">"#, f.lat, f.lon);
        let at = f.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let _ = writeln!(out, "<time>{at}</time></trkpt>");
    }
    out.push_str("</trkseg>\n</trk>\n</gpx>\n");
    Ok(out)
}

/// `text` as XML character data: markup escaped, and the characters XML 1.0 cannot carry
/// (controls other than tab and line breaks) left out.
fn push_xml_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Default bound of the simplified trajectory's deviation from the filtered fixes, metres.
pub const DEFAULT_EPSILON_M: f64 = 5.0;

/// Simplifies filtered fixes (time order) within `epsilon_m` and encodes them as one
/// unanchored batch without events. See [`encode_outgoing`].
pub fn encode_batch(fixes: &[Fix], keep: &[bool], epsilon_m: f64) -> (Vec<u8>, usize) {
    let keep_at: Vec<DateTime<Utc>> = fixes
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(f, _)| f.at)
        .collect();
    encode(None, fixes, &[], &keep_at, epsilon_m)
}

/// The simplifier's bound: `epsilon_m` minus the codec's rounding, so the decoded track
/// stays within `epsilon_m` of every filtered fix.
fn simplify_budget(epsilon_m: f64) -> f64 {
    (epsilon_m - waybill_protocol::trajectory::MAX_ROUNDING_M * 2f64.sqrt()).max(0.5)
}

/// Indices into `anchor` followed by `fixes` of the fixes the simplified track keeps;
/// fixes at a time in `keep_at` always stay.
fn simplified(
    anchor: Option<&Fix>,
    fixes: &[Fix],
    keep_at: &[DateTime<Utc>],
    epsilon_m: f64,
) -> Vec<usize> {
    let points: Vec<simplify::TimedPoint> = anchor
        .into_iter()
        .chain(fixes)
        .map(|f| simplify::TimedPoint {
            t_ms: f.at.timestamp_millis(),
            lat: f.lat,
            lon: f.lon,
            keep: keep_at.contains(&f.at),
        })
        .collect();
    simplify::simplify(&points, simplify_budget(epsilon_m))
}

/// Simplifies `fixes` (continuing from `anchor`, which the server holds and is not sent)
/// and encodes them with `events` as one batch. Returns the body and the points sent.
pub fn encode(
    anchor: Option<&Fix>,
    fixes: &[Fix],
    events: &[TrackEvent],
    keep_at: &[DateTime<Utc>],
    epsilon_m: f64,
) -> (Vec<u8>, usize) {
    let all: Vec<&Fix> = anchor.into_iter().chain(fixes).collect();
    let wire = |f: &Fix| waybill_protocol::trajectory::Point {
        t_ms: f.at.timestamp_millis(),
        lat: f.lat,
        lon: f.lon,
    };
    let skip = usize::from(anchor.is_some());
    let points: Vec<_> = simplified(anchor, fixes, keep_at, epsilon_m)
        .into_iter()
        .filter(|&i| i >= skip)
        .map(|i| wire(all[i]))
        .collect();
    let sent = points.len();
    let batch = waybill_protocol::trajectory::Batch {
        anchor: anchor.map(wire),
        points,
        events: events.iter().map(TrackEvent::to_wire).collect(),
    };
    (waybill_protocol::trajectory::encode_batch(&batch), sent)
}

/// Encodes an outgoing batch: its fixes, continuing from its anchor, and its events;
/// fixes where an event starts or ends stay in the simplified track.
pub fn encode_outgoing(batch: &OutgoingBatch, epsilon_m: f64) -> (Vec<u8>, usize) {
    let keep_at: Vec<DateTime<Utc>> = batch.events.iter().flat_map(|e| [e.from, e.to]).collect();
    encode(
        batch.anchor.as_ref(),
        &batch.fixes,
        &batch.events,
        &keep_at,
        epsilon_m,
    )
}

/// Largest number of fixes encoded into one upload batch (over an hour at 1 Hz).
pub const MAX_BATCH_FIXES: usize = 5_000;

/// How often a leg in transit uploads: about 12 requests an hour while driving. A leg
/// that ended uploads what remains at once.
pub const UPLOAD_CADENCE: chrono::Duration = chrono::Duration::minutes(5);

/// Orders that have fixes or events not yet uploaded.
pub fn orders_with_unsent(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT order_id FROM track_fixes WHERE sent_at IS NULL
         UNION SELECT order_id FROM track_events WHERE sent_at IS NULL ORDER BY 1",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One trajectory upload: fixes `..=last_seq` and events `..=last_event_seq` of an order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingBatch {
    /// Idempotency key: the same range always travels under the same key.
    pub key: String,
    /// Order.
    pub order_id: String,
    /// Last fix in the batch.
    pub last_seq: i64,
    /// Last event in the batch.
    pub last_event_seq: i64,
    /// The previous batch's last fix, which the server holds: the batch continues from it.
    pub anchor: Option<Fix>,
    /// The fixes, oldest first.
    pub fixes: Vec<Fix>,
    /// Gaps, stops and arrivals.
    pub events: Vec<TrackEvent>,
}

fn fixes_between(
    conn: &Connection,
    order_id: &str,
    first: i64,
    last: i64,
) -> Result<Vec<(i64, Fix)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, unseal(lat, 'track_fixes.lat', order_id || '|' || at), unseal(lon, 'track_fixes.lon', order_id || '|' || at),
            unseal(accuracy_m, 'track_fixes.accuracy_m', order_id || '|' || at) FROM track_fixes
         WHERE order_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![order_id, first, last], |r| {
        Ok((r.get(0)?, fix_from_row_at(r, 1)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The batch to upload next for `order_id`: the one attempted before and not confirmed
/// (same range, same anchor, same key), else a new one, recorded before it is sent. A leg
/// in transit uploads every [`UPLOAD_CADENCE`] of fixes and holds back the fixes after the
/// last vertex the simplified track is sure of (they join the next batch, which continues
/// from that vertex); an ended leg sends everything. `None` when nothing is due.
pub fn next_batch(
    tx: &Transaction<'_>,
    order_id: &str,
    in_transit: bool,
    now: DateTime<Utc>,
    epsilon_m: f64,
) -> Result<Option<OutgoingBatch>> {
    let pending: Option<(String, i64, i64, i64, Option<i64>)> =
        rusqlite::OptionalExtension::optional(tx.query_row(
            "SELECT key, first_seq, last_seq, last_event_seq, anchor_seq FROM track_batches
             WHERE order_id = ?1 AND sent_at IS NULL ORDER BY first_seq, last_event_seq LIMIT 1",
            [order_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        ))?;
    let (key, first, last, last_event, anchor_seq) = match pending {
        Some(p) => p,
        None => match new_batch(tx, order_id, in_transit, now, epsilon_m)? {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let after_event: i64 = tx.query_row(
        "SELECT coalesce(max(last_event_seq), 0) FROM track_batches
         WHERE order_id = ?1 AND last_event_seq < ?2",
        params![order_id, last_event],
        |r| r.get(0),
    )?;
    let anchor = match anchor_seq {
        Some(a) => fixes_between(tx, order_id, a, a)?.pop().map(|(_, f)| f),
        None => None,
    };
    Ok(Some(OutgoingBatch {
        key,
        order_id: order_id.to_string(),
        last_seq: last,
        last_event_seq: last_event,
        anchor,
        fixes: fixes_between(tx, order_id, first, last)?
            .into_iter()
            .map(|(_, f)| f)
            .collect(),
        events: events::between(tx, order_id, after_event, last_event)?,
    }))
}

/// Opens the next batch of `order_id` if one is due: (key, first, last, last event,
/// anchor).
#[allow(clippy::type_complexity)]
fn new_batch(
    tx: &Transaction<'_>,
    order_id: &str,
    in_transit: bool,
    now: DateTime<Utc>,
    epsilon_m: f64,
) -> Result<Option<(String, i64, i64, i64, Option<i64>)>> {
    let (after, after_event): (i64, i64) = tx.query_row(
        "SELECT coalesce(max(last_seq), 0), coalesce(max(last_event_seq), 0)
         FROM track_batches WHERE order_id = ?1",
        [order_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let last_event: i64 = tx.query_row(
        "SELECT coalesce(max(seq), ?2) FROM track_events WHERE order_id = ?1 AND seq > ?2",
        params![order_id, after_event],
        |r| r.get(0),
    )?;
    let (first, last, oldest_collected): (Option<i64>, Option<i64>, Option<String>) = tx.query_row(
        "SELECT min(seq), max(seq), min(collected_at) FROM (SELECT seq, collected_at FROM track_fixes
         WHERE order_id = ?1 AND seq > ?2 AND sent_at IS NULL ORDER BY seq LIMIT ?3)",
        params![order_id, after, MAX_BATCH_FIXES as i64],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let anchor = fixes_between(tx, order_id, after, after)?.pop();
    let newest = last;
    let (first, last) = match (first, last) {
        (Some(first), Some(last)) => {
            let fixes = fixes_between(tx, order_id, first, last)?;
            // Five minutes since the previous upload, on the fixes' clock (a replayed or
            // buffered drive) or on the wall clock (a slow trickle of fixes): the held-back
            // tail does not make the next upload come sooner.
            let previous: Option<(Option<i64>, String)> = tx
                .query_row(
                    "SELECT newest_seq, created_at FROM track_batches WHERE order_id = ?1
                     ORDER BY rowid DESC LIMIT 1",
                    [order_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let newest_at = fixes.last().map(|l| l.1.at);
            let since_start = match previous.as_ref().and_then(|p| p.0) {
                Some(seen) => fixes_between(tx, order_id, seen, seen)?
                    .pop()
                    .map(|f| f.1.at),
                None => fixes.first().map(|f| f.1.at),
            };
            let fix_time = match (since_start, newest_at) {
                (Some(a), Some(b)) => b - a,
                _ => chrono::Duration::zero(),
            };
            let wall_start = match previous {
                Some((_, created)) => Some(created),
                None => oldest_collected,
            };
            let wall_time = wall_start
                .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
                .map_or(chrono::Duration::zero(), |c| now - c.with_timezone(&Utc));
            let due = !in_transit
                || fix_time >= UPLOAD_CADENCE
                || wall_time >= UPLOAD_CADENCE
                || fixes.len() >= MAX_BATCH_FIXES;
            if !due {
                return Ok(None);
            }
            let last = if in_transit {
                last_sure_vertex(anchor.as_ref().map(|a| &a.1), &fixes, epsilon_m)
            } else {
                last
            };
            (first, last)
        }
        // Events alone (a gap while no fix came): sent when the leg is over or with the
        // next fixes.
        _ if last_event > after_event && !in_transit => (after + 1, after),
        _ => return Ok(None),
    };
    let key = format!("traj-{order_id}-{first}-{last}-{last_event}");
    let anchor_seq = anchor.map(|a| a.0);
    tx.execute(
        "INSERT INTO track_batches
             (key, order_id, first_seq, last_seq, created_at, last_event_seq, anchor_seq, newest_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![key, order_id, first, last, now.to_rfc3339(), last_event, anchor_seq, newest],
    )?;
    Ok(Some((key, first, last, last_event, anchor_seq)))
}

/// The seq of the last fix the simplified track keeps before the end of `fixes`: the
/// track up to it will not change with fixes still to come. The end itself if there is
/// no such vertex (a straight road: nothing to hold back).
fn last_sure_vertex(anchor: Option<&Fix>, fixes: &[(i64, Fix)], epsilon_m: f64) -> i64 {
    let plain: Vec<Fix> = fixes.iter().map(|(_, f)| *f).collect();
    let kept = simplified(anchor, &plain, &[], epsilon_m);
    let skip = usize::from(anchor.is_some());
    let end = fixes.last().map_or(0, |l| l.0);
    match kept.len() {
        n if n >= 3 && kept[n - 2] >= skip => fixes[kept[n - 2] - skip].0,
        _ => end,
    }
}

/// Marks `batch` and its fixes and events as uploaded (their retention clock for
/// "uploaded" starts now).
pub fn mark_sent(tx: &Transaction<'_>, batch: &OutgoingBatch, now: DateTime<Utc>) -> Result<()> {
    let now = now.to_rfc3339();
    tx.execute(
        "UPDATE track_fixes SET sent_at = ?3 WHERE order_id = ?1 AND seq <= ?2 AND sent_at IS NULL",
        params![batch.order_id, batch.last_seq, now],
    )?;
    tx.execute(
        "UPDATE track_events SET sent_at = ?3 WHERE order_id = ?1 AND seq <= ?2 AND sent_at IS NULL",
        params![batch.order_id, batch.last_event_seq, now],
    )?;
    tx.execute(
        "UPDATE track_batches SET sent_at = ?2 WHERE key = ?1",
        params![batch.key, now],
    )?;
    Ok(())
}

/// The server does not hold the batch's anchor: send it whole from now on.
pub fn drop_anchor(tx: &Transaction<'_>, key: &str) -> Result<()> {
    tx.execute(
        "UPDATE track_batches SET anchor_seq = NULL WHERE key = ?1",
        [key],
    )?;
    Ok(())
}

/// Distance travelled over the kept fixes of `order_id` (great circle, metres).
pub fn distance_m(conn: &Connection, order_id: &str) -> Result<f64> {
    Ok(fixes(conn, order_id)?
        .windows(2)
        .map(|w| geo::distance_m(w[0].lat, w[0].lon, w[1].lat, w[1].lon))
        .sum())
}

/// The newest fix held for `order_id`.
pub fn last_fix(conn: &Connection, order_id: &str) -> Result<Option<Fix>> {
    Ok(conn
        .query_row(
            "SELECT at, unseal(lat, 'track_fixes.lat', order_id || '|' || at), unseal(lon, 'track_fixes.lon', order_id || '|' || at),
            unseal(accuracy_m, 'track_fixes.accuracy_m', order_id || '|' || at) FROM track_fixes WHERE order_id = ?1
             ORDER BY seq DESC LIMIT 1",
            [order_id],
            fix_from_row,
        )
        .optional()?)
}

/// Time of the newest fix held for `order_id`.
pub fn last_fix_at(conn: &Connection, order_id: &str) -> Result<Option<DateTime<Utc>>> {
    let at: Option<String> = conn
        .query_row(
            "SELECT at FROM track_fixes WHERE order_id = ?1 ORDER BY seq DESC LIMIT 1",
            [order_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(at
        .and_then(|a| DateTime::parse_from_rfc3339(&a).ok())
        .map(|a| a.with_timezone(&Utc)))
}

/// The trajectory engine's personal tables.
pub const HOLDINGS: &[Holding] = &[
    Holding {
        table: "track_fixes",
        categories: "'precise_location,trajectory'",
        purpose: "purpose",
        written_for: &[Purpose::Trajectory],
        clock: trajectory_clock,
        needed_for_open_order: None,
        order_bound: true,
    },
    Holding {
        table: "track_events",
        categories: "'trajectory'",
        purpose: "purpose",
        written_for: &[Purpose::Trajectory],
        clock: trajectory_clock,
        needed_for_open_order: None,
        order_bound: true,
    },
];

/// When a trajectory row's period starts.
fn trajectory_clock(from: RetentionStart) -> Option<Clock> {
    match from {
        RetentionStart::Collected => Some(Clock::Column("collected_at")),
        RetentionStart::OrderClosed => Some(Clock::OrderClosed),
        RetentionStart::Uploaded => Some(Clock::Column("sent_at")),
        RetentionStart::AccountClosed => None,
    }
}

/// The trajectory engine's tables, column by column.
pub const TABLES: &[TableDecl] = &[
    TableDecl {
        table: "track_fixes",
        held: Held::ForPurpose,
        personal: &["at", "lat", "lon", "accuracy_m", "collected_at"],
        plain: &["seq", "order_id", "purpose", "sent_at"],
        why_plain: "ids and whether the fix was uploaded",
    },
    TableDecl {
        table: "track_events",
        held: Held::ForPurpose,
        personal: &["from_at", "to_at", "lat", "lon", "collected_at"],
        plain: &[
            "seq",
            "order_id",
            "purpose",
            "kind",
            "reason",
            "stop_index",
            "sent_at",
        ],
        why_plain: "ids, the kind of event (gap, stop, arrival) and its cause code",
    },
    TableDecl {
        table: "track_batches",
        held: Held::NotPersonal(
            "upload bookkeeping: sequence ranges of fixes and when a batch was sent; the \
             positions are in track_fixes",
        ),
        personal: &[],
        plain: &[
            "key",
            "order_id",
            "first_seq",
            "last_seq",
            "created_at",
            "sent_at",
            "last_event_seq",
            "anchor_seq",
            "newest_seq",
        ],
        why_plain: "sequence numbers and times of uploads",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fix(lat: f64, lon: f64, ms: i64) -> Fix {
        Fix {
            at: Utc.timestamp_millis_opt(ms).unwrap(),
            lat,
            lon,
            accuracy_m: Some(5.0),
            elapsed_ms: None,
            mock: false,
        }
    }

    #[test]
    fn the_gpx_export_reads_back_point_for_point_whatever_the_name_holds() {
        let fixes = [
            fix(31.230416, 121.473701, 1_764_547_200_000),
            fix(-0.0000001, -179.9999999, 1_764_547_201_250),
            fix(89.999999, 179.999999, 1_764_547_202_001),
        ];
        let name = "ord-1 & <x> \"q\" 'a' \u{1}end";
        let text = to_gpx(name, &fixes).unwrap();
        let doc = gpx::read(text.as_bytes()).expect("the export parses as GPX");
        assert_eq!(doc.version, gpx::GpxVersion::Gpx11);
        assert_eq!(doc.creator.as_deref(), Some("Waybill"));
        assert_eq!(doc.tracks.len(), 1);
        let track = &doc.tracks[0];
        assert_eq!(
            track.name.as_deref(),
            Some("Order ord-1 & <x> \"q\" 'a' end")
        );
        let points = &track.segments[0].points;
        assert_eq!(points.len(), fixes.len());
        for (p, f) in points.iter().zip(&fixes) {
            assert_eq!((p.point().y(), p.point().x()), (f.lat, f.lon));
            let at: String = p.time.unwrap().format().unwrap();
            let back = DateTime::parse_from_rfc3339(&at).unwrap();
            assert_eq!(back.with_timezone(&Utc), f.at);
        }
        // xsd:decimal has no exponent: a tiny coordinate is written out in full.
        assert!(text.contains(r#"lat="-0.0000001""#), "{text}");
        let empty = gpx::read(to_gpx("o", &[]).unwrap().as_bytes()).unwrap();
        assert!(empty.tracks[0].segments[0].points.is_empty());
    }
}
