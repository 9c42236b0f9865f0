//! The proof engine's part of the personal-data export: each proof's record (hash, order,
//! kind, step, size, capture time, upload state) with the position recorded with it. The
//! image itself is not copied into the JSON: the app shows it with `proof_image`, and an
//! uploaded one already left the device.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::all;
use crate::error::Result;
use crate::privacy::export::Sections;

/// The `proofs` section.
pub(crate) fn sections(conn: &Connection) -> Result<Sections> {
    let proofs: Vec<Value> = all(conn)?
        .iter()
        .map(|p| {
            json!({
                "sha256": p.sha256, "order_id": p.order_id, "kind": p.kind.as_str(),
                "step": p.step, "bytes": p.bytes,
                "captured_at": p.captured.at.to_rfc3339(),
                "uploaded_bytes": p.uploaded_bytes,
                "uploaded_at": p.uploaded_at.map(|t| t.to_rfc3339()),
                "position": p.position.map(|f| json!({
                    "at": f.at.to_rfc3339(), "lat": f.lat, "lon": f.lon,
                    "accuracy_m": f.accuracy_m,
                })),
            })
        })
        .collect();
    Ok(vec![("proofs", json!(proofs))])
}
