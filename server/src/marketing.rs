//! Marketing messages (P-64): the operator publishes ([`publish`]); `GET /v1/marketing`
//! serves the last 30 days of them to an account whose newest `marketing` consent receipt
//! is a grant, and nothing to anyone else. The device asks only while its own consent is
//! live and shows each message with an unsubscribe that withdraws it; the withdrawal's
//! receipt reaching the server ends the messages here too, so neither side alone decides.

use axum::extract::{Extension, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, params};
use waybill_protocol::ErrorCode;
use waybill_protocol::notices::{MAX_NOTICES, MarketingMessage, MarketingMessages};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::access::Caller;
use crate::api::{AppState, Failure};
use crate::store::{StoreError, StoreResult};

/// The table: each message as published.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS marketing_messages (
    id           TEXT PRIMARY KEY NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_ms INTEGER NOT NULL
) STRICT;
";

/// How long a message is served after publication.
pub const SERVED_FOR: TimeDelta = TimeDelta::days(30);

/// Publishes `message` (a second publication of its id is a no-op: false).
pub fn publish(conn: &Connection, message: &MarketingMessage) -> StoreResult<bool> {
    if !message.is_valid() {
        return Err(StoreError::Refused {
            code: ErrorCode::BadRequest,
            message: "a marketing message needs an id, a title and a body".into(),
        });
    }
    Ok(conn.execute(
        "INSERT OR IGNORE INTO marketing_messages (id, title, body, published_ms)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            message.id,
            message.title,
            message.body,
            message.published_at.timestamp_millis()
        ],
    )? == 1)
}

/// Whether `account`'s newest decision on `marketing` (by its ledger's order) is a grant.
fn consented(conn: &Connection, account: &str) -> StoreResult<bool> {
    let kind: Option<String> = conn
        .prepare_cached(
            "SELECT kind FROM consent_receipts
             WHERE account_id = ?1 AND purpose = 'marketing'
               AND kind IN ('granted', 'refused', 'withdrawn')
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([account], |r| r.get(0))
        .ok();
    Ok(kind.as_deref() == Some("granted"))
}

/// The messages `account` may get at `now`.
pub fn for_account(
    conn: &Connection,
    account: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<MarketingMessage>> {
    if !consented(conn, account)? {
        return Ok(vec![]);
    }
    let rows = conn
        .prepare_cached(
            "SELECT id, title, body, published_ms FROM marketing_messages
             WHERE published_ms >= ?1 ORDER BY published_ms, id LIMIT ?2",
        )?
        .query_map(
            params![(now - SERVED_FOR).timestamp_millis(), MAX_NOTICES as i64],
            |r| {
                Ok(MarketingMessage {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    body: r.get(2)?,
                    published_at: DateTime::from_timestamp_millis(r.get(3)?).unwrap_or_default(),
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Routes of the signed-in account.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/marketing", get(list))
}

#[utoipa::path(get, path = "/v1/marketing", tag = "notices", security(("bearer" = [])),
    description = "Marketing messages of the last 30 days (P-64), only to an account whose newest `marketing` consent receipt is a grant: `[]` for everyone else, and from the moment a withdrawal's receipt arrives. Each is shown on the device with an unsubscribe that withdraws the consent.",
    responses((status = 200, body = MarketingMessages), (status = 401, body = ApiError),
        (status = 410, body = ApiError)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<MarketingMessages>, Failure> {
    let messages = state
        .with_db(move |c| for_account(c, &caller.account, Utc::now()))
        .await?;
    Ok(Json(MarketingMessages { messages }))
}
