//! Service logs (P-37): the events a device sends under its `service_logs` consent, kept
//! as network logs for [`RETENTION_DAYS`] after receipt (the Cybersecurity Law asks at
//! least six months), then swept. A closing moves them under the archive id with the
//! other records owed to a regulator; the sweep still ends them on time. Nothing reads
//! them back over the API: they are the operator's record, not the person's feed.

use axum::extract::{Extension, State};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};
use waybill_protocol::service_log::{
    MAX_EVENTS, RETENTION_CLASS, RETENTION_DAYS, ServiceEvents, ServiceEventsHeld,
};
use waybill_protocol::{ErrorCode, Role, limits};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::access::Caller;
use crate::api::{AppState, Failure, json_body};
use crate::store::StoreResult;

/// The table.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS service_events (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    order_id    TEXT,
    at          TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, event_id)
) STRICT;
CREATE INDEX IF NOT EXISTS service_events_by_receipt ON service_events (received_ms);
";

/// Routes of the signed-in account.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/service-events", axum::routing::post(store_events))
}

#[utoipa::path(post, path = "/v1/service-events", tag = "privacy", security(("bearer" = [])),
    description = "Service-log events (appointment, navigation, pickup, arrival, sign-off) the device recorded under the `service_logs` consent (P-37). Each `event_id` is stored once per account, so a retry is a no-op; the reply says the events are held and under which retention class, and the device then deletes its copies. Kept 180 days after receipt, then swept. Drivers only: the shipper policy declares no service logs.",
    request_body = ServiceEvents,
    responses((status = 200, body = ServiceEventsHeld), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 410, body = ApiError), (status = 413, body = ApiError)))]
pub(crate) async fn store_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<ServiceEvents>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ServiceEventsHeld>, Failure> {
    // Only the driver's policy declares service logs: a shipper's are not taken.
    caller.require(Role::Driver)?;
    let req = json_body(body)?;
    let bad = |m: &str| Failure::new(ErrorCode::BadRequest, m);
    if req.events.is_empty() || req.events.len() > MAX_EVENTS {
        return Err(bad("events: 1..=200"));
    }
    for e in &req.events {
        if !limits::is_valid_id(&e.event_id) {
            return Err(bad("event_id: 1..=128 characters of [A-Za-z0-9._:-]"));
        }
        if e.order_id
            .as_deref()
            .is_some_and(|o| !limits::is_valid_id(o))
        {
            return Err(bad("order_id: an id"));
        }
    }
    let held = state
        .with_db(move |c| store(c, &caller, &req, Utc::now()))
        .await?;
    Ok(Json(ServiceEventsHeld {
        held,
        retention_class: RETENTION_CLASS.to_string(),
        kept_days: RETENTION_DAYS,
    }))
}

/// Stores the events not stored yet; returns how many of the request are held.
pub fn store(
    conn: &mut Connection,
    caller: &Caller,
    req: &ServiceEvents,
    now: DateTime<Utc>,
) -> StoreResult<u32> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO service_events
                 (account_id, event_id, kind, order_id, at, received_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for e in &req.events {
            insert.execute(params![
                caller.account,
                e.event_id,
                e.kind.as_str(),
                e.order_id,
                e.at.to_rfc3339(),
                now.timestamp_millis()
            ])?;
        }
    }
    tx.commit()?;
    Ok(u32::try_from(req.events.len()).unwrap_or(u32::MAX))
}

/// Deletes the events received more than [`RETENTION_DAYS`] before `now`.
pub fn sweep(conn: &Connection, now: DateTime<Utc>) -> StoreResult<usize> {
    let before = now - Duration::days(i64::from(RETENTION_DAYS));
    Ok(conn.execute(
        "DELETE FROM service_events WHERE received_ms < ?1",
        [before.timestamp_millis()],
    )?)
}
