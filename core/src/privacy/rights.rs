//! Rights requests (access, correction, deletion, account cancellation): filed on the
//! device with the deadline the policy promises, submitted by sync (the request id is the
//! idempotency key), and updated with the server's answer.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use waybill_protocol::{RightKind, RightsRequestFiled, RightsRequestState};

use super::manifest::Manifest;
use crate::db::StorageResult;
use crate::error::{Error, Result};

/// The columns `from_row` reads, in its order (a macro, so queries can `concat!` it).
macro_rules! columns {
    () => {
        "SELECT id, kind, unseal(detail, 'rights_requests.detail', id), status, created_at,
        due_at, unseal(answer, 'rights_requests.answer', id), step_up_code IS NULL"
    };
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// Stored on the device, not yet acknowledged by the server.
    Queued,
    /// The server has it; the deadline runs.
    Received,
    /// Answered and done.
    Completed,
    /// Answered with a refusal (the answer says why).
    Refused,
}

impl RequestStatus {
    fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Queued => "queued",
            RequestStatus::Received => "received",
            RequestStatus::Completed => "completed",
            RequestStatus::Refused => "refused",
        }
    }

    fn parse(s: &str) -> RequestStatus {
        match s {
            "received" => RequestStatus::Received,
            "completed" => RequestStatus::Completed,
            "refused" => RequestStatus::Refused,
            _ => RequestStatus::Queued,
        }
    }
}

/// One request as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    /// Device-made id.
    pub id: String,
    /// What was asked.
    pub kind: RightKind,
    /// The user's words.
    pub detail: String,
    /// Where it stands.
    pub status: RequestStatus,
    /// When the user filed it.
    pub created_at: DateTime<Utc>,
    /// The answer deadline the policy promises.
    pub due_at: DateTime<Utc>,
    /// The server's answer, once there is one.
    pub answer: Option<String>,
    /// Queued, and its step-up code is missing or was refused (expired, wrong): it is
    /// sent once the person enters a new one (`confirm_rights_request`).
    pub awaiting_code: bool,
    /// Not answered and past its deadline: the settings screen flags it and says where
    /// to complain.
    pub overdue: bool,
}

impl RightsRequest {
    /// The submission body, with the step-up code entered for it.
    pub fn to_wire(&self, step_up_code: &str) -> RightsRequestFiled {
        RightsRequestFiled {
            id: self.id.clone(),
            kind: self.kind,
            detail: self.detail.clone(),
            due_at: self.due_at,
            step_up_code: Some(step_up_code.to_string()),
        }
    }
}

/// `InvalidInput` unless `code` has the shape of a one-time code.
pub fn check_code(code: &str) -> Result<&str> {
    let code = code.trim();
    if waybill_protocol::account::is_code(code) {
        Ok(code)
    } else {
        Err(Error::InvalidInput {
            reason: "step-up code: 6 digits".into(),
        })
    }
}

/// Longest free text of a request.
pub const MAX_DETAIL_BYTES: usize = 4_096;

