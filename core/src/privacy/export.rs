//! Right of access and copy: one machine-readable document with everything the device
//! holds about the user. Trajectories are GPX 1.1. Third parties' data (a consignee's
//! phone) is exported masked: a copy for the user must not disclose others (GDPR Art.
//! 15(4)). The session token is a secret, not data about the user, and is left out.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::manifest::Manifest;
use super::{ledger, rights, transparency};
use crate::error::Result;
use crate::orders::{self, OrderList, parties};
use crate::track;

/// Version of the export document's layout.
pub const FORMAT: &str = "waybill-export/1";

/// Builds the export document (pretty JSON).
pub fn build(conn: &Connection, manifest: &Manifest, now: DateTime<Utc>) -> Result<String> {
    let meta = |key: &str| -> Result<Option<String>> {
        Ok(rusqlite::OptionalExtension::optional(conn.query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [key],
            |r| r.get::<_, String>(0),
        ))?)
    };
    let account_id: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT account_id FROM session",
        [],
        |r| r.get(0),
    ))?;
    let receipts: Vec<_> = ledger::all(conn)?.iter().map(|r| r.to_wire()).collect();
    let permissions: Vec<Value> = {
        let mut stmt = conn.prepare(
            "SELECT permission, state, updated_at, last_refused_at FROM permissions ORDER BY permission",
        )?;
        stmt.query_map([], |r| {
            Ok(json!({
                "permission": r.get::<_, String>(0)?,
                "state": r.get::<_, String>(1)?,
                "reported_at": r.get::<_, String>(2)?,
                "last_refused_at": r.get::<_, Option<String>>(3)?,
            }))
        })?
        .collect::<std::result::Result<_, _>>()?
    };
    let mut my_orders = vec![];
    for o in orders::list(conn, OrderList::Mine)? {
        let contact = parties::for_display(conn, &o.id, false)?.map(|c| {
            json!({
                "consignor_name": c.consignor_name, "consignor_phone": c.consignor_phone,
                "consignee_name": c.consignee_name, "consignee_phone": c.consignee_phone,
                "consignee_address": c.consignee_address, "masked": c.masked,
            })
        });
        my_orders.push(json!({
            "id": o.id, "status": o.status.as_str(), "pickup": o.pickup_label,
            "dropoff": o.dropoff_label, "goods": o.goods, "weight_kg": o.weight_kg,
            "fee_minor": o.fee_minor, "currency": o.currency,
            "updated_at": o.updated_at.to_rfc3339(), "contact": contact,
        }));
    }
    let mut trajectories = vec![];
    for order_id in track::orders_with_fixes(conn)? {
        let fixes = track::fixes(conn, &order_id)?;
        // Gaps, stops and arrivals, as the server receives them (times in ms).
        let events: Vec<waybill_protocol::TrajectoryEvent> = track::events::all(conn, &order_id)?
            .iter()
            .map(|e| e.to_wire().into())
            .collect();
        trajectories.push(json!({
            "order_id": order_id, "fixes": fixes.len(), "gpx": track::to_gpx(&order_id, &fixes)?,
            "events": events,
        }));
    }
    let log: Vec<Value> = transparency::recent(conn, u32::MAX)?
        .iter()
        .map(|e| {
            json!({
                "at": e.at.to_rfc3339(), "action": format!("{:?}", e.action).to_lowercase(),
                "purpose": e.purpose, "categories": e.categories,
                "recipient": e.recipient, "items": e.items,
            })
        })
        .collect();
    let requests: Vec<Value> = rights::list(conn)?
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "kind": r.kind.as_str(), "detail": r.detail,
                "status": format!("{:?}", r.status).to_lowercase(),
                "created_at": r.created_at.to_rfc3339(), "due_at": r.due_at.to_rfc3339(),
                "answer": r.answer,
            })
        })
        .collect();
    let doc = json!({
        "format": FORMAT,
        "exported_at": now.to_rfc3339(),
        "app": manifest.app,
        "controller": { "name": manifest.controller.name, "contact": manifest.controller.contact },
        "policy_version": manifest.policy_version,
        "installation_id": meta("installation_id")?,
        "account_id": account_id,
        "declared_minor": meta("declared_minor")?.map(|v| v == "1"),
        "consent_receipts": receipts,
        "permissions": permissions,
        "orders": my_orders,
        "trajectories": trajectories,
        "transparency_log": log,
        "rights_requests": requests,
    });
    Ok(serde_json::to_string_pretty(&doc).expect("a JSON value always serializes"))
}
