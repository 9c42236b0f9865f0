//! The consent ledger: append-only decisions, each with a receipt whose hash chains to
//! the previous one. A decision exists only once it is written: a dialog the user never
//! finished leaves no row, and no row is never consent.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

#[cfg(test)]
use crate::db::StorageError;
use crate::db::StorageResult;

use waybill_protocol::consent::{self, GENESIS_HASH as GENESIS};

/// What the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// Accepted the policy version (and with it the core purposes based on consent).
    PolicyAccepted,
    /// Allowed a purpose.
    Granted,
    /// Said no to a purpose when asked.
    Refused,
    /// Took back an earlier yes.
    Withdrawn,
    /// A guardian consented for a user under the minimum age.
    GuardianConsent,
}

impl DecisionKind {
    /// Stable text form (also the wire form).
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::PolicyAccepted => "policy_accepted",
            DecisionKind::Granted => "granted",
            DecisionKind::Refused => "refused",
            DecisionKind::Withdrawn => "withdrawn",
            DecisionKind::GuardianConsent => "guardian_consent",
        }
    }

    fn parse(s: &str) -> Option<DecisionKind> {
        Some(match s {
            "policy_accepted" => DecisionKind::PolicyAccepted,
            "granted" => DecisionKind::Granted,
            "refused" => DecisionKind::Refused,
            "withdrawn" => DecisionKind::Withdrawn,
            "guardian_consent" => DecisionKind::GuardianConsent,
            _ => return None,
        })
    }
}

/// One recorded decision: the receipt given to the user and sent to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Position in the ledger.
    pub seq: i64,
    /// What was decided.
    pub kind: DecisionKind,
    /// Policy version in force when it was decided.
    pub policy_version: String,
    /// Purpose concerned (none for policy acceptance and guardian consent).
    pub purpose: Option<String>,
    /// How it was asked, e.g. `first_run_dialog`, `settings_switch`.
    pub asked_via: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Hash of the previous receipt.
    pub prev_hash: String,
    /// SHA-256 over this receipt's fields and `prev_hash`, hex.
    pub hash: String,
}

fn hash_of(
    prev_hash: &str,
    kind: DecisionKind,
    policy_version: &str,
    purpose: Option<&str>,
    asked_via: &str,
    at: &str,
) -> String {
    consent::receipt_hash(
        prev_hash,
        kind.as_str(),
        policy_version,
        purpose,
        asked_via,
        at,
    )
}

/// Appends a decision in `tx` and returns its receipt.
pub fn append(
    tx: &Transaction<'_>,
    kind: DecisionKind,
    policy_version: &str,
    purpose: Option<&str>,
    asked_via: &str,
    at: DateTime<Utc>,
) -> StorageResult<Receipt> {
    let prev_hash: String = tx
        .query_row(
            "SELECT hash FROM consent_ledger ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at_text = at.to_rfc3339();
    let hash = hash_of(
        &prev_hash,
        kind,
        policy_version,
        purpose,
        asked_via,
        &at_text,
    );
    tx.execute(
        "INSERT INTO consent_ledger (kind, policy_version, purpose, asked_via, at, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            kind.as_str(),
            policy_version,
            purpose,
            asked_via,
            at_text,
            prev_hash,
            hash
        ],
    )?;
    Ok(Receipt {
        seq: tx.last_insert_rowid(),
        kind,
        policy_version: policy_version.to_string(),
        purpose: purpose.map(str::to_string),
        asked_via: asked_via.to_string(),
        at,
        prev_hash,
        hash,
    })
}

