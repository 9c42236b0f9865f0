//! The trajectory buffer: location fixes recorded while the driver carries an order,
//! stored only under a ticket for the trajectory purpose (separate consent, sensitive
//! data). This is the storage and export half; filtering, simplification, compact
//! encoding and upload grow here with the trajectory engine.

pub mod filter;
pub mod geo;
pub mod plan;
pub mod simplify;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::error::{Error, Result};
use crate::privacy::Ticket;

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
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
            && self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0)
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

/// Stores `fixes` for `order_id`, which must be an open order this driver holds (no fix is
/// kept outside a job). All or nothing: one bad fix refuses the batch and stores none.
pub fn record(
    tx: &Transaction<'_>,
    basis: &Ticket,
    order_id: &str,
    fixes: &[Fix],
    now: DateTime<Utc>,
) -> Result<u32> {
    let in_job: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM orders
                        WHERE id = ?1 AND assigned_to_me = 1 AND closed_at IS NULL)",
        [order_id],
        |r| r.get(0),
    )?;
    if !in_job {
        return Err(Error::NotInJob {
            order_id: order_id.to_string(),
        });
    }
    for (i, fix) in fixes.iter().enumerate() {
        fix.check(i)?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO track_fixes (order_id, purpose, at, lat, lon, accuracy_m, collected_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
        "SELECT at, lat, lon, accuracy_m FROM track_fixes WHERE order_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([order_id], fix_from_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A stored fix from `at, lat, lon, accuracy_m`.
fn fix_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Fix> {
    let at: String = r.get(0)?;
    Ok(Fix {
        at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
        lat: r.get(1)?,
        lon: r.get(2)?,
        accuracy_m: r.get(3)?,
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

/// A GPX 1.1 document with one track (named after the order) of one segment.
pub fn to_gpx(order_id: &str, fixes: &[Fix]) -> Result<String> {
    let points = fixes
        .iter()
        .map(|f| {
            let mut p = gpx::Waypoint::new(geo_types::Point::new(f.lon, f.lat));
            p.time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(
                f.at.timestamp_nanos_opt().unwrap_or_default(),
            ))
            .ok()
            .map(gpx::Time::from);
            p
        })
        .collect();
    let mut track = gpx::Track::new();
    track.name = Some(format!("Order {order_id}"));
    track.segments.push(gpx::TrackSegment { points });
    let doc = gpx::Gpx {
        version: gpx::GpxVersion::Gpx11,
        creator: Some("Waybill".into()),
        tracks: vec![track],
        ..Default::default()
    };
    let mut out = Vec::new();
    gpx::write(&doc, &mut out).map_err(|e| Error::Internal {
        reason: format!("GPX export failed: {e}"),
    })?;
    String::from_utf8(out).map_err(|_| Error::Internal {
        reason: "GPX export is not UTF-8".into(),
    })
}

/// Default bound of the simplified trajectory's deviation from the filtered fixes, metres.
pub const DEFAULT_EPSILON_M: f64 = 5.0;

/// Simplifies filtered fixes (time order) within `epsilon_m` and encodes them as one
/// upload batch. The simplifier works to `epsilon_m` minus the encoder's rounding, so the
/// decoded track stays within `epsilon_m` of every filtered fix. `keep` marks fixes that
/// must stay (order events).
pub fn encode_batch(fixes: &[Fix], keep: &[bool], epsilon_m: f64) -> (Vec<u8>, usize) {
    let points: Vec<simplify::TimedPoint> = fixes
        .iter()
        .enumerate()
        .map(|(i, f)| simplify::TimedPoint {
            t_ms: f.at.timestamp_millis(),
            lat: f.lat,
            lon: f.lon,
            keep: keep.get(i).copied().unwrap_or(false),
        })
        .collect();
    let budget = (epsilon_m - waybill_protocol::trajectory::MAX_ROUNDING_M * 2f64.sqrt()).max(0.5);
    let kept = simplify::simplify(&points, budget);
    let wire: Vec<waybill_protocol::trajectory::Point> = kept
        .iter()
        .map(|&i| waybill_protocol::trajectory::Point {
            t_ms: points[i].t_ms,
            lat: points[i].lat,
            lon: points[i].lon,
        })
        .collect();
    (waybill_protocol::trajectory::encode(&wire), kept.len())
}

/// Largest number of fixes encoded into one upload batch (over an hour at 1 Hz).
pub const MAX_BATCH_FIXES: usize = 5_000;

/// Orders that have fixes not yet uploaded.
pub fn orders_with_unsent(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT order_id FROM track_fixes WHERE sent_at IS NULL ORDER BY order_id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The batch to upload next for `order_id`: the one attempted before and not confirmed
/// (same range, same key), else a new one over the oldest fixes in no batch yet, recorded
/// before it is sent. `None` when nothing waits.
pub fn next_batch(
    tx: &Transaction<'_>,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, i64, Vec<Fix>)>> {
    let pending: Option<(String, i64, i64)> = rusqlite::OptionalExtension::optional(tx.query_row(
        "SELECT key, first_seq, last_seq FROM track_batches
         WHERE order_id = ?1 AND sent_at IS NULL ORDER BY first_seq LIMIT 1",
        [order_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    ))?;
    let (key, first, last) = match pending {
        Some(p) => p,
        None => {
            let after: i64 = tx.query_row(
                "SELECT coalesce(max(last_seq), 0) FROM track_batches WHERE order_id = ?1",
                [order_id],
                |r| r.get(0),
            )?;
            let range: (Option<i64>, Option<i64>) = tx.query_row(
                "SELECT min(seq), max(seq) FROM (SELECT seq FROM track_fixes
                 WHERE order_id = ?1 AND seq > ?2 AND sent_at IS NULL ORDER BY seq LIMIT ?3)",
                params![order_id, after, MAX_BATCH_FIXES as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (Some(first), Some(last)) = range else {
                return Ok(None);
            };
            let key = format!("traj-{order_id}-{first}-{last}");
            tx.execute(
                "INSERT INTO track_batches (key, order_id, first_seq, last_seq, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, order_id, first, last, now.to_rfc3339()],
            )?;
            (key, first, last)
        }
    };
    let mut stmt = tx.prepare(
        "SELECT at, lat, lon, accuracy_m FROM track_fixes
         WHERE order_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
    )?;
    let fixes = stmt
        .query_map(params![order_id, first, last], fix_from_row)?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some((key, last, fixes)))
}

/// Marks batch `key` and its fixes (up to `last_seq`) as uploaded (their retention clock
/// for "uploaded" starts now).
pub fn mark_sent(
    tx: &Transaction<'_>,
    key: &str,
    order_id: &str,
    last_seq: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE track_fixes SET sent_at = ?3 WHERE order_id = ?1 AND seq <= ?2 AND sent_at IS NULL",
        params![order_id, last_seq, now.to_rfc3339()],
    )?;
    tx.execute(
        "UPDATE track_batches SET sent_at = ?2 WHERE key = ?1",
        params![key, now.to_rfc3339()],
    )?;
    Ok(())
}
