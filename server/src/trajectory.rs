//! Trajectories: decoded batches stored per order, deduplicated on (order, time), so a
//! retried or overlapping batch never doubles a point. Only the driver holding the order
//! uploads; the driver and the shipper who placed it may read.

use geo::Length;
use rusqlite::{Connection, TransactionBehavior, params};
use waybill_protocol::{
    ErrorCode, TrackPoint, Trajectory, TrajectoryEvent, TrajectoryStored, trajectory,
};

use crate::access;
use crate::store::{StoreError, StoreResult};

fn refused(code: ErrorCode, message: &str) -> StoreError {
    StoreError::Refused {
        code,
        message: message.to_string(),
    }
}

/// Stores a batch for `order_id` uploaded by `account_id`.
pub fn store(
    conn: &mut Connection,
    account_id: &str,
    order_id: &str,
    batch: &[u8],
) -> StoreResult<TrajectoryStored> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // The caller's right first: a stranger's batch is never decoded, so no decoder reply
    // (an unknown anchor, a malformed stream) can tell it anything about this order.
    access::may_send_for(&tx, account_id, order_id, chrono::Utc::now())?;
    // An anchored batch continues from a point of this order, which the caller holds.
    let decoded = trajectory::decode_batch(batch, |t_ms| {
        tx.query_row(
            "SELECT lat, lon FROM trajectory_points WHERE order_id = ?1 AND t_ms = ?2",
            params![order_id, t_ms],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()
    });
    let batch = match decoded {
        Ok(b) => b,
        Err(e @ trajectory::DecodeError::UnknownAnchor(_)) => {
            return Err(refused(ErrorCode::AnchorUnknown, &e.to_string()));
        }
        Err(e) => return Err(refused(ErrorCode::BadRequest, &e.to_string())),
    };
    let points = batch.points;
    let mut stored = 0;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO trajectory_points (order_id, t_ms, lat, lon) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for p in &points {
            stored += insert.execute(params![order_id, p.t_ms, p.lat, p.lon])?;
        }
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO trajectory_events (order_id, kind, from_ms, event)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for e in batch.events {
            let e = TrajectoryEvent::from(e);
            let kind = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let json = serde_json::to_string(&e).unwrap_or_default();
            insert.execute(params![order_id, kind, e.from_ms, json])?;
        }
    }
    tx.commit()?;
    let stored = u32::try_from(stored).unwrap_or(u32::MAX);
    Ok(TrajectoryStored {
        stored,
        duplicates: u32::try_from(points.len()).unwrap_or(u32::MAX) - stored,
    })
}

/// The trajectory of `order_id`, for its driver or its shipper.
pub fn get(conn: &Connection, account_id: &str, order_id: &str) -> StoreResult<Trajectory> {
    // The driver's own record; the shipper sees positions only in transit (`courier`).
    match access::order_access(conn, account_id, order_id)? {
        Some(a) if a.standing == access::Standing::Holder => {}
        _ => return Err(access::not_yours()),
    }
    let mut stmt = conn.prepare(
        "SELECT t_ms, lat, lon FROM trajectory_points WHERE order_id = ?1 ORDER BY t_ms",
    )?;
    let points = stmt
        .query_map([order_id], |r| {
            Ok(TrackPoint {
                t_ms: r.get(0)?,
                lat: r.get(1)?,
                lon: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT event FROM trajectory_events WHERE order_id = ?1 ORDER BY from_ms, kind",
    )?;
    let events = stmt
        .query_map([order_id], |r| r.get::<_, String>(0))?
        .filter_map(|e| e.ok().and_then(|e| serde_json::from_str(&e).ok()))
        .collect();
    let line: geo::LineString<f64> = points.iter().map(|p| (p.lon, p.lat)).collect();
    let distance_m = geo::Geodesic.length(&line);
    Ok(Trajectory {
        points,
        events,
        distance_m,
    })
}
