//! `waybill inspect DB`: a readable dump of a device database for integrators — orders,
//! outbox, parties, trajectory buffer and events, proof queue, consent ledger, rights
//! requests. Opened read-only. Personal fields go through the core's masks unless the
//! caller asks for them unmasked; the session token is never shown.

use std::path::Path;

use comfy_table::Table;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use waybill_core::mask;

/// How a column is shown.
#[derive(Clone, Copy)]
enum Shown {
    Plain,
    Name,
    Phone,
    Address,
    /// A coordinate, rounded to about a kilometre when masked.
    Coordinate,
}

struct Section {
    title: &'static str,
    sql: &'static str,
    columns: &'static [(&'static str, Shown)],
}

use Shown::*;

const SECTIONS: &[Section] = &[
    Section {
        title: "Account",
        sql: "SELECT account_id, server_url, created_at FROM session",
        columns: &[("account", Plain), ("server", Plain), ("since", Plain)],
    },
    Section {
        title: "Orders",
        sql: "SELECT id, status, unseal(pickup_label, 'orders.pickup_label', id), \
              unseal(dropoff_label, 'orders.dropoff_label', id), assigned_to_me, placed_by_me, \
              closed_at FROM orders ORDER BY updated_at",
        columns: &[
            ("id", Plain),
            ("status", Plain),
            ("pickup", Plain),
            ("drop-off", Plain),
            ("mine", Plain),
            ("placed by me", Plain),
            ("closed", Plain),
        ],
    },
    Section {
        title: "Outbox (actions waiting for the server)",
        sql: "SELECT seq, order_id, action, attempts, next_attempt_at, last_error FROM outbox \
              ORDER BY seq",
        columns: &[
            ("seq", Plain),
            ("order", Plain),
            ("action", Plain),
            ("attempts", Plain),
            ("next attempt", Plain),
            ("last error", Plain),
        ],
    },
    Section {
        title: "Parties of orders (personal)",
        sql: "SELECT order_id, unseal(consignor_name, 'order_parties.consignor_name', order_id), \
              unseal(consignor_phone, 'order_parties.consignor_phone', order_id), \
              unseal(consignee_name, 'order_parties.consignee_name', order_id), \
              unseal(consignee_phone, 'order_parties.consignee_phone', order_id), \
              unseal(consignee_address, 'order_parties.consignee_address', order_id) \
              FROM order_parties",
        columns: &[
            ("order", Plain),
            ("sender", Name),
            ("sender phone", Phone),
            ("recipient", Name),
            ("recipient phone", Phone),
            ("address", Address),
        ],
    },
    Section {
        title: "Trajectory buffer (personal: whereabouts)",
        sql: "SELECT order_id, COUNT(*), SUM(sent_at IS NULL), MIN(at), MAX(at), \
              (SELECT unseal(lat, 'track_fixes.lat', l.order_id || '|' || l.at) FROM track_fixes l WHERE l.order_id = f.order_id ORDER BY seq DESC LIMIT 1), \
              (SELECT unseal(lon, 'track_fixes.lon', l.order_id || '|' || l.at) FROM track_fixes l WHERE l.order_id = f.order_id ORDER BY seq DESC LIMIT 1) \
              FROM track_fixes f GROUP BY order_id",
        columns: &[
            ("order", Plain),
            ("fixes", Plain),
            ("not yet sent", Plain),
            ("first", Plain),
            ("last", Plain),
            ("last lat", Coordinate),
            ("last lon", Coordinate),
        ],
    },
    Section {
        title: "Trajectory events (gaps, stops, arrivals)",
        sql: "SELECT order_id, kind, reason, from_at, to_at FROM track_events ORDER BY seq",
        columns: &[
            ("order", Plain),
            ("kind", Plain),
            ("reason", Plain),
            ("from", Plain),
            ("to", Plain),
        ],
    },
    Section {
        title: "Proof queue",
        sql: "SELECT substr(sha256, 1, 12), order_id, kind, step, bytes, upload_offset, \
              uploaded_at FROM proofs ORDER BY collected_at",
        columns: &[
            ("sha256", Plain),
            ("order", Plain),
            ("kind", Plain),
            ("step", Plain),
            ("bytes", Plain),
            ("uploaded", Plain),
            ("done at", Plain),
        ],
    },
    Section {
        title: "Consent ledger (hash-chained)",
        sql: "SELECT seq, kind, purpose, policy_version, asked_via, at, substr(hash, 1, 12), \
              seq IN (SELECT seq FROM consent_receipts_sent) FROM consent_ledger ORDER BY seq",
        columns: &[
            ("seq", Plain),
            ("kind", Plain),
            ("purpose", Plain),
            ("policy", Plain),
            ("asked via", Plain),
            ("at", Plain),
            ("hash", Plain),
            ("sent", Plain),
        ],
    },
    Section {
        title: "Rights requests",
        sql: "SELECT id, kind, status, created_at, due_at FROM rights_requests",
        columns: &[
            ("id", Plain),
            ("kind", Plain),
            ("status", Plain),
            ("filed", Plain),
            ("due", Plain),
        ],
    },
];

