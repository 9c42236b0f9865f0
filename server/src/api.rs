//! HTTP handlers of the `/v1` sync contract. Each handler checks its input, runs one
//! store operation on a blocking thread, and maps the outcome to a status and a body.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::Connection;
use serde::Deserialize;
use waybill_protocol::{
    ActionBatch, ActionResults, ApiError, Changes, ErrorCode, IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER, LatLon, MAX_BATCH, NewErrand, OpenOrders, Order, OrderEvents,
    RegisterDevice, RightsRequestFiled, RightsRequestState, RightsRequests, Trajectory,
    TrajectoryStored,
};

use crate::store::{self, StoreError, StoredReply};
use waybill_protocol::consent::{ConsentReceipts, ReceiptsStored};
#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::{Accepted, DeviceRegistered};

/// Shared state: one SQLite connection (the reference server favours clarity over throughput).
#[derive(Clone)]
pub struct AppState {
    db: Arc<Mutex<Connection>>,
    uploads: Arc<std::path::PathBuf>,
}

impl AppState {
    /// Wraps an open store; proof uploads are kept in `uploads`.
    pub fn new(conn: Connection, uploads: std::path::PathBuf) -> AppState {
        AppState {
            db: Arc::new(Mutex::new(conn)),
            uploads: Arc::new(uploads),
        }
    }

    /// Folder of proof upload files.
    pub fn uploads_dir(&self) -> &std::path::Path {
        &self.uploads
    }

    /// Runs `f` on the connection on the blocking pool, with the caller's own error type.
    pub(crate) async fn with_conn<T: Send + 'static, E: Send + 'static + From<std::io::Error>>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let mut conn = db.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .unwrap_or_else(|e| Err(E::from(std::io::Error::other(e))))
    }

    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Failure> {
        self.with_conn(move |c| f(c).map_err(Failure::from)).await
    }
}

/// The router of the sync contract.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::tus::routes())
        .route("/v1/health", get(|| async { "ok" }))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/devices", post(register))
        .route("/v1/orders/open", get(open_orders))
        .route("/v1/orders/{id}/accept", post(accept))
        .route("/v1/orders/{id}/events", get(events))
        .route(
            "/v1/consent-receipts",
            post(store_receipts).get(list_receipts),
        )
        .route("/v1/actions", post(apply_actions))
        .route("/v1/changes", get(changes))
        .route("/v1/errands", post(create_errand))
        .route("/v1/orders/{id}/cancel", post(cancel_errand))
        .route(
            "/v1/orders/{id}/trajectory",
            post(upload_trajectory).get(get_trajectory),
        )
        .route(
            "/v1/rights-requests",
            post(file_rights_request).get(list_rights_requests),
        )
        .with_state(state)
}

/// A contract error reply.
#[derive(Debug)]
pub struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn internal() -> Failure {
        Failure::new(ErrorCode::Internal, "internal error")
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused { code, message } => Failure::new(code, message),
            StoreError::Sqlite(e) => {
                tracing::error!(error = %e, "store failure");
                Failure::internal()
            }
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        tracing::error!(error = %e, "blocking task failed");
        Failure::internal()
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(store::status_of(self.code))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            Json(ApiError {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

#[utoipa::path(post, path = "/v1/devices", tag = "devices",
    request_body = RegisterDevice,
    responses((status = 200, body = DeviceRegistered), (status = 400, body = ApiError)))]
async fn register(
    State(state): State<AppState>,
    body: Result<Json<RegisterDevice>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Failure> {
    let req = json_body(body)?;
    if req.installation_id.trim().is_empty() || req.installation_id.len() > 128 {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "installation_id must be 1..=128 bytes",
        ));
    }
    let registered = state.with_db(move |c| store::register(c, &req)).await?;
    Ok(Json(registered).into_response())
}

pub(crate) async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<String, Failure> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .ok_or_else(|| Failure::new(ErrorCode::Unauthorized, "missing bearer token"))?;
    state
        .with_db(move |c| store::account_for_token(c, &token))
        .await?
        .ok_or_else(|| Failure::new(ErrorCode::Unauthorized, "unknown token"))
}

#[derive(Debug, Deserialize)]
struct NearQuery {
    lat: f64,
    lon: f64,
    radius_m: f64,
}

