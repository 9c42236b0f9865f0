//! Data-subject requests: filed once per device-made id, listed with their status. An
//! account cancellation is completed at once (`closing.rs`): its data is deleted and its
//! credentials revoked, so the device's next call is refused and it wipes its local copy.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use waybill_protocol::{ErrorCode, RightKind, RightsRequestFiled, RightsRequestState};

use crate::access::Caller;
use crate::sign_in::CodePurpose;
use crate::store::{StoreError, StoreResult};

/// Files `req` for `account_id`; a second filing with the same id returns the first record.
/// The same id for a different kind is refused as a reused key. Also returns the upload
/// files a cancellation deleted the records of (the caller removes them after commit).
pub fn file(
    conn: &mut Connection,
    caller: &Caller,
    req: &RightsRequestFiled,
) -> StoreResult<(RightsRequestState, Vec<String>)> {
    let account_id = caller.account.as_str();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(existing) = get(&tx, account_id, &req.id)? {
        if existing.kind != req.kind {
            return Err(StoreError::Refused {
                code: ErrorCode::IdempotencyKeyReused,
                message: "this request id was used for another kind of request".into(),
            });
        }
        return Ok((existing, vec![]));
    }
    // The person proves it is them with a fresh code sent to the account's number
    // (seed 001: "we will verify your personal identity").
    let Some(code) = &req.step_up_code else {
        return Err(StoreError::Refused {
            code: ErrorCode::StepUpRequired,
            message: "a rights request needs a fresh step-up code".into(),
        });
    };
    let phone = crate::devices::phone_of(&tx, caller)?;
    let installation = crate::devices::installation_of(&tx, caller)?;
    if !crate::sign_in::take(&tx, &phone, &installation, CodePurpose::StepUp, code)? {
        tx.commit()?;
        return Err(StoreError::Refused {
            code: ErrorCode::CodeInvalid,
            message: "the step-up code is not valid".into(),
        });
    }
    let (status, answer) = match req.kind {
        RightKind::Cancellation => ("completed", Some(crate::closing::CLOSED.to_string())),
        RightKind::Deletion => ("received", legal_hold(&tx, account_id)?),
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
    let state = get(&tx, account_id, &req.id)?.ok_or_else(|| StoreError::Refused {
        code: ErrorCode::Internal,
        message: "request vanished".into(),
    })?;
    let files = if req.kind == RightKind::Cancellation {
        crate::closing::close(&tx, account_id)?
    } else {
        vec![]
    };
    tx.commit()?;
    if !files.is_empty() || req.kind == RightKind::Cancellation {
        crate::closing::checkpoint(conn);
    }
    Ok((state, files))
}

/// Years transaction records are kept from completion (E-commerce Law Art. 31; seed 002:
/// "交易信息保存时间自交易完成之日起三年").
pub const TRANSACTION_HOLD_YEARS: i32 = 3;

/// What a deletion cannot delete yet, said when it is filed (P-36): the transaction
/// records of the account's completed orders, kept apart for the legal period and used for
/// nothing else; `None` when there are none.
fn legal_hold(conn: &Connection, account_id: &str) -> StoreResult<Option<String>> {
    let held = crate::store::deliveries_of(conn, account_id)?;
    if held.is_empty() {
        return Ok(None);
    }
    let years = chrono::Months::new(12 * TRANSACTION_HOLD_YEARS as u32);
    let lines: Vec<String> = held
        .iter()
        .map(|(id, at)| {
            let until = at
                .date_naive()
                .checked_add_months(years)
                .map(|d| d.to_string())
                .unwrap_or_default();
            format!("{id} (until {until})")
        })
        .collect();
    Ok(Some(format!(
        "legal hold: the transaction records of these completed orders are kept {TRANSACTION_HOLD_YEARS} years \
         from completion (E-commerce Law Art. 31) and used for nothing else; the rest is deleted: {}",
        lines.join(", ")
    )))
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
