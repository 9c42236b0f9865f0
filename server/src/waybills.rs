//! Waybill query (seed 000): each order's waybill number, drawn when the order is made;
//! `GET /v1/waybills/{number}` gives anyone holding it the status and public milestones
//! (no account, person, place or words); a signed-in account may follow up to
//! [`MAX_FOLLOWED`] numbers and is pushed `waybills` when one changes by another's hand.
//! A number is the only key: unknown and malformed numbers are told apart only by shape,
//! and a number absent from the store gets the reply a missing order gets.

use axum::extract::{Extension, Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use waybill_protocol::waybills::{
    FollowedNumbers, FollowedWaybills, MAX_FOLLOWED, Milestone, MilestoneKind, WaybillStatus,
    is_waybill_number, waybill_number_from,
};
use waybill_protocol::{ErrorCode, OrderStatus};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::access::Caller;
use crate::api::{AppState, Failure, json_body};
use crate::store::{StoreError, StoreResult};

/// The tables: one number per order; who follows which order.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS waybills (
    number   TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL UNIQUE REFERENCES orders (id)
) STRICT;
CREATE TABLE IF NOT EXISTS waybill_follows (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    order_id    TEXT NOT NULL REFERENCES orders (id),
    followed_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, order_id)
) STRICT;
CREATE INDEX IF NOT EXISTS waybill_follows_by_order ON waybill_follows (order_id);
";

/// How long a follow outlives its order's close: the number is still looked at after
/// delivery, then nothing more can happen to it.
pub const FOLLOW_AFTER_CLOSE: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// Gives `order_id` a waybill number if it has none (a new order, or one from before
/// numbers). Drawn from the system's randomness; a collision draws again.
pub(crate) fn assign(conn: &Connection, order_id: &str) -> StoreResult<()> {
    loop {
        let mut bytes = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| refused(ErrorCode::Internal, "no randomness"))?;
        let number = waybill_number_from(u64::from_le_bytes(bytes));
        let inserted = conn
            .prepare_cached(
                "INSERT INTO waybills (number, order_id) SELECT ?1, ?2
                 WHERE NOT EXISTS (SELECT 1 FROM waybills WHERE order_id = ?2)
                 ON CONFLICT (number) DO NOTHING",
            )?
            .execute(params![number, order_id])?;
        let has_one = inserted == 1
            || conn
                .prepare_cached("SELECT 1 FROM waybills WHERE order_id = ?1")?
                .exists([order_id])?;
        if has_one {
            return Ok(());
        }
    }
}

/// Numbers every order made before waybill numbers existed (opening an older store).
pub(crate) fn backfill(conn: &Connection) -> StoreResult<()> {
    let missing: Vec<String> = conn
        .prepare("SELECT id FROM orders WHERE id NOT IN (SELECT order_id FROM waybills)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in missing {
        assign(conn, &id)?;
    }
    Ok(())
}

fn refused(code: ErrorCode, message: &str) -> StoreError {
    StoreError::Refused {
        code,
        message: message.into(),
    }
}

fn no_such_waybill() -> StoreError {
    refused(ErrorCode::OrderNotFound, "no such waybill")
}

/// A number from the path, checked for shape.
fn number_param(number: String) -> Result<String, Failure> {
    if is_waybill_number(&number) {
        Ok(number)
    } else {
        Err(Failure::new(
            ErrorCode::BadRequest,
            "a waybill number is 18 digits, the last a Luhn check digit",
        ))
    }
}

/// The public status of the order numbered `number`.
pub fn public_status(conn: &Connection, number: &str) -> StoreResult<WaybillStatus> {
    let (order_id, status): (String, String) = conn
        .prepare_cached(
            "SELECT o.id, o.status FROM waybills w JOIN orders o ON o.id = w.order_id
             WHERE w.number = ?1",
        )?
        .query_row([number], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(no_such_waybill)?;
    let milestones = conn
        .prepare_cached("SELECT kind, at FROM order_events WHERE order_id = ?1 ORDER BY id")?
        .query_map([&order_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .filter_map(|row| {
            let (kind, at) = row.ok()?;
            Some(Milestone {
                kind: MilestoneKind::of_event(&kind)?,
                at: DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc),
            })
        })
        .collect();
    Ok(WaybillStatus {
        number: number.to_string(),
        status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Cancelled),
        milestones,
    })
}

/// The waybills `account` follows, each as the public sees it.
fn followed_by(conn: &Connection, account: &str) -> StoreResult<Vec<WaybillStatus>> {
    let numbers: Vec<String> = conn
        .prepare_cached(
            "SELECT w.number FROM waybill_follows f JOIN waybills w ON w.order_id = f.order_id
             WHERE f.account_id = ?1 ORDER BY f.followed_ms, w.number",
        )?
        .query_map([account], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    numbers.iter().map(|n| public_status(conn, n)).collect()
}

/// Queues a `waybills` push to each follower of `order_id` with a token, but the actor and
/// the order's parties (they are told of it as parties): inside the change's transaction.
pub(crate) fn queue_followers(
    tx: &Transaction<'_>,
    order_id: &str,
    actor: &str,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO push_queue (account_id, topic)
         SELECT f.account_id, ?3 FROM waybill_follows f JOIN orders o ON o.id = f.order_id
         WHERE f.order_id = ?1 AND f.account_id != ?2
           AND f.account_id IS NOT o.shipper_id AND f.account_id IS NOT o.assigned_to
           AND EXISTS (SELECT 1 FROM push_tokens t WHERE t.account_id = f.account_id)",
    )?
    .execute(params![
        order_id,
        actor,
        waybill_protocol::push::PushTopic::Waybills.as_str()
    ])?;
    Ok(())
}

/// Forgets the follows of orders closed more than [`FOLLOW_AFTER_CLOSE`] ago.
pub fn sweep(conn: &Connection, now: DateTime<Utc>) -> StoreResult<usize> {
    Ok(conn.execute(
        "DELETE FROM waybill_follows WHERE order_id IN (
             SELECT id FROM orders WHERE status IN ('delivered', 'cancelled')
                 AND updated_at < ?1)",
        [(now - FOLLOW_AFTER_CLOSE).to_rfc3339()],
    )?)
}

