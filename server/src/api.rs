//! HTTP handlers of the `/v1` sync contract. Each handler checks its input, runs one
//! store operation on a blocking thread, and maps the outcome to a status and a body.

use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::Connection;
use serde::Deserialize;
use waybill_protocol::{
    ActionBatch, ActionResults, ApiError, Changes, ErrorCode, IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER, LatLon, MAX_BATCH, NewErrand, OpenOrders, Order, OrderEvents,
    RightsRequestFiled, RightsRequestState, RightsRequests, Role, Trajectory, TrajectoryStored,
    limits,
};

use crate::access::{self, Caller};

use crate::store::{self, StoreError, StoredReply};
#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::Accepted;
use waybill_protocol::consent::{ConsentReceipts, ReceiptsStored};

/// Shared state: one SQLite connection (the reference server favours clarity over
/// throughput; no file I/O runs while it is held), the uploads folder, and the uploads a
/// PATCH is writing.
#[derive(Clone)]
pub struct AppState {
    db: Arc<Mutex<Connection>>,
    codes: Arc<dyn crate::sign_in::CodeSender>,
    verifier: Arc<dyn crate::real_name::IdentityVerifier>,
    pushes: Arc<dyn crate::push::PushSender>,
    uploads: Arc<std::path::PathBuf>,
    writing: Arc<Mutex<std::collections::HashSet<String>>>,
}

/// The sender of a state built without one: pushes are dropped (the apps poll).
struct NoPushes;

impl crate::push::PushSender for NoPushes {
    fn send(
        &self,
        _token: &str,
        _platform: waybill_protocol::push::PushPlatform,
        _data: &waybill_protocol::push::PushData,
    ) -> std::io::Result<()> {
        Ok(())
    }
}

/// An upload claimed by one PATCH; released on drop.
pub(crate) struct UploadClaim {
    writing: Arc<Mutex<std::collections::HashSet<String>>>,
    id: String,
}