#[utoipa::path(get, path = "/v1/orders/open", tag = "orders", security(("bearer" = [])),
    params(
        ("lat" = f64, Query, description = "latitude, degrees, rounded by the client"),
        ("lon" = f64, Query, description = "longitude, degrees"),
        ("radius_m" = f64, Query, description = "search radius in metres, > 0")),
    responses((status = 200, body = OpenOrders), (status = 400, body = ApiError),
        (status = 401, body = ApiError)))]
async fn open_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<NearQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OpenOrders>, Failure> {
    authenticate(&state, &headers).await?;
    let q = query_params(query)?;
    let near = LatLon {
        lat: q.lat,
        lon: q.lon,
    };
    let valid = near.is_on_earth() && q.radius_m.is_finite() && q.radius_m > 0.0;
    if !valid {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "lat, lon or radius_m out of range",
        ));
    }
    let near = LatLon {
        lat: q.lat,
        lon: q.lon,
    };
    let orders = state
        .with_db(move |c| store::open_orders_near(c, near, q.radius_m))
        .await?;
    Ok(Json(OpenOrders { orders }))
}

#[utoipa::path(post, path = "/v1/orders/{id}/accept", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id"),
        ("Idempotency-Key" = String, Header, description = "1..=128 bytes, reused by every retry")),
    responses((status = 200, body = Accepted), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError)))]
async fn accept(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let account = authenticate(&state, &headers).await?;
    let key = idempotency_key(&headers)?;
    let StoredReply {
        status,
        body,
        replayed,
    } = state
        .with_db(move |c| store::accept(c, &account, &key, &order_id))
        .await?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let replayed = if replayed { "true" } else { "false" };
    Ok((
        status,
        [
            (header::CONTENT_TYPE.as_str(), "application/json"),
            (IDEMPOTENT_REPLAYED_HEADER, replayed),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/orders/{id}/events", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = OrderEvents), (status = 401, body = ApiError)))]
async fn events(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<OrderEvents>, Failure> {
    authenticate(&state, &headers).await?;
    let events = state.with_db(move |c| store::events(c, &order_id)).await?;
    Ok(Json(OrderEvents { events }))
}

/// Largest batch of receipts in one request.
const MAX_RECEIPTS: usize = 1_000;

#[utoipa::path(post, path = "/v1/consent-receipts", tag = "privacy", security(("bearer" = [])),
    request_body = ConsentReceipts,
    responses((status = 200, body = ReceiptsStored), (status = 400, body = ApiError),
        (status = 401, body = ApiError)))]
async fn store_receipts(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ConsentReceipts>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ReceiptsStored>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let body = json_body(body)?;
    if body.receipts.len() > MAX_RECEIPTS {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "too many receipts in one request",
        ));
    }
    let stored = state
        .with_db(move |c| store::store_receipts(c, &account, &body.receipts))
        .await?;
    Ok(Json(stored))
}

#[utoipa::path(get, path = "/v1/consent-receipts", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, body = ConsentReceipts), (status = 401, body = ApiError)))]
async fn list_receipts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ConsentReceipts>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let receipts = state.with_db(move |c| store::receipts(c, &account)).await?;
    Ok(Json(ConsentReceipts { receipts }))
}

#[utoipa::path(post, path = "/v1/rights-requests", tag = "privacy", security(("bearer" = [])),
    request_body = RightsRequestFiled,
    responses((status = 200, body = RightsRequestState), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 422, body = ApiError)))]
async fn file_rights_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<RightsRequestFiled>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<RightsRequestState>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let req = json_body(body)?;
    if req.id.is_empty() || req.id.len() > 128 || req.detail.len() > 4_096 {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "id must be 1..=128 bytes and detail at most 4096",
        ));
    }
    let filed = state
        .with_db(move |c| crate::rights::file(c, &account, &req))
        .await?;
    Ok(Json(filed))
}

#[utoipa::path(get, path = "/v1/rights-requests", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, body = RightsRequests), (status = 401, body = ApiError)))]
async fn list_rights_requests(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<RightsRequests>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let requests = state
        .with_db(move |c| crate::rights::list(c, &account))
        .await?;
    Ok(Json(RightsRequests { requests }))
}

