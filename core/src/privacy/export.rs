//! Right of access and copy: one machine-readable document with everything the device
//! holds about the user. The privacy engine writes its own part (receipts, permissions,
//! the transparency log, rights requests) and the frame; each engine hands in the sections
//! of the data it owns (`orders`, `trajectories` as GPX 1.1, `proofs` with the positions
//! recorded with them, the account's ids). Third parties' data (a consignee's phone) is
//! exported masked: a copy for the user must not disclose others (GDPR Art. 15(4)). The
//! session token is a secret, not data about the user, and is left out.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use super::manifest::Manifest;
use super::{ledger, rights, transparency};
use crate::db::meta::{self, MetaKey};
use crate::error::Result;

/// Version of the export document's layout.
pub const FORMAT: &str = "waybill-export/1";

/// One engine's part of the export: top-level keys and their values.
pub type Sections = Vec<(&'static str, Value)>;

/// Builds the export document (pretty JSON) from the privacy engine's data and the
/// `sections` of the other engines.
pub fn build(
    conn: &Connection,
    manifest: &Manifest,
    now: DateTime<Utc>,
    sections: Sections,
) -> Result<String> {
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
    let mut doc = Map::new();
    let own = [
        ("format", json!(FORMAT)),
        ("exported_at", json!(now.to_rfc3339())),
        ("app", json!(manifest.app)),
        (
            "controller",
            json!({ "name": manifest.controller.name, "contact": manifest.controller.contact }),
        ),
        ("policy_version", json!(manifest.policy_version)),
        (
            "declared_minor",
            json!(meta::get(conn, MetaKey::DeclaredMinor)?.map(|v| v == "1")),
        ),
        ("consent_receipts", json!(receipts)),
        ("permissions", json!(permissions)),
        ("transparency_log", json!(log)),
        ("rights_requests", json!(requests)),
    ];
    for (key, value) in own.into_iter().chain(sections) {
        doc.insert(key.to_string(), value);
    }
    Ok(serde_json::to_string_pretty(&doc).expect("a JSON value always serializes"))
}
