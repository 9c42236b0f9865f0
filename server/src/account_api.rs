//! HTTP handlers of the person's account: codes, registration, the account and its
//! devices, sign-out, step-up codes, and the offers a guest may browse.

use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use waybill_protocol::Role;
use waybill_protocol::account::{
    AccountInfo, AgeRecorded, AgeUpdate, CodeRequest, CodeSent, REAL_NAME_MAX_IMAGE_BYTES,
    RealNameStatus, RealNameSubmission, SignOut, normalize_phone,
};
use waybill_protocol::{DeviceRegistered, ErrorCode, LatLon, OpenOrders, RegisterDevice, limits};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::access::Caller;
use crate::api::{AppState, Failure, json_body, query_params};
use crate::sign_in::{CodePurpose, Issued};

/// Routes that need no caller: asking for a sign-in code, registering, guest offers.
pub fn public_routes() -> Router<AppState> {
    use axum::routing::{get, post};
    Router::new()
        .route("/v1/sign-in/codes", post(request_code))
        .route("/v1/devices", post(register))
        .route("/v1/guest/offers", get(guest_offers))
}

/// Routes of the signed-in account.
pub fn account_routes() -> Router<AppState> {
    use axum::routing::{delete, get, post};
    Router::new()
        .route("/v1/account", get(account))
        .route("/v1/account/devices/{id}", delete(sign_out_device))
        .route("/v1/account/sign-out", post(sign_out))
        .route("/v1/account/step-up-codes", post(request_step_up_code))
        .route("/v1/account/age", post(update_age))
        .route(
            "/v1/account/real-name",
            get(real_name_status)
                .post(verify_real_name)
                .delete(delete_real_name),
        )
}

fn bad(message: &str) -> Failure {
    Failure::new(ErrorCode::BadRequest, message)
}

/// The number as sent, which must already be E.164 (the core normalizes what people type).
fn e164(phone: &str) -> Result<String, Failure> {
    normalize_phone(phone)
        .filter(|p| p == phone)
        .ok_or_else(|| bad("phone: E.164, `+` and 8..=15 digits"))
}

/// Stores a code, then hands it to the sender (after the commit: a code that was never
/// sent is one the person asks for again).
async fn issue(
    state: &AppState,
    phone: String,
    installation: String,
    purpose: CodePurpose,
) -> Result<Response, Failure> {
    let issued = state
        .with_db(move |c| crate::sign_in::issue(c, &phone, &installation, purpose))
        .await?;
    let Issued { phone, code, sent } = match issued {
        Ok(issued) => issued,
        Err(wait_s) => {
            let mut reply = Failure::new(
                ErrorCode::RateLimited,
                format!("too many codes; ask again in {wait_s} s"),
            )
            .into_response();
            reply
                .headers_mut()
                .insert(header::RETRY_AFTER, wait_s.into());
            return Ok(reply);
        }
    };
    let sender = state.code_sender();
    tokio::task::spawn_blocking(move || sender.send(&phone, &code, purpose))
        .await
        .map_err(std::io::Error::other)??;
    Ok((StatusCode::ACCEPTED, Json::<CodeSent>(sent)).into_response())
}

#[utoipa::path(post, path = "/v1/sign-in/codes", tag = "account",
    description = "Sends a one-time code (6 digits, 5 minutes, 5 guesses, good only for this installation) to the number. At most five per hour per number, one per 30 s per number and installation, ten per hour per installation (429 with Retry-After). The reply is the same whether or not the number has an account.",
    request_body = CodeRequest,
    responses((status = 202, body = CodeSent), (status = 400, body = ApiError),
        (status = 429, body = ApiError)))]
pub(crate) async fn request_code(
    State(state): State<AppState>,
    body: Result<Json<CodeRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Failure> {
    let req = json_body(body)?;
    let phone = e164(&req.phone)?;
    if !limits::is_valid_id(&req.installation_id) {
        return Err(bad("installation_id: 1..=128 bytes of [A-Za-z0-9-_.:]"));
    }
    issue(&state, phone, req.installation_id, CodePurpose::SignIn).await
}

#[utoipa::path(post, path = "/v1/devices", tag = "account",
    description = "Signs an installation in. With `phone_code` (a live code for this installation): to the number's account for this role, opened if there is none (then `age` is required). Without: only a device the account knows, with a fresh proof by its device key (ADR 0007, 0008). The installation id alone grants nothing.",
    request_body = RegisterDevice,
    responses((status = 200, body = DeviceRegistered), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 410, body = ApiError), (status = 422, body = ApiError)))]