impl Drop for UploadClaim {
    fn drop(&mut self) {
        self.writing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl AppState {
    /// Wraps an open store; proof uploads are kept in `uploads`, one-time codes go
    /// through `codes`.
    pub fn new(
        conn: Connection,
        uploads: std::path::PathBuf,
        codes: Arc<dyn crate::sign_in::CodeSender>,
    ) -> AppState {
        AppState {
            db: Arc::new(Mutex::new(conn)),
            codes,
            verifier: Arc::new(crate::real_name::DevVerifier),
            pushes: Arc::new(NoPushes),
            uploads: Arc::new(uploads),
            writing: Arc::default(),
        }
    }

    /// Claims upload `id` for one writer, or `None` while another request writes it.
    pub(crate) fn claim_upload(&self, id: &str) -> Option<UploadClaim> {
        let mut writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        writing.insert(id.to_string()).then(|| UploadClaim {
            writing: Arc::clone(&self.writing),
            id: id.to_string(),
        })
    }

    /// Replaces the development identity verifier (real-name checks) with a real one.
    pub fn with_verifier(mut self, verifier: Arc<dyn crate::real_name::IdentityVerifier>) -> Self {
        self.verifier = verifier;
        self
    }

    /// Sends pushes through `sender` (the push services in production; by default none
    /// is sent).
    pub fn with_push_sender(mut self, sender: Arc<dyn crate::push::PushSender>) -> Self {
        self.pushes = sender;
        self
    }

    /// Where pushes go.
    pub(crate) fn push_sender(&self) -> Arc<dyn crate::push::PushSender> {
        Arc::clone(&self.pushes)
    }

    /// What checks real-name images.
    pub(crate) fn identity_verifier(&self) -> Arc<dyn crate::real_name::IdentityVerifier> {
        Arc::clone(&self.verifier)
    }

    /// Where one-time codes go.
    pub(crate) fn code_sender(&self) -> Arc<dyn crate::sign_in::CodeSender> {
        Arc::clone(&self.codes)
    }

    /// Folder of proof upload files.
    pub fn uploads_dir(&self) -> &std::path::Path {
        &self.uploads
    }

    /// Deletes upload files a closing or a deletion no longer lets any row name (after its
    /// commit: a crash before leaves files the next sweep finds, never rows without files).
    pub(crate) fn delete_uploads(&self, files: Vec<String>) {
        for id in files {
            let _ = std::fs::remove_file(self.uploads.join(id));
        }
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

    pub(crate) async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Failure> {
        self.with_conn(move |c| f(c).map_err(Failure::from)).await
    }
}

/// The router of the sync contract. Every route but registration, health, the document
/// and tus discovery authenticates first ([`access::require_caller`]), before a body is
/// read; bodies are capped per route before they are buffered.
pub fn router(state: AppState) -> Router {
    let authenticated = Router::new()
        .merge(crate::tus::routes())
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
        .merge(crate::account_api::account_routes())
        .merge(crate::service_log::routes())
        .merge(crate::push::routes())
        .merge(crate::courier::routes())
        .merge(crate::waybills::routes())
        .merge(crate::marketing::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::require_caller,
        ));
    Router::new()
        .merge(authenticated)
        .merge(crate::tus::discovery())
        .route("/v1/health", get(|| async { "ok" }))
        .route("/v1/openapi.json", get(openapi_json))
        .merge(crate::account_api::public_routes())
        .merge(crate::notices::routes())
        .merge(crate::waybills::public_routes())
        // One table of caps (`body_cap_of`) for every route, applied below; axum's own
        // 2 MB default would be a second, different one.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(cap_body))
        .with_state(state)
}

/// A real-name submission: two images at their cap, base64 (4/3), and the JSON around them.
const REAL_NAME_MAX_BODY: usize =
    waybill_protocol::account::REAL_NAME_MAX_IMAGE_BYTES / 3 * 8 + 16 * 1024;

/// The largest body a route takes, bytes.
fn body_cap_of(path: &str) -> usize {
    if path.starts_with("/v1/uploads/") {
        crate::tus::MAX_CHUNK
    } else if path == "/v1/account/real-name" {
        REAL_NAME_MAX_BODY
    } else if path.ends_with("/trajectory") {
        limits::MAX_TRAJECTORY_BYTES
    } else {
        limits::MAX_JSON_BYTES
    }
}

/// Caps the body at the route's size: a declared `Content-Length` over it is answered 413
/// before a byte of the body is read, and a body without one is cut at the cap as it
/// streams (the handler's extractor then answers 413).
async fn cap_body(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let max = body_cap_of(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONNECTION, "close")],
            format!("a body here is at most {max} bytes"),
        )
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, max));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// A contract error reply.
#[derive(Debug)]
pub struct Failure {
    code: ErrorCode,
    message: String,
    /// The status, when not the code's own (a body over its cap is a 413).
    status: Option<StatusCode>,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            status: None,
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
            StoreError::Io(e) => e.into(),
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
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(store::status_of(self.code))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
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

#[derive(Debug, Deserialize)]
struct NearQuery {
    lat: f64,
    lon: f64,
    radius_m: f64,
}

#[utoipa::path(get, path = "/v1/orders/open", tag = "orders", security(("bearer" = [])),
    description = "Drivers only. At most `MAX_OFFERS` (100) offers, nearest first; before acceptance an offer names no shipper and gives the drop-off only as an area (a 0.01° cell) and its distance.",
    params(
        ("lat" = f64, Query, description = "latitude, degrees, rounded by the client", minimum = -90, maximum = 90),
        ("lon" = f64, Query, description = "longitude, degrees", minimum = -180, maximum = 180),
        ("radius_m" = f64, Query, description = "search radius in metres", exclusive_minimum = 0, maximum = 200000)),
    responses((status = 200, body = OpenOrders), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn open_orders(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<NearQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OpenOrders>, Failure> {
    caller.require(Role::Driver)?;
    let q = query_params(query)?;
    let near = LatLon {
        lat: q.lat,
        lon: q.lon,
    };
    let valid = near.is_on_earth()
        && q.radius_m.is_finite()
        && q.radius_m > 0.0
        && q.radius_m <= f64::from(limits::MAX_SEARCH_RADIUS_M);
    if !valid {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "lat, lon or radius_m out of range",
        ));
    }
    let orders = state
        .with_db(move |c| store::open_orders_near(c, near, q.radius_m, limits::MAX_OFFERS))
        .await?;
    Ok(Json(OpenOrders { orders }))
}

#[utoipa::path(post, path = "/v1/orders/{id}/accept", tag = "orders", security(("bearer" = [])),
    description = "Drivers only.",
    params(("id" = String, Path, description = "order id, 1..=128 bytes of [A-Za-z0-9-_.:]", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$"),
        ("Idempotency-Key" = String, Header, description = "1..=128 bytes, reused by every retry", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses((status = 200, body = Accepted), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError),
        (status = 422, body = ApiError)))]
async fn accept(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    caller.require(Role::Driver)?;
    let key = idempotency_key(&headers)?;
    let order_id = order_id_param(order_id)?;
    let StoredReply {
        status,
        body,
        replayed,
    } = state
        .with_db(move |c| store::accept(c, &caller, &key, &order_id))
        .await?;
    state.send_pushes().await;
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
    description = "For the order's driver and its shipper; anyone else gets the reply a missing order gets.",
    params(("id" = String, Path, description = "order id", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses((status = 200, body = OrderEvents), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 404, body = ApiError)))]
async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
) -> Result<Json<OrderEvents>, Failure> {
    let order_id = order_id_param(order_id)?;
    let events = state
        .with_db(move |c| {
            access::may_read(c, &caller.account, &order_id)?;
            store::events(c, &order_id)
        })
        .await?;
    Ok(Json(OrderEvents { events }))
}

