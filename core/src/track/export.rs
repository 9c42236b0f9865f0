//! The trajectory engine's part of the personal-data export: each order's fixes as GPX
//! 1.1, with its gaps, stops and arrivals as the server receives them (times in ms).

use rusqlite::Connection;
use serde_json::json;

use super::{events, fixes, orders_with_fixes, to_gpx};
use crate::error::Result;
use crate::privacy::export::Sections;

/// The `trajectories` section.
pub(crate) fn sections(conn: &Connection) -> Result<Sections> {
    let mut trajectories = vec![];
    for order_id in orders_with_fixes(conn)? {
        let fixes = fixes(conn, &order_id)?;
        let events: Vec<waybill_protocol::TrajectoryEvent> = events::all(conn, &order_id)?
            .iter()
            .map(|e| e.to_wire().into())
            .collect();
        trajectories.push(json!({
            "order_id": order_id, "fixes": fixes.len(), "gpx": to_gpx(&order_id, &fixes)?,
            "events": events,
        }));
    }
    Ok(vec![("trajectories", json!(trajectories))])
}
