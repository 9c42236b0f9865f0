//! Push (P-23): the devices' push tokens and the pushes an order change owes their
//! accounts. A change is queued in the transaction that makes it (a transactional outbox:
//! no change commits without its push queued), one row per account to tell, never the
//! actor itself; after the commit the queue is taken and sent through the [`PushSender`]
//! (a crash between the two loses those pushes: they are hints, the apps poll too). A
//! push carries [`PushData`] only: what to refresh, not which order or what happened.
//! A token belongs to its signed-in device: a sign-out, a re-registration or a closing
//! deletes the device and, by cascade, its token.

use std::path::PathBuf;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use chrono::Utc;
use rusqlite::{Connection, Transaction, params};
use waybill_protocol::ErrorCode;
use waybill_protocol::push::{PUSH_DATA_VERSION, PushData, PushPlatform, PushToken, PushTopic};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::access::Caller;
use crate::api::{AppState, Failure, json_body};
use crate::store::StoreResult;

/// The tables.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS push_tokens (
    device_id     TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    token         TEXT NOT NULL,
    platform      TEXT NOT NULL,
    registered_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS push_tokens_by_account ON push_tokens (account_id);
CREATE TABLE IF NOT EXISTS push_queue (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    topic      TEXT NOT NULL
) STRICT;
";

/// Hands a push to the platform's service (FCM, APNs, Huawei, Umeng) in production.
pub trait PushSender: Send + Sync {
    /// Sends `data` to the device holding `token` on `platform`.
    fn send(&self, token: &str, platform: PushPlatform, data: &PushData) -> std::io::Result<()>;
}

/// The reference server's sender, for development, tests and the demo: one JSON line per
/// push (`{"token", "platform", "data"}`) appended to a file next to the database
/// (`server.sqlite3` → `server.sqlite3.dev-pushes.jsonl`), what a real deployment would
/// hand to the push services.
#[derive(Debug, Clone)]
pub struct DevPushSender {
    path: PathBuf,
}

impl DevPushSender {
    /// The sender for the database at `db`.
    pub fn for_db(db: &std::path::Path) -> DevPushSender {
        DevPushSender {
            path: Self::path_for(db),
        }
    }

    /// The file the development sender writes for the database at `db`.
    pub fn path_for(db: &std::path::Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".dev-pushes.jsonl");
        PathBuf::from(name)
    }

    /// Every push written for the database at `db`, oldest first: `(token, data)`.
    pub fn sent(db: &std::path::Path) -> Vec<(String, serde_json::Value)> {
        let text = std::fs::read_to_string(Self::path_for(db)).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                (
                    v["token"].as_str().unwrap_or_default().to_string(),
                    v["data"].clone(),
                )
            })
            .collect()
    }
}

impl PushSender for DevPushSender {
    fn send(&self, token: &str, platform: PushPlatform, data: &PushData) -> std::io::Result<()> {
        crate::sign_in::append_json_line(
            &self.path,
            &serde_json::json!({"token": token, "platform": platform.as_str(), "data": data}),
        )
    }
}

/// Routes of the signed-in device.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/push-token",
        axum::routing::put(register).delete(unregister),
    )
}

#[utoipa::path(put, path = "/v1/push-token", tag = "push", security(("bearer" = [])),
    description = "This signed-in device's push token (P-23), sent by the device only under the `push_notifications` consent with the notifications permission granted. Replaces the device's earlier token; a retry is a no-op. The server then pushes `{\"v\":1,\"refresh\":\"orders\"}` when an order of the account changes by someone else's hand, and `notices` when a notice is published: what to refresh, never what happened. A sign-out, a new sign-in of the installation or a closing deletes the token.",
    request_body = PushToken,
    responses((status = 204, description = "held"), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 410, body = ApiError),
        (status = 413, body = ApiError)))]
