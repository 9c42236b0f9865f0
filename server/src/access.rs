//! Who may do what: the caller is authenticated before any body is read, and every rule
//! about a caller's right to an order lives here, so each endpoint asks the same question
//! before it looks at anything else.
//!
//! One rule for refusals: "not yours" and "does not exist" get the same reply
//! ([`not_yours`]), so no endpoint tells a stranger whether an order, an upload or a
//! point exists.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use waybill_protocol::{ErrorCode, OrderStatus, Role};

use crate::api::{AppState, Failure};
use crate::store::{StoreError, StoreResult};

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Account id.
    pub account: String,
    /// The role the account registered with.
    pub role: Role,
    /// The server's id of the signed-in device the token belongs to.
    pub device: String,
}

impl Caller {
    /// Refuses a caller whose role may not use the operation (before anything is read).
    pub fn require(&self, role: Role) -> Result<(), StoreError> {
        if self.role == role {
            Ok(())
        } else {
            Err(forbidden())
        }
    }
}

/// The one refusal for an order (or anything under it) the caller may not see, whether
/// or not it exists.
pub fn not_yours() -> StoreError {
    StoreError::Refused {
        code: ErrorCode::OrderNotFound,
        message: "no such order of yours".into(),
    }
}

/// The refusal for a caller whose role may not use the operation.
pub fn forbidden() -> StoreError {
    StoreError::Refused {
        code: ErrorCode::Forbidden,
        message: "this account's role cannot do this".into(),
    }
}

/// How the caller stands to one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The driver who holds it now.
    Holder,
    /// The shipper who placed it.
    Shipper,
    /// Anyone else, including a driver who held it before and does not now; also what a
    /// missing order looks like.
    None,
}

/// What the store knows of an order for access decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderAccess {
    /// How the caller stands to it.
    pub standing: Standing,
    /// Its status.
    pub status: OrderStatus,
    /// When it was delivered, if it was (server time, RFC 3339).
    pub delivered_at: Option<String>,
}

/// How `account` stands to `order_id`, or `None` when there is no such order.
pub fn order_access(
    conn: &Connection,
    account: &str,
    order_id: &str,
) -> StoreResult<Option<OrderAccess>> {
    let row: Option<(Option<String>, Option<String>, String)> = conn
        .query_row(
            "SELECT assigned_to, shipper_id, status FROM orders WHERE id = ?1",
            [order_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((holder, shipper, status)) = row else {
        return Ok(None);
    };
    let standing = if holder.as_deref() == Some(account) {
        Standing::Holder
    } else if shipper.as_deref() == Some(account) {
        Standing::Shipper
    } else {
        Standing::None
    };
    let status = OrderStatus::parse(&status).unwrap_or(OrderStatus::Cancelled);
    let delivered_at = if status == OrderStatus::Delivered {
        conn.query_row(
            "SELECT max(at) FROM order_events WHERE order_id = ?1 AND kind = 'delivered'",
            params![order_id],
            |r| r.get(0),
        )?
    } else {
        None
    };
    Ok(Some(OrderAccess {
        standing,
        status,
        delivered_at,
    }))
}

/// How long after delivery the holder may still send what it recorded on the way
/// (trajectory, proofs): the sign-off usually reaches the server before the photo does.
pub const AFTER_DELIVERY: chrono::Duration = chrono::Duration::hours(72);

/// The caller may read the order's history and trajectory: its driver or its shipper.
pub fn may_read(conn: &Connection, account: &str, order_id: &str) -> StoreResult<()> {
    match order_access(conn, account, order_id)? {
        Some(a) if a.standing != Standing::None => Ok(()),
        _ => Err(not_yours()),
    }
}

/// The caller may send data recorded for the order (trajectory, proofs): it holds the
/// order, which is not cancelled and not delivered longer ago than [`AFTER_DELIVERY`].
pub fn may_send_for(
    conn: &Connection,
    account: &str,
    order_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
    let Some(a) = order_access(conn, account, order_id)? else {
        return Err(not_yours());
    };
    if a.standing != Standing::Holder {
        return Err(not_yours());
    }
    let open = match a.status {
        OrderStatus::Cancelled => false,
        OrderStatus::Delivered => a
            .delivered_at
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .is_some_and(|t| now - t.with_timezone(&chrono::Utc) <= AFTER_DELIVERY),
        _ => true,
    };
    if open {
        Ok(())
    } else {
        Err(StoreError::Refused {
            code: ErrorCode::InvalidTransition,
            message: "the order is closed: nothing more is taken for it".into(),
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

/// The caller a bearer token names.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, Failure> {
    let token = bearer(headers)
        .map(str::to_owned)
        .ok_or_else(|| Failure::new(ErrorCode::Unauthorized, "missing bearer token"))?;
    state
        .with_db(move |c| crate::devices::caller_for_token(c, &token))
        .await
}

/// Middleware: authenticates before the handler runs (so before any body is read) and
/// hands the [`Caller`] to the handler as a request extension. tus routes get tus's
/// plain refusal, the others the contract's JSON error.
pub async fn require_caller(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state, request.headers()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(failure) if request.uri().path().starts_with("/v1/uploads") => {
            crate::tus::unauthorized(failure)
        }
        Err(failure) => failure.into_response(),
    }
}
