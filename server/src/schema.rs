//! Every table and column of the reference server's database, declared: personal or not,
//! and what ends each personal value (closing, a sweep, the order's life, the legal
//! archive). `every_table_and_column_is_declared` fails on a table or column that is not,
//! so a new column must say what it holds before it ships.

/// How a table's personal values end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    /// Deleted or anonymised when the account closes (`closing::close`): how.
    AtClosing(&'static str),
    /// Swept on a schedule: when.
    Swept(&'static str),
    /// Kept apart under a random archive id after closing, for the record owed to
    /// regulators only (consent receipts, rights requests): why.
    Archived(&'static str),
    /// Nothing personal: why.
    NotPersonal(&'static str),
}

/// One table of the server's database.
#[derive(Debug)]
pub struct ServerTable {
    /// The table.
    pub table: &'static str,
    /// How its personal values end.
    pub ends: Ends,
    /// Columns with a personal value (a person's number, words, positions, times that
    /// place them, ids that name their account).
    pub personal: &'static [&'static str],
    /// Columns without one.
    pub plain: &'static [&'static str],
}

/// The server's tables.
pub const TABLES: &[ServerTable] = &[
    ServerTable {
        table: "accounts",
        ends: Ends::AtClosing("the number is deleted, the row archived under a random id"),
        personal: &["id", "phone", "age", "created_at", "closed_at"],
        plain: &["role", "status"],
    },
    ServerTable {
        table: "devices",
        ends: Ends::AtClosing("every device row (key, token hash) is deleted"),
        personal: &[
            "id",
            "installation_id",
            "account_id",
            "device_key",
            "token_hash",
            "last_proof_at",
            "token_expires_at",
            "signed_in_at",
            "renewed_at",
        ],
        plain: &["app_id", "app_version"],
    },
    ServerTable {
        table: "closed_credentials",
        ends: Ends::NotPersonal(
            "SHA-256 of a closed account's tokens and installations, to answer 410; no \
             account id, no value that can be reversed",
        ),
        personal: &[],
        plain: &["hash", "closed_at"],
    },
    ServerTable {
        table: "sign_in_codes",
        ends: Ends::Swept("an hour after the code was asked; the account's codes at closing"),
        personal: &["phone", "installation_id", "created_ms", "expires_ms"],
        plain: &["id", "purpose", "salt", "code_hash", "attempts", "used"],
    },
    ServerTable {
        table: "orders",
        ends: Ends::AtClosing(
            "an errand's labels and stops are blanked, the account ids archived; held \
             orders are released",
        ),
        personal: &[
            "pickup_label",
            "pickup_lat",
            "pickup_lon",
            "dropoff_label",
            "stops",
            "assigned_to",
            "shipper_id",
            "appointment_at",
        ],
        plain: &[
            "id",
            "status",
            "goods",
            "weight_kg",
            "fee_minor",
            "currency",
            "revision",
            "updated_at",
            "change_seq",
        ],
    },
    ServerTable {
        table: "order_events",
        ends: Ends::AtClosing("the actor becomes `closed-account`, its note and device time go"),
        personal: &["actor", "client_at", "note"],
        plain: &["id", "order_id", "kind", "at"],
    },
    ServerTable {
        table: "order_contacts",
        ends: Ends::AtClosing("the contacts of the account's errands are deleted"),
        personal: &[
            "consignor_name",
            "consignor_phone",
            "consignee_name",
            "consignee_phone",
            "consignee_address",
        ],
        plain: &["order_id"],
    },
    ServerTable {
        table: "idempotency",
        ends: Ends::AtClosing("the account's ledger of replies is deleted"),
        personal: &["account_id", "request", "body"],
        plain: &["key", "status", "created_at"],
    },
    ServerTable {
        table: "trajectory_points",
        ends: Ends::AtClosing("the trajectories of the orders it carried are deleted"),
        personal: &["t_ms", "lat", "lon"],
        plain: &["order_id"],
    },
    ServerTable {
        table: "trajectory_events",
        ends: Ends::AtClosing("with the trajectories"),
        personal: &["from_ms", "event"],
        plain: &["order_id", "kind"],
    },
    ServerTable {
        table: "uploads",
        ends: Ends::AtClosing("its unfinished uploads and their files are deleted"),
        personal: &["account_id"],
        plain: &[
            "id",
            "order_id",
            "kind",
            "sha256",
            "length",
            "offset",
            "created_at",
            "expires_at",
            "completed_at",
        ],
    },
    ServerTable {
        table: "proofs",
        ends: Ends::AtClosing("its proofs and their files are deleted"),
        personal: &["account_id", "linked_at"],
        plain: &["order_id", "sha256", "kind", "bytes", "upload_id"],
    },
    ServerTable {
        table: "real_name",
        ends: Ends::AtClosing("the outcome is deleted (the images were never kept)"),
        personal: &["account_id", "outcome", "reason", "checked_at"],
        plain: &["verification_id"],
    },
    ServerTable {
        table: "consent_receipts",
        ends: Ends::Archived("the proof of what the person agreed to, owed to a regulator"),
        personal: &[
            "account_id",
            "kind",
            "purpose",
            "asked_via",
            "at",
            "received_at",
        ],
        plain: &["hash", "seq", "policy_version", "prev_hash"],
    },
    ServerTable {
        table: "rights_requests",
        ends: Ends::Archived("the record of how each request was answered, owed to a regulator"),
        personal: &["account_id", "detail", "answer", "received_at"],
        plain: &["id", "kind", "status", "due_at"],
    },
    ServerTable {
        table: "service_events",
        ends: Ends::Swept(
            "180 days after receipt (network logs: at least six months, Cybersecurity Law \
             Art. 21); a closing moves them under the archive id until then",
        ),
        personal: &["account_id", "order_id", "at", "received_ms"],
        plain: &["event_id", "kind"],
    },
    ServerTable {
        table: "push_tokens",
        ends: Ends::AtClosing(
            "deleted with the device (sign-out, a new sign-in of the installation: by \
             cascade), on the device's DELETE /v1/push-token, and at closing",
        ),
        personal: &["device_id", "account_id", "token", "registered_ms"],
        plain: &["platform"],
    },
    ServerTable {
        table: "push_queue",
        ends: Ends::AtClosing(
            "emptied after each change's commit (the pushes sent) and at closing",
        ),
        personal: &["account_id"],
        plain: &["id", "topic"],
    },
    ServerTable {
        table: "control_documents",
        ends: Ends::NotPersonal("the controller's signed policy manifests and SDK switch"),
        personal: &[],
        plain: &["kind", "payload", "signature", "published_ms"],
    },
    ServerTable {
        table: "notices",
        ends: Ends::NotPersonal("announcements to every user, as signed"),
        personal: &[],
        plain: &["seq", "id", "payload", "signature", "published_ms"],
    },
    ServerTable {
        table: "waybills",
        ends: Ends::NotPersonal(
            "an order's random waybill number: it names a parcel, not a person (its \
             public status has no personal datum either)",
        ),
        personal: &[],
        plain: &["number", "order_id"],
    },
    ServerTable {
        table: "waybill_follows",
        ends: Ends::AtClosing(
            "deleted on the device's DELETE, 30 days after the order closes (sweep), and \
             at closing",
        ),
        personal: &["account_id", "followed_ms"],
        plain: &["order_id"],
    },
    ServerTable {
        table: "marketing_messages",
        ends: Ends::NotPersonal("the operator's offers, the same for every consenting account"),
        personal: &[],
        plain: &["id", "title", "body", "published_ms"],
    },
    ServerTable {
        table: "sqlite_sequence",
        ends: Ends::NotPersonal("SQLite's counters"),
        personal: &[],
        plain: &["name", "seq"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_and_column_is_declared() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("server.sqlite3")).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT m.name, group_concat(p.name, ',') FROM sqlite_schema m,
                     pragma_table_xinfo(m.name) p WHERE m.type = 'table' GROUP BY m.name",
            )
            .unwrap();
        let schema: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (table, columns) in &schema {
            let decl = TABLES
                .iter()
                .find(|t| t.table == table)
                .unwrap_or_else(|| panic!("server table {table} is not declared"));
            let columns: Vec<&str> = columns.split(',').collect();
            for c in &columns {
                assert!(
                    decl.personal.contains(c) ^ decl.plain.contains(c),
                    "{table}.{c} must be declared personal or plain, once"
                );
            }
            for listed in decl.personal.iter().chain(decl.plain) {
                assert!(columns.contains(listed), "{table}.{listed} does not exist");
            }
            if let Ends::NotPersonal(_) = decl.ends {
                assert!(
                    decl.personal.is_empty(),
                    "{table}: not personal, yet personal columns"
                );
            }
        }
        assert_eq!(
            TABLES.len(),
            schema.len(),
            "a declared table that does not exist"
        );
    }
}
