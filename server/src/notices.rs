//! Service notices (P-69, P-70): the operator publishes (`waybill-server publish-notice`, or
//! [`publish`]); each is signed with the control key, kept, served to every app by
//! `GET /v1/notices` (no account needed: a notice is an announcement, and a signed-out
//! phone still holds data a stop notice concerns), and a push with the `notices` topic is
//! queued for every device with a token.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::Utc;
use rusqlite::{Connection, TransactionBehavior, params};
use serde::Deserialize;
use waybill_protocol::ErrorCode;
use waybill_protocol::notices::{MAX_NOTICES, Notice, Notices, Signed};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::api::{AppState, Failure};
use crate::control::ControlKey;
use crate::store::{StoreError, StoreResult};

/// The tables: each notice as signed, in publication order; the newest signed policy
/// manifest per app and SDK switch (`kind`: `manifest:driver`, `manifest:shipper`,
/// `sdk_switch`).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notices (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    payload      TEXT NOT NULL,
    signature    TEXT NOT NULL,
    published_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS control_documents (
    kind         TEXT PRIMARY KEY NOT NULL,
    payload      TEXT NOT NULL,
    signature    TEXT NOT NULL,
    published_ms INTEGER NOT NULL
) STRICT;
";

/// Public routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/notices", get(list))
        .route("/v1/control", get(control))
}

/// `?app=driver|shipper`.
#[derive(Debug, Deserialize)]
pub(crate) struct App {
    app: String,
}

#[utoipa::path(get, path = "/v1/control", tag = "notices",
    description = "The controller's newest signed documents for one app (P-51, P-67): its policy manifest, which the app installs when it verifies and is newer than the one in force (a material change then asks the person again), and the SDK switch, which deactivates the SDKs it names at once. Each is the JSON exactly as signed with the Ed25519 control key, and the signature. No account is needed: both are public.",
    params(("app" = String, Query, description = "`driver` or `shipper`")),
    responses((status = 200, body = waybill_protocol::notices::Control), (status = 400, body = ApiError)))]
pub(crate) async fn control(
    State(state): State<AppState>,
    query: Result<Query<App>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<waybill_protocol::notices::Control>, Failure> {
    let app = match query {
        Ok(Query(App { app })) if app == "driver" || app == "shipper" => app,
        _ => {
            return Err(Failure::new(
                ErrorCode::BadRequest,
                "app: driver or shipper",
            ));
        }
    };
    let docs = state
        .with_db(move |c| {
            Ok(waybill_protocol::notices::Control {
                manifest: document(c, &format!("manifest:{app}"))?,
                sdk_switch: document(c, "sdk_switch")?,
                notices_head: document(c, "notices_head")?,
            })
        })
        .await?;
    Ok(axum::Json(docs))
}

fn document(conn: &Connection, kind: &str) -> StoreResult<Option<Signed>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT payload, signature FROM control_documents WHERE kind = ?1",
            [kind],
            |r| {
                Ok(Signed {
                    payload: r.get(0)?,
                    signature: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Publishes a signed document of `kind`, replacing the previous one.
fn publish_document(conn: &Connection, kind: &str, signed: &Signed) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO control_documents (kind, payload, signature, published_ms)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind) DO UPDATE SET payload = ?2, signature = ?3, published_ms = ?4",
        params![
            kind,
            signed.payload,
            signed.signature,
            Utc::now().timestamp_millis()
        ],
    )?;
    Ok(())
}

/// Publishes a policy manifest for `app` (`driver`, `shipper`): `document` is the JSON the
/// apps will parse and lint, signed as given (it is not reserialised).
pub fn publish_manifest(
    conn: &Connection,
    key: &ControlKey,
    app: &str,
    document: &str,
) -> StoreResult<()> {
    publish_document(conn, &format!("manifest:{app}"), &key.sign_text(document))
}

/// Publishes the SDK switch: `disabled` get nothing from the apps from now on.
pub fn publish_sdk_switch(
    conn: &Connection,
    key: &ControlKey,
    disabled: &[&str],
) -> StoreResult<()> {
    let switch = waybill_protocol::notices::SdkSwitch {
        issued_at: Utc::now(),
        disabled: disabled.iter().map(|s| s.to_string()).collect(),
    };
    publish_document(conn, "sdk_switch", &key.sign(&switch))
}

/// `?after=`: the cursor of the last page read.
#[derive(Debug, Deserialize)]
pub(crate) struct After {
    #[serde(default)]
    after: i64,
}

#[utoipa::path(get, path = "/v1/notices", tag = "notices",
    description = "Service notices (security incidents, maintenance, the end of the service: P-69, P-70) published after `after`, oldest first, at most 100. Each is the notice's JSON exactly as the controller signed it with its Ed25519 control key, and the signature; apps show only what verifies with the key they were built with, whatever their settings. No account is needed: a notice is an announcement.",
    params(("after" = Option<i64>, Query, description = "the previous page's cursor", minimum = 0)),
    responses((status = 200, body = Notices), (status = 400, body = ApiError)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Notices>, Failure> {
    let Ok(Query(After { after })) = query else {
        return Err(Failure::new(ErrorCode::BadRequest, "after: a cursor"));
    };
    if after < 0 {
        return Err(Failure::new(ErrorCode::BadRequest, "after: a cursor"));
    }
    let page = state.with_db(move |c| page(c, after)).await?;
    Ok(axum::Json(page))
}

/// The notices after `after`, at most [`MAX_NOTICES`].
pub fn page(conn: &mut Connection, after: i64) -> StoreResult<Notices> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, payload, signature FROM notices WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, MAX_NOTICES as i64], |r| {
        Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))
    })?;
    let mut cursor = after;
    let mut notices = vec![];
    for row in rows {
        let (seq, payload, signature) = row?;
        cursor = seq;
        notices.push(Signed { payload, signature });
    }
    Ok(Notices { notices, cursor })
}

/// Publishes `notice` signed with `key`, as the next of the sequence (its `seq` is
/// assigned here), signs the new head of the sequence, and queues a `notices` push for
/// every device with a token (sent after the commit by the running server). Refused when
/// the notice is not one an app would show (empty or overlong text, a stop announced less
/// than 30 days ahead); publishing the same id again is a no-op.
pub fn publish(conn: &mut Connection, key: &ControlKey, notice: &Notice) -> StoreResult<bool> {
    if !notice.is_valid() {
        return Err(StoreError::Refused {
            code: ErrorCode::BadRequest,
            message: "a notice needs an id, a title, a body, and a stop time 30 days ahead \
                      for a service stop only"
                .into(),
        });
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let known = tx
        .prepare_cached("SELECT 1 FROM notices WHERE id = ?1")?
        .exists([&notice.id])?;
    if known {
        return Ok(false);
    }
    let seq: i64 = tx.query_row("SELECT coalesce(max(seq), 0) + 1 FROM notices", [], |r| {
        r.get(0)
    })?;
    let through = u64::try_from(seq).unwrap_or_default();
    let signed = key.sign(&Notice {
        seq: through,
        ..notice.clone()
    });
    tx.execute(
        "INSERT INTO notices (seq, id, payload, signature, published_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            seq,
            notice.id,
            signed.payload,
            signed.signature,
            Utc::now().timestamp_millis()
        ],
    )?;
    let head = waybill_protocol::notices::NoticesHead {
        through,
        issued_at: Utc::now(),
    };
    publish_document(&tx, "notices_head", &key.sign(&head))?;
    crate::push::queue_for_everyone(&tx, waybill_protocol::push::PushTopic::Notices)?;
    tx.commit()?;
    Ok(true)
}
