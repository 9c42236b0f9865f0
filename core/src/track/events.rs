//! What the trajectory engine noticed between fixes — gaps with their reason, stops
//! (dwell) and arrivals at a stop's geofence — and their storage. They travel with the
//! fixes in the same batches, so the server and the UI can tell "no data because…" from
//! "stood still".

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use waybill_protocol::trajectory;

pub use waybill_protocol::trajectory::GapReason;

use crate::error::Result;
use crate::ticket::Ticket;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrackEventKind {
    /// No positions over the interval, and why.
    Gap(GapReason),
    /// The vehicle stood still at this place for the interval (dwell).
    Stop {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
    /// The first fix inside the geofence of stop `stop` of the order's route.
    Arrival {
        /// Index of the stop in the route.
        stop: u32,
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
}

/// A gap, stop or arrival over `from..=to` (an arrival is an instant).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackEvent {
    /// What.
    pub kind: TrackEventKind,
    /// Start.
    pub from: DateTime<Utc>,
    /// End.
    pub to: DateTime<Utc>,
}

impl TrackEvent {
    /// A gap from `from` to `to`.
    pub fn gap(reason: GapReason, from: DateTime<Utc>, to: DateTime<Utc>) -> TrackEvent {
        TrackEvent {
            kind: TrackEventKind::Gap(reason),
            from,
            to,
        }
    }

    /// The event as the wire format carries it.
    pub fn to_wire(&self) -> trajectory::Event {
        trajectory::Event {
            kind: match self.kind {
                TrackEventKind::Gap(r) => trajectory::EventKind::Gap(r),
                TrackEventKind::Stop { lat, lon } => trajectory::EventKind::Stop { at: (lat, lon) },
                TrackEventKind::Arrival { stop, lat, lon } => trajectory::EventKind::Arrival {
                    stop,
                    at: (lat, lon),
                },
            },
            from_ms: self.from.timestamp_millis(),
            to_ms: self.to.timestamp_millis(),
        }
    }
}

/// Stores `events` of `order_id` under the trajectory purpose's ticket.
pub fn record(
    tx: &Transaction<'_>,
    basis: &Ticket,
    order_id: &str,
    events: &[TrackEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO track_events
             (order_id, purpose, kind, from_at, to_at, reason, stop_index, lat, lon, collected_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, seal(?8, 'track_events.lat', ?1 || '|' || ?3 || '|' || ?4),
             seal(?9, 'track_events.lon', ?1 || '|' || ?3 || '|' || ?4), ?10)",
    )?;
    for e in events {
        let (kind, reason, stop, lat, lon) = match e.kind {
            TrackEventKind::Gap(r) => ("gap", Some(r.as_str()), None, None, None),
            TrackEventKind::Stop { lat, lon } => ("stop", None, None, Some(lat), Some(lon)),
            TrackEventKind::Arrival { stop, lat, lon } => {
                ("arrival", None, Some(stop), Some(lat), Some(lon))
            }
        };
        insert.execute(params![
            order_id,
            basis.purpose(),
            kind,
            e.from.to_rfc3339(),
            e.to.to_rfc3339(),
            reason,
            stop,
            lat,
            lon,
            now.to_rfc3339()
        ])?;
    }
    Ok(())
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The events of `order_id` with `seq` in `after < seq <= upto`, oldest first.
pub fn between(
    conn: &Connection,
    order_id: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<TrackEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, from_at, to_at, reason, stop_index,
                unseal(lat, 'track_events.lat', order_id || '|' || kind || '|' || from_at),
                unseal(lon, 'track_events.lon', order_id || '|' || kind || '|' || from_at)
         FROM track_events
         WHERE order_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![order_id, after, upto], |r| {
        let kind: String = r.get(0)?;
        let (lat, lon): (Option<f64>, Option<f64>) = (r.get(5)?, r.get(6)?);
        let (lat, lon) = (lat.unwrap_or_default(), lon.unwrap_or_default());
        Ok(TrackEvent {
            kind: match kind.as_str() {
                "stop" => TrackEventKind::Stop { lat, lon },
                "arrival" => TrackEventKind::Arrival {
                    stop: r.get::<_, Option<u32>>(4)?.unwrap_or_default(),
                    lat,
                    lon,
                },
                _ => TrackEventKind::Gap(GapReason::parse(
                    &r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                )),
            },
            from: time(&r.get::<_, String>(1)?),
            to: time(&r.get::<_, String>(2)?),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Every event held for `order_id`, oldest first.
pub fn all(conn: &Connection, order_id: &str) -> Result<Vec<TrackEvent>> {
    between(conn, order_id, 0, i64::MAX)
}
