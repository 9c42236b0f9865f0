//! The shipper's optional real-name check (seed 003: "实名认证需提供您的身份证照片及人脸信息";
//! P-26): the ID card photo and the face image are checked and stripped like a proof,
//! sealed into the app-private `identity/` folder with a queued row, sent once, and
//! deleted from the device as soon as the server has decided, whatever it decided. The
//! device then keeps only the outcome and its time. Refusing the purpose blocks nothing
//! else; withdrawing it deletes a check not yet sent. Deleting the outcome waits seven
//! days after the account's last delivery (seed 000; P-62).

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use waybill_protocol::account::{
    REAL_NAME_DELIVERY_HOLD_DAYS, REAL_NAME_MAX_IMAGE_BYTES, RealNameOutcome, RealNameStatus,
    RealNameSubmission,
};

use crate::db::DataKey;
use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::media::{ImageSource, sealed_file};
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::ticket::Ticket;

/// Where the account's real-name check stands on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealNameState {
    /// Never checked (or the outcome was deleted).
    Unverified,
    /// Taken and waiting to be sent (the images are on the device, sealed).
    Pending,
    /// The check passed at `at`.
    Verified {
        /// When the server decided.
        at: DateTime<Utc>,
    },
    /// The check failed; take the pictures again.
    Rejected {
        /// Why, without personal data.
        reason: String,
    },
}

/// The app-private folder of images waiting to be sent.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("identity")
}

/// One image read from the shell, checked, stripped of metadata, and sealed.
pub(crate) fn prepare(key: &DataKey, source: &ImageSource) -> Result<Vec<u8>> {
    let invalid = |reason: String| Error::InvalidInput {
        reason: format!("real-name image: {reason}"),
    };
    let (bytes, _) = source
        .read_stripped(REAL_NAME_MAX_IMAGE_BYTES)
        .map_err(invalid)?;
    sealed_file::seal(key, &bytes)
}

/// Queues a check whose two sealed files are in place.
pub(crate) fn queue(
    tx: &Transaction<'_>,
    basis: &Ticket,
    verification_id: &str,
    id_card_file: &str,
    face_file: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    // One check at a time: a newer one replaces one not yet sent.
    tx.execute("DELETE FROM real_name_uploads", [])?;
    tx.execute(
        "INSERT INTO real_name_uploads (verification_id, purpose, id_card_file, face_file,
                                        collected_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            verification_id,
            basis.purpose(),
            id_card_file,
            face_file,
            now.to_rfc3339()
        ],
    )?;
    meta::delete(tx, MetaKey::RealName)?;
    Ok(())
}

