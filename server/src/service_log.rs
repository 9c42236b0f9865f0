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
use crate::store::{StoreError, StoreResult};

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
CREATE INDEX IF NOT EXISTS service_events_by_account ON service_events (account_id, received_ms);
";

/// Routes of the signed-in account.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/service-events", axum::routing::post(store_events))
}

#[utoipa::path(post, path = "/v1/service-events", tag = "privacy", security(("bearer" = [])),
    description = "Service-log events (appointment, navigation, pickup, arrival, sign-off) the device recorded under the `service_logs` consent (P-37). Each `event_id` is stored once per account, so a retry is a no-op; the reply says the events are held and under which retention class, and the device then deletes its copies. Kept 180 days after receipt, then swept; at most 5,000 events an account a day (`rate_limited` past it). Drivers only: the shipper policy declares no service logs.",
    request_body = ServiceEvents,
    responses((status = 200, body = ServiceEventsHeld), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 410, body = ApiError), (status = 413, body = ApiError),
        (status = 429, body = ApiError)))]
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

/// Events one account may send in a day: a driver's working day is a few hundred; this
/// bounds what a misbehaving or hostile client can make the server keep for 180 days.
pub const MAX_EVENTS_PER_DAY: i64 = 5_000;

/// Stores the events not stored yet; returns how many of the request are held. Refused
/// with `rate_limited` past [`MAX_EVENTS_PER_DAY`] received in the last 24 hours.
pub fn store(
    conn: &mut Connection,
    caller: &Caller,
    req: &ServiceEvents,
    now: DateTime<Utc>,
) -> StoreResult<u32> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let today: i64 = tx.query_row(
        "SELECT count(*) FROM service_events WHERE account_id = ?1 AND received_ms > ?2",
        params![caller.account, (now - Duration::days(1)).timestamp_millis()],
        |r| r.get(0),
    )?;
    if today + req.events.len() as i64 > MAX_EVENTS_PER_DAY {
        return Err(StoreError::Refused {
            code: ErrorCode::RateLimited,
            message: format!("at most {MAX_EVENTS_PER_DAY} service events a day"),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use waybill_protocol::service_log::{ServiceEvent, ServiceEventKind};

    #[test]
    fn an_account_cannot_make_the_server_keep_more_than_a_days_cap() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open(&dir.path().join("s.sqlite3")).unwrap();
        let now = Utc::now();
        conn.execute(
            "INSERT INTO accounts (id, role, phone, age, created_at) VALUES ('a', 'driver', '+15550000009', 'adult', ?1)",
            [now.to_rfc3339()],
        )
        .unwrap();
        let caller = Caller {
            account: "a".into(),
            role: waybill_protocol::Role::Driver,
            device: "d".into(),
        };
        let batch = |from: usize| ServiceEvents {
            events: (from..from + MAX_EVENTS)
                .map(|i| ServiceEvent {
                    event_id: format!("e{i}"),
                    kind: ServiceEventKind::NavigationOpened,
                    order_id: None,
                    at: now,
                })
                .collect(),
        };
        let per_day = usize::try_from(MAX_EVENTS_PER_DAY).unwrap() / MAX_EVENTS;
        for n in 0..per_day {
            store(&mut conn, &caller, &batch(n * MAX_EVENTS), now).unwrap();
        }
        let over = store(&mut conn, &caller, &batch(per_day * MAX_EVENTS), now);
        assert!(matches!(
            over,
            Err(StoreError::Refused {
                code: ErrorCode::RateLimited,
                ..
            })
        ));
        // A day later the window has moved on.
        store(
            &mut conn,
            &caller,
            &batch(per_day * MAX_EVENTS),
            now + Duration::days(1) + Duration::seconds(1),
        )
        .unwrap();
    }
}
