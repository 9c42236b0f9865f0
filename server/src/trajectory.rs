//! Trajectories: decoded batches stored per order, deduplicated on (order, time), so a
//! retried or overlapping batch never doubles a point. Only the driver holding the order
//! uploads; the driver and the shipper who placed it may read.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use waybill_protocol::{ErrorCode, TrackPoint, Trajectory, TrajectoryStored, trajectory};

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
    let points =
        trajectory::decode(batch).map_err(|e| refused(ErrorCode::BadRequest, &e.to_string()))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let holder: Option<Option<String>> = tx
        .query_row(
            "SELECT assigned_to FROM orders WHERE id = ?1",
            [order_id],
            |r| r.get(0),
        )
        .optional()?;
    match holder {
        None => return Err(refused(ErrorCode::OrderNotFound, "no such order")),
        Some(h) if h.as_deref() != Some(account_id) => {
            return Err(refused(
                ErrorCode::InvalidTransition,
                "only the driver holding the order uploads its trajectory",
            ));
        }
        Some(_) => {}
    }
    let mut stored = 0;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO trajectory_points (order_id, t_ms, lat, lon) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for p in &points {
            stored += insert.execute(params![order_id, p.t_ms, p.lat, p.lon])?;
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
    let allowed: bool = conn
        .query_row(
            "SELECT assigned_to = ?2 OR shipper_id = ?2 FROM orders WHERE id = ?1",
            params![order_id, account_id],
            |r| r.get::<_, Option<bool>>(0),
        )
        .optional()?
        .flatten()
        .unwrap_or(false);
    if !allowed {
        return Err(refused(ErrorCode::OrderNotFound, "no such order of yours"));
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
        .collect::<Result<_, _>>()?;
    Ok(Trajectory { points })
}