/// Forgets every follow of `account` (its closing).
pub(crate) fn forget_account(tx: &Transaction<'_>, account: &str) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM waybill_follows WHERE account_id = ?1",
        [account],
    )?;
    Ok(())
}

/// The public route.
pub fn public_routes() -> Router<AppState> {
    Router::new().route("/v1/waybills/{number}", get(query))
}

/// Routes of the signed-in account.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/waybill-follows", get(followed).put(replace))
        .route("/v1/waybill-follows/{number}", axum::routing::put(follow))
}

#[utoipa::path(get, path = "/v1/waybills/{number}", tag = "waybills",
    description = "A waybill's public status (seed 000's waybill query): the order's status and milestones (what happened and when). Never a person's data: no account, name, phone, address, label, goods, fee or position. No account is needed; the number is the key (17 random digits and a check digit).",
    params(("number" = String, Path, description = "waybill number", pattern = r"^[0-9]{18}$")),
    responses((status = 200, body = WaybillStatus), (status = 400, body = ApiError),
        (status = 404, body = ApiError)))]
pub(crate) async fn query(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Json<WaybillStatus>, Failure> {
    let number = number_param(number)?;
    let status = state.with_db(move |c| public_status(c, &number)).await?;
    Ok(Json(status))
}

#[utoipa::path(get, path = "/v1/waybill-follows", tag = "waybills", security(("bearer" = [])),
    description = "The waybills the caller follows, each as the public sees it.",
    responses((status = 200, body = FollowedWaybills), (status = 401, body = ApiError),
        (status = 410, body = ApiError)))]
pub(crate) async fn followed(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<FollowedWaybills>, Failure> {
    let waybills = state
        .with_db(move |c| followed_by(c, &caller.account))
        .await?;
    Ok(Json(FollowedWaybills { waybills }))
}

#[utoipa::path(put, path = "/v1/waybill-follows/{number}", tag = "waybills", security(("bearer" = [])),
    description = "Follows a waybill: its changes by another's hand push `{\"v\":1,\"refresh\":\"waybills\"}` to the caller's devices with a token. Idempotent. At most 50 at a time; a follow ends 30 days after its order closes, and at the account's closing.",
    params(("number" = String, Path, description = "waybill number", pattern = r"^[0-9]{18}$")),
    responses((status = 200, body = WaybillStatus), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 404, body = ApiError),
        (status = 410, body = ApiError)))]
pub(crate) async fn follow(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(number): Path<String>,
) -> Result<Json<WaybillStatus>, Failure> {
    let number = number_param(number)?;
    let status = state
        .with_db(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let status = public_status(&tx, &number)?;
            let count: i64 = tx.query_row(
                "SELECT count(*) FROM waybill_follows WHERE account_id = ?1",
                [&caller.account],
                |r| r.get(0),
            )?;
            let inserted = tx.execute(
                "INSERT INTO waybill_follows (account_id, order_id, followed_ms)
                 SELECT ?1, order_id, ?3 FROM waybills WHERE number = ?2
                 ON CONFLICT DO NOTHING",
                params![caller.account, number, Utc::now().timestamp_millis()],
            )?;
            if inserted == 1 && count >= MAX_FOLLOWED as i64 {
                return Err(refused(
                    ErrorCode::BadRequest,
                    "at most 50 followed waybills: unfollow one first",
                ));
            }
            tx.commit()?;
            Ok(status)
        })
        .await?;
    Ok(Json(status))
}

#[utoipa::path(put, path = "/v1/waybill-follows", tag = "waybills", security(("bearer" = [])),
    description = "Replaces the waybills the caller follows with `numbers` (the device's list after the person forgot one, cleared their convenience data or withdrew its consent; `[]` follows none). Numbers of no order are dropped. Idempotent. Replies with the waybills followed now.",
    request_body = FollowedNumbers,
    responses((status = 200, body = FollowedWaybills), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 410, body = ApiError),
        (status = 413, body = ApiError)))]
pub(crate) async fn replace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<FollowedNumbers>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FollowedWaybills>, Failure> {
    let req = json_body(body)?;
    if !req.is_valid() {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "numbers: at most 50 waybill numbers",
        ));
    }
    let waybills = state
        .with_db(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let kept: Vec<String> = req.numbers;
            let now = Utc::now().timestamp_millis();
            tx.execute(
                "DELETE FROM waybill_follows WHERE account_id = ?1",
                [&caller.account],
            )?;
            for number in &kept {
                tx.execute(
                    "INSERT INTO waybill_follows (account_id, order_id, followed_ms)
                     SELECT ?1, order_id, ?3 FROM waybills WHERE number = ?2
                     ON CONFLICT DO NOTHING",
                    params![caller.account, number, now],
                )?;
            }
            let waybills = followed_by(&tx, &caller.account)?;
            tx.commit()?;
            Ok(waybills)
        })
        .await?;
    Ok(Json(FollowedWaybills { waybills }))
}