#[utoipa::path(post, path = "/v1/consent-receipts", tag = "privacy", security(("bearer" = [])),
    description = "At most 1000 receipts; each text field at most 128 bytes.",
    request_body = ConsentReceipts,
    responses((status = 200, body = ReceiptsStored), (status = 400, body = ApiError),
        (status = 401, body = ApiError)))]
async fn store_receipts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<ConsentReceipts>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ReceiptsStored>, Failure> {
    let body = json_body(body)?;
    let bounded = |r: &waybill_protocol::consent::ConsentReceipt| {
        [
            &r.kind,
            &r.policy_version,
            &r.asked_via,
            &r.at,
            &r.prev_hash,
            &r.hash,
        ]
        .into_iter()
        .chain(r.purpose.as_ref())
        .all(|f| f.len() <= limits::MAX_ID)
    };
    if body.receipts.len() > limits::MAX_RECEIPTS || !body.receipts.iter().all(bounded) {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "at most 1000 receipts, each field at most 128 bytes",
        ));
    }
    let stored = state
        .with_db(move |c| store::store_receipts(c, &caller.account, &body.receipts))
        .await?;
    Ok(Json(stored))
}

#[utoipa::path(get, path = "/v1/consent-receipts", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, body = ConsentReceipts), (status = 401, body = ApiError)))]
async fn list_receipts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ConsentReceipts>, Failure> {
    let receipts = state
        .with_db(move |c| store::receipts(c, &caller.account))
        .await?;
    Ok(Json(ConsentReceipts { receipts }))
}

#[utoipa::path(post, path = "/v1/rights-requests", tag = "privacy", security(("bearer" = [])),
    description = "`id`: 1..=128 bytes of [A-Za-z0-9-_.:]; `detail`: at most 4096 bytes. A new request needs `step_up_code`, a fresh code from `POST /v1/account/step-up-codes` (403 `step_up_required` without, 422 `code_invalid` for a wrong one); a retry of a filed id does not.",
    request_body = RightsRequestFiled,
    responses((status = 200, body = RightsRequestState), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 422, body = ApiError)))]
async fn file_rights_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<RightsRequestFiled>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<RightsRequestState>, Failure> {
    let req = json_body(body)?;
    if !limits::is_valid_id(&req.id) || req.detail.len() > limits::MAX_DETAIL {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "id must be 1..=128 bytes of [A-Za-z0-9-_.:] and detail at most 4096",
        ));
    }
    let (filed, files) = state
        .with_db(move |c| crate::rights::file(c, &caller, &req))
        .await?;
    state.delete_uploads(files);
    state.send_pushes().await; // a cancellation released the orders it held
    Ok(Json(filed))
}

#[utoipa::path(get, path = "/v1/rights-requests", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, body = RightsRequests), (status = 401, body = ApiError)))]
async fn list_rights_requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<RightsRequests>, Failure> {
    let requests = state
        .with_db(move |c| crate::rights::list(c, &caller.account))
        .await?;
    Ok(Json(RightsRequests { requests }))
}

#[utoipa::path(post, path = "/v1/actions", tag = "orders", security(("bearer" = [])),
    description = "At most 500 actions. Each action is judged alone: a malformed entry, a wrong role or a reused key is refused in its own result (400, 403, 422 codes), never the batch.",
    request_body = ActionBatch,
    responses((status = 200, description = "one result per action, same order", body = ActionResults),
        (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn apply_actions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<ActionBatch>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ActionResults>, Failure> {
    let batch = json_body(body)?;
    if batch.actions.len() > MAX_BATCH {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            format!("at most {MAX_BATCH} actions"),
        ));
    }
    let results = state
        .with_db(move |c| crate::actions::apply_batch(c, &caller, &batch))
        .await?;
    state.send_pushes().await;
    Ok(Json(results))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/changes", tag = "orders", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "cursor from the last page, 0 at first", minimum = 0),
        ("limit" = Option<u32>, Query, description = "page size, 1..=1000", minimum = 1, maximum = 1000)),
    responses((status = 200, body = Changes), (status = 400, body = ApiError),
        (status = 401, body = ApiError)))]