pub(crate) async fn register(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<axum::Json<PushToken>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, Failure> {
    let req = json_body(body)?;
    if !req.is_valid() {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "token: 1..=4096 printable ASCII characters",
        ));
    }
    state
        .with_db(move |c| {
            c.execute(
                "INSERT INTO push_tokens (device_id, account_id, token, platform, registered_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (device_id) DO UPDATE SET token = ?3, platform = ?4, registered_ms = ?5",
                params![
                    caller.device,
                    caller.account,
                    req.token,
                    req.platform.as_str(),
                    Utc::now().timestamp_millis()
                ],
            )?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/push-token", tag = "push", security(("bearer" = [])),
    description = "Forgets this device's push token (the consent or the notifications permission was withdrawn: P-23, P-63). Nothing is pushed to the device afterwards; its app polls. Idempotent.",
    responses((status = 204, description = "forgotten"), (status = 401, body = ApiError),
        (status = 410, body = ApiError)))]
pub(crate) async fn unregister(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<StatusCode, Failure> {
    state
        .with_db(move |c| {
            c.execute(
                "DELETE FROM push_tokens WHERE device_id = ?1",
                [&caller.device],
            )?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a push to each party of `order_id` (its shipper, its driver) with a token,
/// but `actor`'s (who made the change knows it): inside the change's transaction.
pub(crate) fn queue_order_change(
    tx: &Transaction<'_>,
    order_id: &str,
    actor: &str,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO push_queue (account_id, topic)
         SELECT party, ?3 FROM (
             SELECT shipper_id AS party FROM orders WHERE id = ?1
             UNION SELECT assigned_to FROM orders WHERE id = ?1)
         WHERE party IS NOT NULL AND party != ?2
           AND EXISTS (SELECT 1 FROM push_tokens t WHERE t.account_id = party)",
    )?
    .execute(params![order_id, actor, PushTopic::Orders.as_str()])?;
    Ok(())
}

/// One push to send.
pub(crate) struct Outgoing {
    token: String,
    platform: PushPlatform,
    data: PushData,
}

/// Empties the queue into the pushes it owes, one per token of each queued account (an
/// account without a token by now is owed nothing).
pub(crate) fn take_queued(conn: &mut Connection) -> StoreResult<Vec<Outgoing>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let out = {
        let mut stmt = tx.prepare_cached(
            "SELECT t.token, t.platform, q.topic FROM push_queue q
             JOIN push_tokens t ON t.account_id = q.account_id ORDER BY q.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (token, platform, topic) = row?;
            if let (Some(platform), Some(refresh)) =
                (PushPlatform::parse(&platform), PushTopic::parse(&topic))
            {
                out.push(Outgoing {
                    token,
                    platform,
                    data: PushData {
                        v: PUSH_DATA_VERSION,
                        refresh,
                    },
                });
            }
        }
        out
    };
    tx.execute("DELETE FROM push_queue", [])?;
    tx.commit()?;
    Ok(out)
}

impl AppState {
    /// Sends what the queue owes, after the commit that queued it. A push is a hint (the
    /// app polls too): one the service refuses is logged and not retried.
    pub(crate) async fn send_pushes(&self) {
        let taken = self.with_db(take_queued).await;
        let Ok(pushes) = taken else {
            tracing::warn!("push queue not read");
            return;
        };
        if pushes.is_empty() {
            return;
        }
        let sender = self.push_sender();
        let _ = tokio::task::spawn_blocking(move || {
            for p in pushes {
                if let Err(e) = sender.send(&p.token, p.platform, &p.data) {
                    tracing::warn!(error = %e, platform = p.platform.as_str(), "push not sent");
                }
            }
        })
        .await;
    }
}

/// Queues a push with `topic` for every account with a token (a published notice).
pub(crate) fn queue_for_everyone(tx: &Transaction<'_>, topic: PushTopic) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO push_queue (account_id, topic)
         SELECT DISTINCT account_id, ?1 FROM push_tokens",
        [topic.as_str()],
    )?;
    Ok(())
}