#[utoipa::path(post, path = "/v1/actions", tag = "orders", security(("bearer" = [])),
    request_body = ActionBatch,
    responses((status = 200, description = "one result per action, same order", body = ActionResults),
        (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn apply_actions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ActionBatch>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ActionResults>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let batch = json_body(body)?;
    let malformed = batch.actions.iter().any(|a| {
        a.key.is_empty()
            || a.key.len() > 128
            || a.order_id.is_empty()
            || a.note.as_ref().is_some_and(|n| n.len() > 2_000)
    });
    if batch.actions.len() > MAX_BATCH || malformed {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            format!(
                "at most {MAX_BATCH} actions, each with a key of 1..=128 bytes and a note of at most 2000"
            ),
        ));
    }
    let results = state
        .with_db(move |c| crate::actions::apply_batch(c, &account, &batch))
        .await?;
    Ok(Json(results))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/changes", tag = "orders", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "cursor from the last page, 0 at first"),
        ("limit" = Option<u32>, Query, description = "page size, 1..=1000")),
    responses((status = 200, body = Changes), (status = 400, body = ApiError),
        (status = 401, body = ApiError)))]
async fn changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Changes>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let q = query_params(query)?;
    let limit = q.limit.unwrap_or(500).clamp(1, 1_000);
    let changes = state
        .with_db(move |c| crate::actions::changes(c, &account, q.after, limit))
        .await?;
    Ok(Json(changes))
}

/// The JSON body, or a contract 400 saying what is wrong with it.
fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, Failure> {
    body.map(|Json(t)| t)
        .map_err(|e| Failure::new(ErrorCode::BadRequest, e.body_text()))
}

/// The query parameters, or a contract 400 saying what is wrong with them.
fn query_params<T>(
    query: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, Failure> {
    query
        .map(|Query(t)| t)
        .map_err(|e| Failure::new(ErrorCode::BadRequest, e.body_text()))
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, Failure> {
    headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .map(str::to_owned)
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::BadRequest,
                "an Idempotency-Key header of 1..=128 bytes is required",
            )
        })
}

#[utoipa::path(post, path = "/v1/errands", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "1..=128 bytes")),
    request_body = NewErrand,
    responses((status = 200, body = Order), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 409, body = ApiError),
        (status = 422, body = ApiError)))]
async fn create_errand(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewErrand>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Order>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let key = idempotency_key(&headers)?;
    let errand = json_body(body)?;
    if !errand.is_valid() {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            waybill_protocol::ERRAND_RULES,
        ));
    }
    let order = state
        .with_db(move |c| crate::actions::create_errand(c, &account, &key, &errand))
        .await?;
    Ok(Json(order))
}

#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = Order), (status = 401, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn cancel_errand(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Order>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let order = state
        .with_db(move |c| crate::actions::cancel(c, &account, &order_id))
        .await?;
    Ok(Json(order))
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}

/// Largest trajectory batch accepted, bytes (a day at 1 Hz encodes far smaller).
const MAX_TRAJECTORY_BYTES: usize = 1 << 20;

#[utoipa::path(post, path = "/v1/orders/{id}/trajectory", tag = "trajectory", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "a trajectory batch, format v2 (docs/trajectory-format.md)"),
    responses((status = 200, body = TrajectoryStored), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError)))]
async fn upload_trajectory(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<TrajectoryStored>, Failure> {
    let account = authenticate(&state, &headers).await?;
    if body.len() > MAX_TRAJECTORY_BYTES {
        return Err(Failure::new(ErrorCode::BadRequest, "batch too large"));
    }
    let stored = state
        .with_db(move |c| crate::trajectory::store(c, &account, &order_id, &body))
        .await?;
    Ok(Json(stored))
}

#[utoipa::path(get, path = "/v1/orders/{id}/trajectory", tag = "trajectory", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = Trajectory), (status = 401, body = ApiError),
        (status = 404, body = ApiError)))]
async fn get_trajectory(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Trajectory>, Failure> {
    let account = authenticate(&state, &headers).await?;
    let trajectory = state
        .with_db(move |c| crate::trajectory::get(c, &account, &order_id))
        .await?;
    Ok(Json(trajectory))
}