async fn changes(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Changes>, Failure> {
    let q = query_params(query)?;
    let limit = q.limit.unwrap_or(500);
    if q.after < 0 || !(1..=limits::MAX_CHANGES_PAGE).contains(&limit) {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            "after must be >= 0 and limit 1..=1000",
        ));
    }
    let changes = state
        .with_db(move |c| crate::actions::changes(c, &caller.account, q.after, limit))
        .await?;
    Ok(Json(changes))
}

/// The JSON body, or a contract 400 saying what is wrong with it.
pub(crate) fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, Failure> {
    body.map(|Json(t)| t).map_err(|e| Failure {
        status: (e.status() == StatusCode::PAYLOAD_TOO_LARGE).then_some(e.status()),
        ..Failure::new(ErrorCode::BadRequest, e.body_text())
    })
}

/// The query parameters, or a contract 400 saying what is wrong with them.
pub(crate) fn query_params<T>(
    query: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, Failure> {
    query
        .map(|Query(t)| t)
        .map_err(|e| Failure::new(ErrorCode::BadRequest, e.body_text()))
}

/// An order id from the path, checked for shape (which says nothing about existence).
pub(crate) fn order_id_param(id: String) -> Result<String, Failure> {
    if limits::is_valid_id(&id) {
        Ok(id)
    } else {
        Err(Failure::new(
            ErrorCode::BadRequest,
            "an order id is 1..=128 bytes of [A-Za-z0-9-_.:]",
        ))
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, Failure> {
    headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|k| limits::is_valid_id(k))
        .map(str::to_owned)
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::BadRequest,
                "an Idempotency-Key header of 1..=128 bytes of [A-Za-z0-9-_.:] is required",
            )
        })
}

#[utoipa::path(post, path = "/v1/errands", tag = "orders", security(("bearer" = [])),
    description = "Shippers only. The same key with a different errand is a 422.",
    params(("Idempotency-Key" = String, Header, description = "1..=128 bytes", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    request_body = NewErrand,
    responses((status = 200, body = Order), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 422, body = ApiError)))]
async fn create_errand(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Json<NewErrand>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Order>, Failure> {
    caller.require(Role::Shipper)?;
    let key = idempotency_key(&headers)?;
    let errand = json_body(body)?;
    if !errand.is_valid() {
        return Err(Failure::new(
            ErrorCode::BadRequest,
            waybill_protocol::ERRAND_RULES,
        ));
    }
    let order = state
        .with_db(move |c| crate::actions::create_errand(c, &caller.account, &key, &errand))
        .await?;
    Ok(Json(order))
}

#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    description = "Shippers only, for their own errands; another shipper's errand gets the reply a missing one gets.",
    params(("id" = String, Path, description = "order id", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses((status = 200, body = Order), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn cancel_errand(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
) -> Result<Json<Order>, Failure> {
    caller.require(Role::Shipper)?;
    let order_id = order_id_param(order_id)?;
    let order = state
        .with_db(move |c| crate::actions::cancel(c, &caller.account, &order_id))
        .await?;
    state.send_pushes().await;
    Ok(Json(order))
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}

#[utoipa::path(post, path = "/v1/orders/{id}/trajectory", tag = "trajectory", security(("bearer" = [])),
    description = "The driver holding the order only, checked before the batch is decoded; an anchor is looked up among this order's points only. At most 1 MiB and 10,000 points.",
    params(("id" = String, Path, description = "order id", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "a trajectory batch, format v2 (docs/trajectory-format.md)"),
    responses((status = 200, body = TrajectoryStored), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError),
        (status = 413, description = "more than 1 MiB")))]
async fn upload_trajectory(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<TrajectoryStored>, Failure> {
    caller.require(Role::Driver)?;
    let order_id = order_id_param(order_id)?;
    let stored = state
        .with_db(move |c| crate::trajectory::store(c, &caller.account, &order_id, &body))
        .await?;
    Ok(Json(stored))
}

#[utoipa::path(get, path = "/v1/orders/{id}/trajectory", tag = "trajectory", security(("bearer" = [])),
    description = "For the order's driver only (its shipper follows the courier through `/v1/errands/{id}/courier`, between pickup and delivery); anyone else gets the reply a missing order gets.",
    params(("id" = String, Path, description = "order id", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses((status = 200, body = Trajectory), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 404, body = ApiError)))]
async fn get_trajectory(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
) -> Result<Json<Trajectory>, Failure> {
    let order_id = order_id_param(order_id)?;
    let trajectory = state
        .with_db(move |c| crate::trajectory::get(c, &caller.account, &order_id))
        .await?;
    Ok(Json(trajectory))
}
