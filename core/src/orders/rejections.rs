//! Actions the server refused for good, kept until the UI has shown them: a conflict is
//! surfaced, never silently dropped.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use waybill_protocol::ActionKind;

use crate::db::StorageResult;

/// Why the server refused a queued action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionReason {
    /// Another driver accepted the order first.
    TakenByAnotherDriver,
    /// The shipper cancelled the order.
    OrderCancelled,
    /// The order no longer exists.
    OrderNotFound,
    /// The order's status on the server does not allow it (e.g. already delivered).
    NotAllowedNow,
    /// An earlier action on the same order was refused, so this one was dropped with it.
    EarlierActionRefused,
    /// The server judged the request invalid (a client bug; reported, not retried).
    Invalid,
}

impl RejectionReason {
    fn as_str(self) -> &'static str {
        match self {
            RejectionReason::TakenByAnotherDriver => "taken_by_another_driver",
            RejectionReason::OrderCancelled => "order_cancelled",
            RejectionReason::OrderNotFound => "order_not_found",
            RejectionReason::NotAllowedNow => "not_allowed_now",
            RejectionReason::EarlierActionRefused => "earlier_action_refused",
            RejectionReason::Invalid => "invalid",
        }
    }

    fn parse(s: &str) -> RejectionReason {
        match s {
            "taken_by_another_driver" => RejectionReason::TakenByAnotherDriver,
            "order_cancelled" => RejectionReason::OrderCancelled,
            "order_not_found" => RejectionReason::OrderNotFound,
            "not_allowed_now" => RejectionReason::NotAllowedNow,
            "earlier_action_refused" => RejectionReason::EarlierActionRefused,
            _ => RejectionReason::Invalid,
        }
    }
}

/// What the user can do about a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Acknowledge: the server's state stands.
    Dismiss,
    /// Take the same action again (offered only when it is possible now).
    Retry,
}

/// A refused action, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Local id, for [`dismiss`].
    pub id: i64,
    /// Order the action was about.
    pub order_id: String,
    /// The action (`accept`, `pick_up`, `deliver`, `report_exception`).
    pub action: String,
    /// Why it was refused.
    pub reason: RejectionReason,
    /// When the user took the action (their fact).
    pub taken_at: Option<DateTime<Utc>>,
    /// The order's status as the server has it now (its fact), if the order is known.
    pub order_status: Option<waybill_protocol::OrderStatus>,
    /// What the UI can offer.
    pub choices: Vec<Resolution>,
    /// When the refusal arrived.
    pub rejected_at: DateTime<Utc>,
}

/// Stores a refusal.
pub fn record(
    tx: &Transaction<'_>,
    order_id: &str,
    action: &str,
    reason: RejectionReason,
    taken_at: DateTime<Utc>,
) -> StorageResult<Rejection> {
    let now = Utc::now();
    tx.execute(
        "INSERT INTO rejections (order_id, action, reason, rejected_at, taken_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            order_id,
            action,
            reason.as_str(),
            now.to_rfc3339(),
            taken_at.to_rfc3339()
        ],
    )?;
    with_current_facts(
        tx,
        Rejection {
            id: tx.last_insert_rowid(),
            order_id: order_id.to_string(),
            action: action.to_string(),
            reason,
            rejected_at: now,
            taken_at: Some(taken_at),
            order_status: None,
            choices: vec![Resolution::Dismiss],
        },
    )
}

/// Fills in the server's fact (the order's status now) and the choices the UI can offer,
/// from the order as it stands.
fn with_current_facts(conn: &Connection, mut rejection: Rejection) -> StorageResult<Rejection> {
    let order = super::get(conn, &rejection.order_id)?;
    if let (Some(order), Some(kind)) = (&order, ActionKind::parse(&rejection.action))
        && super::actions::is_possible(order, kind)
    {
        rejection.choices.push(Resolution::Retry);
    }
    rejection.order_status = order.map(|o| o.status);
    Ok(rejection)
}

/// Refusals not yet dismissed, oldest first.
pub fn list(conn: &Connection) -> StorageResult<Vec<Rejection>> {
    let mut stmt = conn.prepare(
        "SELECT id, order_id, reason, rejected_at, action, taken_at FROM rejections ORDER BY id",
    )?;
    let time = |text: Option<String>| {
        text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let rows: Vec<Rejection> = stmt
        .query_map([], |r| {
            let reason: String = r.get(2)?;
            Ok(Rejection {
                id: r.get(0)?,
                order_id: r.get(1)?,
                action: r.get(4)?,
                reason: RejectionReason::parse(&reason),
                rejected_at: time(r.get(3)?).unwrap_or_default(),
                taken_at: time(r.get(5)?),
                order_status: None,
                choices: vec![Resolution::Dismiss],
            })
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|r| with_current_facts(conn, r))
        .collect()
}

/// Forgets a refusal the user has seen. Dismissing an unknown id is a no-op.
pub fn dismiss(tx: &Transaction<'_>, id: i64) -> StorageResult<()> {
    tx.execute("DELETE FROM rejections WHERE id = ?1", [id])?;
    Ok(())
}