pub(crate) async fn register(
    State(state): State<AppState>,
    body: Result<Json<RegisterDevice>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Failure> {
    let req = json_body(body)?;
    let app_field = |f: &str| !f.is_empty() && f.len() <= limits::MAX_APP_FIELD;
    let hex_of = |v: &str, n: usize| v.len() == n && waybill_protocol::unhex(v).is_some();
    let key_ok = req.device_key.as_deref().is_none_or(|k| hex_of(k, 130))
        && req.proof.as_ref().is_none_or(|p| hex_of(&p.signature, 128));
    if !key_ok {
        return Err(bad(
            "device_key: 130 hex digits; proof.signature: 128 hex digits",
        ));
    }
    if !limits::is_valid_id(&req.installation_id)
        || !app_field(&req.app_id)
        || !app_field(&req.app_version)
    {
        return Err(bad(
            "installation_id: 1..=128 bytes of [A-Za-z0-9-_.:]; app_id, app_version: 1..=128 bytes",
        ));
    }
    if let Some(pc) = &req.phone_code {
        e164(&pc.phone)?;
        if !waybill_protocol::account::is_code(&pc.code) {
            return Err(bad("code: 6 digits"));
        }
    }
    let registered = state
        .with_db(move |c| crate::devices::register(c, &req))
        .await?;
    state.send_pushes().await; // a closing by sign-in released the orders it held
    Ok(Json(registered).into_response())
}

#[utoipa::path(get, path = "/v1/account", tag = "account", security(("bearer" = [])),
    description = "The caller's account (number masked) and the devices signed in to it.",
    responses((status = 200, body = AccountInfo), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 410, body = ApiError)))]
pub(crate) async fn account(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<AccountInfo>, Failure> {
    Ok(Json(
        state
            .with_db(move |c| crate::devices::account_info(c, &caller))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/v1/account/devices/{id}", tag = "account", security(("bearer" = [])),
    description = "Signs one device of the caller's account out: its token and key go, so only a new code signs it in again.",
    params(("id" = String, Path, description = "device id from `GET /v1/account`", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")),
    responses((status = 204), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 410, body = ApiError)))]
pub(crate) async fn sign_out_device(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, Failure> {
    if !limits::is_valid_id(&id) {
        return Err(bad("device id: 1..=128 bytes of [A-Za-z0-9-_.:]"));
    }
    state
        .with_db(move |c| crate::devices::sign_out_device(c, &caller, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/account/sign-out", tag = "account", security(("bearer" = [])),
    description = "Signs this device out, or every device of the account (`everywhere`).",
    request_body = SignOut,
    responses((status = 204), (status = 400, body = ApiError), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 410, body = ApiError)))]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<SignOut>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, Failure> {
    let req = json_body(body)?;
    state
        .with_db(move |c| crate::devices::sign_out(c, &caller, req.everywhere))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/account/step-up-codes", tag = "account", security(("bearer" = [])),
    description = "Sends a step-up code to the account's number, good for one rights request from this device. Same limits as sign-in codes.",
    responses((status = 202, body = CodeSent), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 410, body = ApiError),
        (status = 429, body = ApiError)))]
pub(crate) async fn request_step_up_code(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Failure> {
    let (phone, installation) = state
        .with_db(move |c| {
            Ok((
                crate::devices::phone_of(c, &caller)?,
                crate::devices::installation_of(c, &caller)?,
            ))
        })
        .await?;
    issue(&state, phone, installation, CodePurpose::StepUp).await
}

#[utoipa::path(get, path = "/v1/account/real-name", tag = "account", security(("bearer" = [])),
    description = "The caller's real-name outcome (shipper accounts). No image is kept.",
    responses((status = 200, body = RealNameStatus), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 410, body = ApiError)))]
pub(crate) async fn real_name_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<RealNameStatus>, Failure> {
    caller.require(Role::Shipper)?;
    Ok(Json(
        state
            .with_db(move |c| crate::real_name::status(c, &caller))
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/account/real-name", tag = "account", security(("bearer" = [])),
    description = "Checks the caller's ID card photo against a face image (shipper accounts, seed 003). The images go to the identity verifier and are dropped; only the outcome and its time are kept. Each image is a JPEG or PNG of at most 4 MiB. A retry with the same `verification_id` returns the first outcome without checking again.",
    request_body = RealNameSubmission,
    responses((status = 200, body = RealNameStatus), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 410, body = ApiError), (status = 413, body = ApiError)))]
