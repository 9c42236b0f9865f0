//! Data-subject requests: filed once per device-made id, listed with their status. An
//! account cancellation is completed at once: the token is revoked, so the device's next
//! call is refused and it wipes its local copy.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use waybill_protocol::{ErrorCode, RightKind, RightsRequestFiled, RightsRequestState};

use crate::store::{StoreError, StoreResult};

/// Files `req` for `account_id`; a second filing with the same id returns the first record.
/// The same id for a different kind is refused as a reused key.
pub fn file(
    conn: &mut Connection,
    account_id: &str,
    req: &RightsRequestFiled,
) -> StoreResult<RightsRequestState> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(existing) = get(&tx, account_id, &req.id)? {
        if existing.kind != req.kind {
            return Err(StoreError::Refused {
                code: ErrorCode::IdempotencyKeyReused,
                message: "this request id was used for another kind of request".into(),
            });
        }
        return Ok(existing);
    }
    let (status, answer) = match req.kind {
        RightKind::Cancellation => ("completed", Some("account closed; data deleted")),
        _ => ("received", None),
    };
    tx.execute(
        "INSERT INTO rights_requests (account_id, id, kind, detail, status, received_at, due_at, answer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            account_id,
            req.id,
            req.kind.as_str(),
            req.detail,
            status,
            Utc::now().to_rfc3339(),
            req.due_at.to_rfc3339(),
            answer
        ],
    )?;
    if req.kind == RightKind::Cancellation {
        // The reference server keeps the receipts (proof owed to regulators) and the filed
        // request; the account can no longer authenticate.
        tx.execute(
            "UPDATE accounts SET token_hash = NULL, token_expires_at = NULL, closed_at = ?2
             WHERE id = ?1",
            params![account_id, Utc::now().to_rfc3339()],
        )?;
        tx.execute(
            "UPDATE orders SET status = 'open', assigned_to = NULL, revision = revision + 1
             WHERE assigned_to = ?1 AND status = 'accepted'",
            [account_id],
        )?;
    }
    let state = get(&tx, account_id, &req.id)?.ok_or_else(|| StoreError::Refused {
        code: ErrorCode::Internal,
        message: "request vanished".into(),
    })?;
    tx.commit()?;
    Ok(state)
}

/// The account's requests, oldest first.
pub fn list(conn: &Connection, account_id: &str) -> StoreResult<Vec<RightsRequestState>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE account_id = ?1 ORDER BY received_at, id"
    ))?;
    let rows = stmt.query_map([account_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const SELECT: &str = "SELECT id, kind, status, received_at, due_at, answer FROM rights_requests";

fn get(conn: &Connection, account_id: &str, id: &str) -> StoreResult<Option<RightsRequestState>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE account_id = ?1 AND id = ?2"),
            params![account_id, id],
            from_row,
        )
        .optional()?)
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RightsRequestState> {
    let kind: String = r.get(1)?;
    let time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        let text: String = r.get(i)?;
        Ok(DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default())
    };
    Ok(RightsRequestState {
        id: r.get(0)?,
        kind: RightKind::parse(&kind).unwrap_or(RightKind::Access),
        status: r.get(2)?,
        received_at: time(3)?,
        due_at: time(4)?,
        answer: r.get(5)?,
    })
}
