//! Real-name verification (the shipper manifest's `real_name_verification`, seed 003:
//! "实名认证需提供您的身份证照片及人脸信息"): the two images go to an [`IdentityVerifier`]
//! and are dropped; the server keeps only the outcome and when it was decided. The record
//! can be deleted unless a delivery of the account is under seven days old (seed 000).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use waybill_protocol::ErrorCode;
use waybill_protocol::account::{REAL_NAME_DELIVERY_HOLD_DAYS, RealNameOutcome, RealNameStatus};

use crate::access::Caller;
use crate::store::{StoreError, StoreResult};

/// What a verifier decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The face matches the ID card.
    Verified,
    /// It does not, or the images cannot be read; the reason has no personal data.
    Rejected(String),
}

/// Checks an ID card photo against a face image: a licensed identity service in
/// production. It must not keep the images beyond the check.
pub trait IdentityVerifier: Send + Sync {
    /// Decides on one pair of images.
    fn verify(&self, id_card: &[u8], face: &[u8]) -> std::io::Result<Verdict>;
}

/// The reference server's verifier, for development, tests and the demo only: it accepts
/// any two different JPEG or PNG images and rejects anything else. It checks no identity.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevVerifier;

impl IdentityVerifier for DevVerifier {
    fn verify(&self, id_card: &[u8], face: &[u8]) -> std::io::Result<Verdict> {
        let image = |b: &[u8]| b.starts_with(&[0xff, 0xd8, 0xff]) || b.starts_with(b"\x89PNG");
        Ok(if !image(id_card) || !image(face) {
            Verdict::Rejected("both images must be JPEG or PNG".into())
        } else if id_card == face {
            Verdict::Rejected("the ID card photo and the face image are the same picture".into())
        } else {
            Verdict::Verified
        })
    }
}

/// The table of outcomes: one row per account, no image.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS real_name (
    account_id      TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id),
    verification_id TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('verified', 'rejected')),
    reason          TEXT,
    checked_at      TEXT NOT NULL
) STRICT;
";

/// The caller's outcome.
pub fn status(conn: &Connection, caller: &Caller) -> StoreResult<RealNameStatus> {
    Ok(row(conn, &caller.account)?
        .map(|(_, status)| status)
        .unwrap_or(RealNameStatus {
            outcome: RealNameOutcome::Unverified,
            checked_at: None,
            reason: None,
        }))
}

/// The outcome already decided for `verification_id` (a retry), if any.
pub fn replay(
    conn: &Connection,
    caller: &Caller,
    verification_id: &str,
) -> StoreResult<Option<RealNameStatus>> {
    Ok(row(conn, &caller.account)?
        .filter(|(id, _)| id == verification_id)
        .map(|(_, status)| status))
}

/// Records `verdict` for the caller (a later check replaces an earlier one).
pub fn record(
    conn: &Connection,
    caller: &Caller,
    verification_id: &str,
    verdict: &Verdict,
) -> StoreResult<RealNameStatus> {
    let (outcome, reason) = match verdict {
        Verdict::Verified => ("verified", None),
        Verdict::Rejected(why) => ("rejected", Some(why.as_str())),
    };
    conn.execute(
        "INSERT INTO real_name (account_id, verification_id, outcome, reason, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account_id) DO UPDATE SET verification_id = ?2, outcome = ?3,
             reason = ?4, checked_at = ?5",
        params![
            caller.account,
            verification_id,
            outcome,
            reason,
            Utc::now().to_rfc3339()
        ],
    )?;
    status(conn, caller)
}

/// Deletes the caller's record, unless one of its deliveries (as driver or as shipper) is
/// under seven days old: then `recent_delivery` says from when it can go.
pub fn delete(conn: &Connection, caller: &Caller) -> StoreResult<()> {
    let last = crate::store::deliveries_of(conn, &caller.account)?
        .into_iter()
        .map(|(_, at)| at)
        .max();
    let hold = Duration::days(REAL_NAME_DELIVERY_HOLD_DAYS);
    if let Some(until) = last.map(|at| at + hold).filter(|until| *until > Utc::now()) {
        return Err(StoreError::Refused {
            code: ErrorCode::RecentDelivery,
            message: format!(
                "a delivery is under {REAL_NAME_DELIVERY_HOLD_DAYS} days old; real-name data can be deleted from {}",
                until.to_rfc3339()
            ),
        });
    }
    conn.execute(
        "DELETE FROM real_name WHERE account_id = ?1",
        [&caller.account],
    )?;
    Ok(())
}

fn row(conn: &Connection, account: &str) -> StoreResult<Option<(String, RealNameStatus)>> {
    Ok(conn
        .query_row(
            "SELECT verification_id, outcome, reason, checked_at FROM real_name
             WHERE account_id = ?1",
            [account],
            |r| {
                let outcome = match r.get::<_, String>(1)?.as_str() {
                    "verified" => RealNameOutcome::Verified,
                    _ => RealNameOutcome::Rejected,
                };
                let at: String = r.get(3)?;
                Ok((
                    r.get(0)?,
                    RealNameStatus {
                        outcome,
                        checked_at: DateTime::parse_from_rfc3339(&at)
                            .ok()
                            .map(|t| t.with_timezone(&Utc)),
                        reason: r.get(2)?,
                    },
                ))
            },
        )
        .optional()?)
}