/// `from` plus `days` working days (Saturdays and Sundays do not count; public holidays
/// are not known to the device, so the date shown is never later than the policy's).
pub fn add_working_days(from: DateTime<Utc>, days: u8) -> DateTime<Utc> {
    let mut at = from;
    let mut left = days;
    while left > 0 {
        at += Duration::days(1);
        if !matches!(at.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    at
}

/// When the policy promises an answer to a request of `kind` filed at `now`: a copy within
/// the working days; anything else within the calendar days when the policy names them
/// (seed 002 promises both), whichever comes first.
pub fn due_at(manifest: &Manifest, kind: RightKind, now: DateTime<Utc>) -> DateTime<Utc> {
    let working = add_working_days(now, manifest.rights_response_working_days);
    match (kind, manifest.rights_response_days) {
        (RightKind::Access, _) | (_, None) => working,
        (_, Some(days)) => working.min(now + Duration::days(i64::from(days))),
    }
}

/// Files a request; durable when the transaction commits, submitted by the next sync.
pub fn file(
    tx: &Transaction<'_>,
    manifest: &Manifest,
    kind: RightKind,
    detail: &str,
    step_up_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RightsRequest> {
    let step_up_code = step_up_code.map(check_code).transpose()?;
    if detail.len() > MAX_DETAIL_BYTES
        || detail
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::InvalidInput {
            reason: format!(
                "detail must be at most {MAX_DETAIL_BYTES} bytes without control characters"
            ),
        });
    }
    let request = RightsRequest {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        detail: detail.to_string(),
        status: RequestStatus::Queued,
        created_at: now,
        due_at: due_at(manifest, kind, now),
        answer: None,
        awaiting_code: step_up_code.is_none(),
        overdue: false,
    };
    tx.execute(
        "INSERT INTO rights_requests (id, kind, detail, status, created_at, due_at, step_up_code)
         VALUES (?1, ?2, seal(?3, 'rights_requests.detail', ?1), 'queued', ?4, ?5,
             seal(?6, 'rights_requests.step_up_code', ?1))",
        params![
            request.id,
            kind.as_str(),
            request.detail,
            now.to_rfc3339(),
            request.due_at.to_rfc3339(),
            step_up_code
        ],
    )?;
    Ok(request)
}

/// Gives queued request `id` the step-up code the person entered for it; false when no
/// such request is queued.
pub fn set_code(tx: &Transaction<'_>, id: &str, code: &str) -> Result<bool> {
    let code = check_code(code)?;
    Ok(tx.execute(
        "UPDATE rights_requests SET step_up_code = seal(?2, 'rights_requests.step_up_code', ?1)
         WHERE id = ?1 AND status = 'queued'",
        params![id, code],
    )? == 1)
}

/// Forgets the code of request `id` (the server refused it): the request waits for a new one.
pub fn clear_code(tx: &Transaction<'_>, id: &str) -> StorageResult<()> {
    tx.execute(
        "UPDATE rights_requests SET step_up_code = NULL WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// Queued requests that have a step-up code to go with them, oldest first.
pub fn sendable(conn: &Connection) -> StorageResult<Vec<(RightsRequest, String)>> {
    let mut stmt = conn.prepare(concat!(
        columns!(),
        ", unseal(step_up_code, 'rights_requests.step_up_code', id) FROM rights_requests
         WHERE status = 'queued' AND step_up_code IS NOT NULL ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], |r| Ok((from_row(r)?, r.get(8)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const SELECT: &str = concat!(columns!(), " FROM rights_requests");

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RightsRequest> {
    let kind: String = r.get(1)?;
    let status: String = r.get(3)?;
    let time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        let text: String = r.get(i)?;
        Ok(DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default())
    };
    Ok(RightsRequest {
        id: r.get(0)?,
        kind: RightKind::parse(&kind).unwrap_or(RightKind::Access),
        detail: r.get(2)?,
        status: RequestStatus::parse(&status),
        created_at: time(4)?,
        due_at: time(5)?,
        answer: r.get(6)?,
        awaiting_code: status == "queued" && r.get::<_, bool>(7)?,
        overdue: matches!(status.as_str(), "queued" | "received") && time(5)? < Utc::now(),
    })
}

/// Every request, newest first.
pub fn list(conn: &Connection) -> StorageResult<Vec<RightsRequest>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY created_at DESC, id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether some request still waits for an answer (sync then asks the server).
pub fn any_open(conn: &Connection) -> StorageResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM rights_requests WHERE status IN ('queued', 'received'))",
        [],
        |r| r.get(0),
    )?)
}

/// The queued account cancellation, if the user asked for one that is not done yet.
pub fn pending_cancellation(conn: &Connection) -> StorageResult<Option<RightsRequest>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE kind = 'cancellation' AND status = 'queued'"),
            [],
            from_row,
        )
        .optional()?)
}

/// Applies the server's record of a request.
pub fn update(tx: &Transaction<'_>, state: &RightsRequestState) -> StorageResult<()> {
    let status = match state.status.as_str() {
        "completed" => RequestStatus::Completed,
        "refused" => RequestStatus::Refused,
        _ => RequestStatus::Received,
    };
    tx.execute(
        "UPDATE rights_requests SET status = ?2, answer = seal(?3, 'rights_requests.answer', ?1),
             submitted_at = COALESCE(submitted_at, ?4), step_up_code = NULL,
             answered_at = CASE WHEN ?2 IN ('completed', 'refused')
                                THEN COALESCE(answered_at, ?5) END
         WHERE id = ?1",
        params![
            state.id,
            status.as_str(),
            state.answer,
            state.received_at.to_rfc3339(),
            Utc::now().to_rfc3339()
        ],
    )?;
    Ok(())
}

/// Days a closed request (its text and its answer) stays on the device after the server
/// closed it, as the order records do after their order closes; the server keeps its own
/// record apart (the archive).
pub const KEEP_CLOSED_DAYS: i64 = 90;