impl Receipt {
    /// The wire form of this receipt.
    pub fn to_wire(&self) -> consent::ConsentReceipt {
        consent::ConsentReceipt {
            seq: self.seq,
            kind: self.kind.as_str().to_string(),
            policy_version: self.policy_version.clone(),
            purpose: self.purpose.clone(),
            asked_via: self.asked_via.clone(),
            at: self.at.to_rfc3339(),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// Receipts the server has not confirmed yet, oldest first.
pub fn unsent(conn: &Connection) -> StorageResult<Vec<Receipt>> {
    select(
        conn,
        "WHERE seq NOT IN (SELECT seq FROM consent_receipts_sent)",
    )
}

/// Marks receipts as confirmed by the server.
pub fn mark_sent(tx: &Transaction<'_>, seqs: &[i64]) -> StorageResult<()> {
    for seq in seqs {
        tx.execute(
            "INSERT OR IGNORE INTO consent_receipts_sent (seq) VALUES (?1)",
            [seq],
        )?;
    }
    Ok(())
}

/// Every receipt, oldest first.
pub fn all(conn: &Connection) -> StorageResult<Vec<Receipt>> {
    select(conn, "")
}

/// Receipts matching a fixed `filter` clause (never user input), oldest first.
fn select(conn: &Connection, filter: &str) -> StorageResult<Vec<Receipt>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, kind, policy_version, purpose, asked_via, at, prev_hash, hash
         FROM consent_ledger {filter} ORDER BY seq"
    ))?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(1)?;
        let at: String = r.get(5)?;
        Ok(Receipt {
            seq: r.get(0)?,
            kind: DecisionKind::parse(&kind).ok_or_else(|| bad(1, &kind))?,
            policy_version: r.get(2)?,
            purpose: r.get(3)?,
            asked_via: r.get(4)?,
            at: DateTime::parse_from_rfc3339(&at)
                .map_err(|_| bad(5, &at))?
                .with_timezone(&Utc),
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn bad(column: usize, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unexpected value {value:?}").into(),
    )
}

/// Recomputes the chain; returns the number of receipts, or the first broken one.
pub fn verify(conn: &Connection) -> StorageResult<Result<usize, i64>> {
    let receipts = all(conn)?;
    let mut prev = GENESIS.to_string();
    for r in &receipts {
        let at = r.at.to_rfc3339();
        let expected = hash_of(
            &prev,
            r.kind,
            &r.policy_version,
            r.purpose.as_deref(),
            &r.asked_via,
            &at,
        );
        if r.prev_hash != prev || r.hash != expected {
            return Ok(Err(r.seq));
        }
        prev = expected;
    }
    Ok(Ok(receipts.len()))
}

/// The latest decision about a purpose, if any.
pub fn latest_for_purpose(receipts: &[Receipt], purpose: &str) -> Option<Receipt> {
    receipts
        .iter()
        .rev()
        .find(|r| r.purpose.as_deref() == Some(purpose))
        .cloned()
}

/// The latest policy acceptance, if any.
pub fn latest_policy_acceptance(receipts: &[Receipt]) -> Option<Receipt> {
    receipts
        .iter()
        .rev()
        .find(|r| r.kind == DecisionKind::PolicyAccepted)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;

    #[test]
    fn receipts_chain_and_the_ledger_refuses_edits() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), &crate::db::test_key()).unwrap();
        let now = Utc::now();
        let (a, b) = db
            .write(|tx| {
                let a = append(
                    tx,
                    DecisionKind::PolicyAccepted,
                    "1",
                    None,
                    "first_run_dialog",
                    now,
                )?;
                let b = append(
                    tx,
                    DecisionKind::Granted,
                    "1",
                    Some("proof_photos"),
                    "settings_switch",
                    now,
                )?;
                Ok::<_, StorageError>((a, b))
            })
            .unwrap();
        assert_eq!(a.prev_hash, GENESIS);
        assert_eq!(b.prev_hash, a.hash);
        assert_eq!(db.read(verify).unwrap(), Ok(2));

        let edit: Result<(), StorageError> = db.write(|tx| {
            tx.execute(
                "UPDATE consent_ledger SET kind = 'refused' WHERE seq = ?1",
                [b.seq],
            )?;
            Ok(())
        });
        assert!(edit.unwrap_err().to_string().contains("append-only"));
        let delete: Result<(), StorageError> = db.write(|tx| {
            tx.execute("DELETE FROM consent_ledger", [])?;
            Ok(())
        });
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }

    #[test]
    fn a_tampered_receipt_breaks_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), &crate::db::test_key()).unwrap();
        let now = Utc::now();
        db.write(|tx| {
            append(
                tx,
                DecisionKind::PolicyAccepted,
                "1",
                None,
                "first_run_dialog",
                now,
            )?;
            append(
                tx,
                DecisionKind::Refused,
                "1",
                Some("marketing"),
                "first_run_dialog",
                now,
            )?;
            append(
                tx,
                DecisionKind::Granted,
                "1",
                Some("proof_photos"),
                "settings_switch",
                now,
            )
        })
        .unwrap();
        // Someone with file access drops the triggers and turns a refusal into a grant.
        let raw = rusqlite::Connection::open(db.path()).unwrap();
        raw.execute_batch(
            "DROP TRIGGER consent_ledger_no_update;
             UPDATE consent_ledger SET kind = 'granted' WHERE seq = 2;",
        )
        .unwrap();
        assert_eq!(db.read(verify).unwrap(), Err(2));
    }
}