/// Why a database could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// Not a file.
    #[error("{0}: no such database file")]
    Missing(String),
    /// SQLite refused.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The dump of the device database at `path` (a data directory or the file itself).
pub fn inspect(path: &Path, unmasked: bool) -> Result<String, InspectError> {
    let file = if path.is_dir() {
        path.join(waybill_core::db::DB_FILE_NAME)
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(InspectError::Missing(file.display().to_string()));
    }
    let conn = Connection::open_with_flags(&file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let key = data_key_beside(&file);
    match &key {
        Some(key) => waybill_core::db::register_seal(&conn, key)?,
        // Without the key the personal columns stay what they are on disk: ciphertext.
        None => conn.create_scalar_function(
            "unseal",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| {
                Ok(match ctx.get_raw(0) {
                    ValueRef::Null => None,
                    v => Some(format!(
                        "<sealed, {} B>",
                        v.as_bytes().map_or(0, <[u8]>::len)
                    )),
                })
            },
        )?,
    }
    let mut out = format!(
        "{} (schema v{}){}\n",
        file.display(),
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?,
        if unmasked {
            ", personal fields UNMASKED"
        } else {
            ", personal fields masked (--unmasked to show them)"
        }
    );
    if key.is_none() {
        out += "no data key beside the database: sealed columns are shown as ciphertext sizes\n";
    }
    for section in SECTIONS {
        let mut stmt = match conn.prepare(section.sql) {
            Ok(s) => s,
            // An older schema without this table: say so, go on.
            Err(e) => {
                out += &format!("\n{}: not in this schema ({e})\n", section.title);
                continue;
            }
        };
        let mut table = Table::new();
        table.set_header(section.columns.iter().map(|(h, _)| *h));
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let cells: Vec<String> = section
                .columns
                .iter()
                .enumerate()
                .map(|(i, (_, shown))| show(row.get_ref(i), *shown, unmasked))
                .collect();
            table.add_row(cells);
            n += 1;
        }
        out += &format!("\n{} ({n})\n", section.title);
        if n > 0 {
            out += &format!("{table}\n");
        }
    }
    Ok(out)
}

/// The data key a [`waybill_core::KeyFile`] keeps next to the database (the CLI's and the
/// demo's clients); an app's key is in its Keystore/Keychain and never here.
fn data_key_beside(file: &Path) -> Option<waybill_core::db::DataKey> {
    use waybill_core::SecretStore;
    let dir = file.parent()?;
    let bytes = waybill_core::KeyFile::in_dir(dir)
        .load(waybill_core::secrets::DATA_KEY_NAME)
        .ok()??;
    waybill_core::db::DataKey::from_bytes(&bytes)
}

fn show(value: rusqlite::Result<ValueRef<'_>>, shown: Shown, unmasked: bool) -> String {
    let text = match value {
        Ok(ValueRef::Null) | Err(_) => return String::new(),
        Ok(ValueRef::Integer(i)) => i.to_string(),
        Ok(ValueRef::Real(r)) if matches!(shown, Coordinate) && !unmasked => {
            return format!("{r:.2}");
        }
        Ok(ValueRef::Real(r)) => r.to_string(),
        Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
        Ok(ValueRef::Blob(b)) => format!("<{} bytes>", b.len()),
    };
    if unmasked {
        return text;
    }
    match shown {
        Plain | Coordinate => text,
        Name => mask::name(&text),
        Phone => mask::phone(&text),
        Address => mask::address(&text),
    }
}