/// The check waiting to be sent: its id and its two file names.
pub(crate) fn pending(conn: &Connection) -> Result<Option<(String, String, String)>> {
    Ok(conn
        .query_row(
            "SELECT verification_id, id_card_file, face_file FROM real_name_uploads",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// The submission of a queued check: both images unsealed and encoded.
pub(crate) fn submission(
    key: &DataKey,
    dir: &Path,
    (verification_id, id_card, face): &(String, String, String),
) -> Result<RealNameSubmission> {
    let b64 = |name: &str| -> Result<String> {
        let plain = sealed_file::read_all(key, &dir.join(name))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(plain))
    };
    Ok(RealNameSubmission {
        verification_id: verification_id.clone(),
        id_card: b64(id_card)?,
        face: b64(face)?,
    })
}

/// The server decided on `verification_id`: the queued row goes (its files with the next
/// clean-up) and the outcome stays.
pub(crate) fn settle(
    tx: &Transaction<'_>,
    verification_id: &str,
    status: &RealNameStatus,
) -> Result<()> {
    tx.execute(
        "DELETE FROM real_name_uploads WHERE verification_id = ?1",
        [verification_id],
    )?;
    let json = serde_json::to_string(status).map_err(|e| Error::Internal {
        reason: format!("real-name outcome: {e}"),
    })?;
    meta::set(tx, MetaKey::RealName, &json)?;
    Ok(())
}

/// Forgets the outcome (the server deleted its record).
pub(crate) fn forget(tx: &Transaction<'_>) -> Result<()> {
    meta::delete(tx, MetaKey::RealName)?;
    Ok(())
}

/// Where the check stands.
pub(crate) fn state(conn: &Connection) -> Result<RealNameState> {
    if pending(conn)?.is_some() {
        return Ok(RealNameState::Pending);
    }
    let status = meta::get(conn, MetaKey::RealName)?
        .and_then(|json| serde_json::from_str::<RealNameStatus>(&json).ok());
    Ok(match status {
        Some(RealNameStatus {
            outcome: RealNameOutcome::Verified,
            checked_at: Some(at),
            ..
        }) => RealNameState::Verified { at },
        Some(RealNameStatus {
            outcome: RealNameOutcome::Rejected,
            reason,
            ..
        }) => RealNameState::Rejected {
            reason: reason.unwrap_or_default(),
        },
        _ => RealNameState::Unverified,
    })
}

/// `RecentDelivery` while the last delivery this device saw (`last_delivery`) is under
/// seven days old at `now`.
pub(crate) fn check_deletable(
    last_delivery: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let hold = chrono::Duration::days(REAL_NAME_DELIVERY_HOLD_DAYS);
    match last_delivery.map(|at| at + hold) {
        Some(from) if from > now => Err(Error::RecentDelivery {
            deletable_from: from,
        }),
        _ => Ok(()),
    }
}

/// Deletes the files in `dir` that no queued check names (sent, withdrawn, wiped, or a
/// kill between writing a file and queueing it); returns how many.
pub(crate) fn delete_unreferenced(conn: &Connection, dir: &Path) -> Result<u32> {
    crate::media::delete_unnamed(
        conn,
        dir,
        "SELECT EXISTS (SELECT 1 FROM real_name_uploads WHERE id_card_file = ?1 OR face_file = ?1)",
    )
}

/// The account engine's personal tables.
pub const HOLDINGS: &[Holding] = &[Holding {
    table: "real_name_uploads",
    categories: "'identity_documents'",
    purpose: "purpose",
    written_for: &[crate::purpose::Purpose::RealNameVerification],
    clock: |from| match from {
        RetentionStart::Collected => Some(Clock::Column("collected_at")),
        // Sent means deleted: a row never outlives its upload.
        RetentionStart::Uploaded | RetentionStart::OrderClosed | RetentionStart::AccountClosed => {
            None
        }
    },
    needed_for_open_order: None,
    order_bound: false,
}];

/// The account engine's tables, column by column (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[
    TableDecl {
        table: "real_name_uploads",
        held: Held::ForPurpose,
        personal: &["id_card_file", "face_file", "collected_at"],
        plain: &["verification_id", "purpose"],
        why_plain: "a random id and the purpose",
    },
    TableDecl {
        table: "session",
        held: Held::WithAccount("this device's sign-in: the token (sealed) and the account id"),
        personal: &["account_id", "token", "created_at"],
        plain: &["id", "server_url"],
        why_plain: "the single row's key and the server's address",
    },
    TableDecl {
        table: "meta",
        held: Held::WithAccount(
            "one key/value per engine setting; the number (sealed), the device key (sealed) \
             and the installation id go with the account",
        ),
        personal: &["value"],
        plain: &["key"],
        why_plain: "the setting's name",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_name_data_waits_seven_days_after_the_last_delivery() {
        let now = DateTime::parse_from_rfc3339("2026-12-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let days = chrono::Duration::days;
        assert!(matches!(
            check_deletable(Some(now - days(6)), now),
            Err(Error::RecentDelivery { deletable_from }) if deletable_from == now + days(1)
        ));
        assert!(check_deletable(Some(now - days(8)), now).is_ok());
        assert!(check_deletable(None, now).is_ok());
    }
}