pub(crate) async fn verify_real_name(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<RealNameSubmission>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<RealNameStatus>, Failure> {
    use base64::Engine;
    caller.require(Role::Shipper)?;
    let req = json_body(body)?;
    if !limits::is_valid_id(&req.verification_id) {
        return Err(bad("verification_id: 1..=128 bytes of [A-Za-z0-9-_.:]"));
    }
    let image = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .filter(|b| (100..=REAL_NAME_MAX_IMAGE_BYTES).contains(&b.len()))
            .ok_or_else(|| bad("id_card, face: base64 of 100 B to 4 MiB each"))
    };
    let (id_card, face) = (image(&req.id_card)?, image(&req.face)?);
    let (who, id) = (caller.clone(), req.verification_id.clone());
    if let Some(first) = state
        .with_db(move |c| crate::real_name::replay(c, &who, &id))
        .await?
    {
        return Ok(Json(first));
    }
    let verifier = state.identity_verifier();
    let verdict = tokio::task::spawn_blocking(move || verifier.verify(&id_card, &face))
        .await
        .map_err(std::io::Error::other)??;
    let id = req.verification_id;
    Ok(Json(
        state
            .with_db(move |c| crate::real_name::record(c, &caller, &id, &verdict))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/v1/account/real-name", tag = "account", security(("bearer" = [])),
    description = "Deletes the caller's real-name record, unless a delivery of the account is under seven days old (409 `recent_delivery`, seed 000). Deleting what is not there succeeds.",
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 410, body = ApiError)))]
pub(crate) async fn delete_real_name(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<StatusCode, Failure> {
    caller.require(Role::Shipper)?;
    state
        .with_db(move |c| crate::real_name::delete(c, &caller))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/account/age", tag = "account", security(("bearer" = [])),
    description = "The age the person declared after signing up. A minor without a guardian's consent may have no account (seed 002): the account is closed and its data deleted as a cancellation does (P-66), and `account_closed` says so; a retry then gets 410. Otherwise the age is recorded.",
    request_body = AgeUpdate,
    responses((status = 200, body = AgeRecorded), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 410, body = ApiError)))]
pub(crate) async fn update_age(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<AgeUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AgeRecorded>, Failure> {
    let req = json_body(body)?;
    let (account_closed, files) = state
        .with_db(move |c| crate::devices::update_age(c, &caller, &req))
        .await?;
    state.delete_uploads(files);
    Ok(Json(AgeRecorded { account_closed }))
}

/// A guest's position: coarse by contract.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct GuestQuery {
    lat: f64,
    lon: f64,
}

/// Grain of a guest's position, degrees (about 1 km): finer input is rounded to it.
pub const GUEST_GRAIN_DEG: f64 = 0.01;

/// Radius of a guest's search, metres.
pub const GUEST_RADIUS_M: f64 = 25_000.0;

#[utoipa::path(get, path = "/v1/guest/offers", tag = "orders",
    description = "Open offers near a coarse position, without an account (browsing needs no registration). The position is rounded to 0.01° before use; the radius is 25 km; offers are redacted as for drivers. Nothing about the caller is stored.",
    params(
        ("lat" = f64, Query, description = "latitude, degrees", minimum = -90, maximum = 90),
        ("lon" = f64, Query, description = "longitude, degrees", minimum = -180, maximum = 180)),
    responses((status = 200, body = OpenOrders), (status = 400, body = ApiError)))]
pub(crate) async fn guest_offers(
    State(state): State<AppState>,
    query: Result<Query<GuestQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OpenOrders>, Failure> {
    let q = query_params(query)?;
    let round = |v: f64| (v / GUEST_GRAIN_DEG).round() * GUEST_GRAIN_DEG;
    let near = LatLon {
        lat: round(q.lat),
        lon: round(q.lon),
    };
    if !near.is_on_earth() {
        return Err(bad("lat or lon out of range"));
    }
    let orders = state
        .with_db(move |c| {
            crate::store::open_orders_near(c, near, GUEST_RADIUS_M, limits::MAX_OFFERS)
        })
        .await?;
    Ok(Json(OpenOrders { orders }))
}