/// Deletes the requests the server closed more than [`KEEP_CLOSED_DAYS`] before `now`
/// (on the index of `answered_at`); returns how many.
pub fn sweep(tx: &Transaction<'_>, now: DateTime<Utc>) -> StorageResult<usize> {
    let cutoff = (now - Duration::days(KEEP_CLOSED_DAYS)).to_rfc3339();
    Ok(tx.execute(
        "DELETE FROM rights_requests WHERE answered_at <= ?1",
        [cutoff],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fifteen_working_days_skip_weekends() {
        // Friday 2026-11-20 + 15 working days = Friday 2026-12-11 (three weekends skipped).
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        assert_eq!(
            add_working_days(friday, 15),
            Utc.with_ymd_and_hms(2026, 12, 11, 9, 0, 0).unwrap()
        );
        let saturday = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
        assert_eq!(
            add_working_days(saturday, 1),
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_copy_gets_fifteen_working_days_and_other_requests_fifteen_days() {
        let m = Manifest::parse(crate::privacy::manifest::builtin(
            waybill_protocol::Role::Driver,
        ))
        .unwrap();
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        assert_eq!(
            due_at(&m, RightKind::Access, friday),
            Utc.with_ymd_and_hms(2026, 12, 11, 9, 0, 0).unwrap(),
            "seed 002: a copy within 15 working days"
        );
        for kind in [
            RightKind::Correction,
            RightKind::Deletion,
            RightKind::Cancellation,
        ] {
            assert_eq!(
                due_at(&m, kind, friday),
                Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap(),
                "seed 002: other requests within 15 days"
            );
        }
    }

    #[test]
    fn a_closed_request_stays_ninety_days_after_its_answer_and_an_open_one_stays() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(dir.path(), &crate::db::test_key()).unwrap();
        let m = Manifest::parse(crate::privacy::manifest::builtin(
            waybill_protocol::Role::Driver,
        ))
        .unwrap();
        let answered = db
            .write(|tx| {
                file(
                    tx,
                    &m,
                    RightKind::Correction,
                    "fix my plate",
                    None,
                    Utc::now(),
                )
            })
            .unwrap();
        let open = db
            .write(|tx| file(tx, &m, RightKind::Access, "a copy", None, Utc::now()))
            .unwrap();
        let state = |id: &str, status: &str| RightsRequestState {
            id: id.into(),
            kind: RightKind::Correction,
            status: status.into(),
            received_at: Utc::now(),
            due_at: Utc::now(),
            answer: Some("corrected".into()),
        };
        db.write(|tx| update(tx, &state(&answered.id, "completed")))
            .unwrap();
        db.write(|tx| update(tx, &state(&open.id, "received")))
            .unwrap();
        let days = |d: i64| Utc::now() + Duration::days(d);
        assert_eq!(db.write(|tx| sweep(tx, days(89))).unwrap(), 0);
        assert_eq!(db.write(|tx| sweep(tx, days(91))).unwrap(), 1);
        let left: Vec<String> = db.read(list).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(left, [open.id], "an open request is never swept");
    }

    #[test]
    fn an_unanswered_request_past_its_deadline_is_flagged_overdue() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(dir.path(), &crate::db::test_key()).unwrap();
        let m = Manifest::parse(crate::privacy::manifest::builtin(
            waybill_protocol::Role::Driver,
        ))
        .unwrap();
        let long_ago = Utc::now() - Duration::days(40);
        let old = db
            .write(|tx| {
                file(
                    tx,
                    &m,
                    RightKind::Deletion,
                    "delete my trips",
                    None,
                    long_ago,
                )
            })
            .unwrap();
        let fresh = db
            .write(|tx| file(tx, &m, RightKind::Access, "a copy", None, Utc::now()))
            .unwrap();
        let listed = db.read(list).unwrap();
        let flag = |id: &str| listed.iter().find(|r| r.id == id).unwrap().overdue;
        assert!(flag(&old.id) && !flag(&fresh.id));
        db.write(|tx| {
            tx.execute(
                "UPDATE rights_requests SET status = 'completed' WHERE id = ?1",
                [&old.id],
            )?;
            Ok::<_, crate::db::StorageError>(())
        })
        .unwrap();
        let listed = db.read(list).unwrap();
        assert!(
            !listed.iter().find(|r| r.id == old.id).unwrap().overdue,
            "answered: not overdue"
        );
    }
}
