//! Proof uploads over tus 1.0 (<https://tus.io/protocols/resumable-upload>): the core
//! protocol (HEAD, PATCH) with the creation, checksum (`sha1`, `sha256`), expiration and
//! termination extensions. An upload carries `order`, `kind` and `sha256` in its
//! `Upload-Metadata`; when its last byte arrives the file's SHA-256 must equal the declared
//! one, and the proof is linked to the order (an order event). A proof the order already
//! has is never uploaded twice: creating it again answers with the finished upload.
//!
//! Every request is authenticated before its body is read, and every one (create, HEAD,
//! PATCH, completion, DELETE) checks that the caller still holds the upload's order and
//! that the order still takes proofs ([`access::may_send_for`]); a stranger's upload looks
//! like a missing one. The database lock is never held across file I/O: a PATCH claims
//! its upload, writes and syncs the file unlocked, and records the offset after.

use std::io::Write;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{head, post};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::Digest;

use crate::access::{self, Caller};
use crate::api::{AppState, Failure};
use crate::store::StoreError;

/// Protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// Extensions implemented.
pub const TUS_EXTENSIONS: &str = "creation,checksum,expiration,termination";
/// Largest proof accepted (as the device's intake).
pub const MAX_UPLOAD: u64 = 25 * 1024 * 1024;
/// Largest PATCH body.
pub const MAX_CHUNK: usize = 8 * 1024 * 1024;
/// An unfinished upload expires after this long; the client then starts over.
pub const EXPIRY: Duration = Duration::hours(24);

/// Unfinished uploads one account may hold at once (a delivery has a handful of photos).
pub const MAX_OPEN_UPLOADS: i64 = 32;

/// The authenticated tus routes, under `/v1/uploads`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/uploads", post(create)).route(
        "/v1/uploads/{id}",
        head(offset).patch(append).delete(terminate),
    )
}

/// tus discovery (`OPTIONS /v1/uploads`), which needs no account.
pub fn discovery() -> Router<AppState> {
    Router::new().route("/v1/uploads", axum::routing::options(options))
}

/// Schema of the server's upload tables (part of the store's schema).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS uploads (
    id           TEXT PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    length       INTEGER NOT NULL,
    offset       INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    completed_at TEXT
) STRICT;
-- Proofs linked to their order once complete and verified: one per (order, hash).
CREATE TABLE IF NOT EXISTS proofs (
    order_id   TEXT NOT NULL REFERENCES orders (id),
    sha256     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    upload_id  TEXT NOT NULL,
    account_id TEXT NOT NULL,
    linked_at  TEXT NOT NULL,
    PRIMARY KEY (order_id, sha256)
) STRICT;
";

/// A refusal in tus terms: a status and a short reason.
struct TusError(StatusCode, String);

impl TusError {
    fn new(status: u16, reason: impl Into<String>) -> TusError {
        TusError(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            reason.into(),
        )
    }
}

impl IntoResponse for TusError {
    fn into_response(self) -> Response {
        let mut r = (self.0, self.1).into_response();
        tus_headers(r.headers_mut());
        r
    }
}

impl From<StoreError> for TusError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused { code, message } => {
                TusError::new(crate::store::status_of(code), message)
            }
            StoreError::Sqlite(e) => e.into(),
            StoreError::Io(e) => e.into(),
        }
    }
}

/// The tus form of an authentication refusal.
pub(crate) fn unauthorized(_: Failure) -> Response {
    TusError::new(401, "missing or unknown bearer token").into_response()
}

impl From<rusqlite::Error> for TusError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "upload store failure");
        TusError::new(500, "internal error")
    }
}

impl From<std::io::Error> for TusError {
    fn from(e: std::io::Error) -> Self {
        tracing::error!(error = %e, "upload file failure");
        TusError::new(500, "internal error")
    }
}

fn tus_headers(h: &mut HeaderMap) {
    h.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
}

fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or(HeaderValue::from_static(""))
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check_version(h: &HeaderMap) -> Result<(), TusError> {
    match header_str(h, "Tus-Resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(TusError::new(412, "Tus-Resumable: 1.0.0 required")),
    }
}

fn driver(caller: &Caller) -> Result<(), TusError> {
    caller
        .require(waybill_protocol::Role::Driver)
        .map_err(TusError::from)
}

/// A size header (`Upload-Length`, `Upload-Offset`): plain digits only.
fn size_header(h: &HeaderMap, name: &str) -> Option<u64> {
    header_str(h, name).and_then(waybill_protocol::tus::parse_size)
}

async fn options() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    tus_headers(h);
    h.insert("Tus-Version", HeaderValue::from_static(TUS_VERSION));
    h.insert("Tus-Extension", HeaderValue::from_static(TUS_EXTENSIONS));
    h.insert("Tus-Max-Size", HeaderValue::from(MAX_UPLOAD));
    h.insert(
        "Tus-Checksum-Algorithm",
        HeaderValue::from_static("sha1,sha256"),
    );
    r
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata(h: &HeaderMap) -> Result<Vec<(String, String)>, TusError> {
    waybill_protocol::tus::parse_metadata(header_str(h, "Upload-Metadata").unwrap_or(""))
        .map_err(|e| TusError::new(400, e.to_string()))
}

fn dir(state: &AppState) -> PathBuf {
    state.uploads_dir().to_path_buf()
}

fn file(dir: &Path, id: &str) -> PathBuf {
    dir.join(id)
}

async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    h: HeaderMap,
) -> Result<Response, TusError> {
    check_version(&h)?;
    driver(&caller)?;
    let account = caller.account;
    let length = size_header(&h, "Upload-Length").ok_or_else(|| {
        TusError::new(
            400,
            "Upload-Length required, in plain digits (deferred length is not supported)",
        )
    })?;
    if length == 0 || length > MAX_UPLOAD {
        return Err(TusError::new(
            413,
            format!("a proof is 1 B to {MAX_UPLOAD} B"),
        ));
    }
    let meta = metadata(&h)?;
    let get = |k: &str| {
        meta.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (Some(order), Some(kind), Some(sha256)) = (get("order"), get("kind"), get("sha256")) else {
        return Err(TusError::new(
            400,
            "metadata order, kind and sha256 required",
        ));
    };
    if !waybill_protocol::limits::is_valid_id(&order) {
        return Err(TusError::new(
            400,
            "order: 1..=128 bytes of [A-Za-z0-9-_.:]",
        ));
    }
    if !waybill_protocol::tus::PROOF_KINDS.contains(&kind.as_str()) {
        return Err(TusError::new(
            400,
            format!(
                "kind: one of {}",
                waybill_protocol::tus::PROOF_KINDS.join(", ")
            ),
        ));
    }
    let hex = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if !hex {
        return Err(TusError::new(400, "sha256 must be 64 lowercase hex digits"));
    }
    let now = Utc::now();
    let (id, offset, expires) = state
        .with_conn(move |c| {
            access::may_send_for(c, &account, &order, now)?;
            // Already proven: the finished upload answers, nothing is sent again.
            let done: Option<String> = c
                .query_row(
                    "SELECT upload_id FROM proofs WHERE order_id = ?1 AND sha256 = ?2",
                    params![order, sha256],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = done {
                return Ok((id, length, None));
            }
            let open: i64 = c.query_row(
                "SELECT count(*) FROM uploads
                 WHERE account_id = ?1 AND completed_at IS NULL AND expires_at > ?2",
                params![account, now.to_rfc3339()],
                |r| r.get(0),
            )?;
            if open >= MAX_OPEN_UPLOADS {
                return Err(TusError::new(
                    429,
                    format!("at most {MAX_OPEN_UPLOADS} unfinished uploads: finish or end one"),
                ));
            }
            let id = uuid::Uuid::new_v4().simple().to_string();
            let expires = now + EXPIRY;
            c.execute(
                "INSERT INTO uploads (id, account_id, order_id, kind, sha256, length, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id, account, order, kind, sha256, length as i64, now.to_rfc3339(), expires.to_rfc3339()],
            )?;
            Ok((id, 0, Some(expires)))
        })
        .await?;
    let mut r = StatusCode::CREATED.into_response();
    let headers = r.headers_mut();
    tus_headers(headers);
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("/v1/uploads/{id}"))
            .map_err(|_| TusError::new(500, "id"))?,
    );
    headers.insert("Upload-Offset", HeaderValue::from(offset));
    if let Some(e) = expires {
        headers.insert("Upload-Expires", http_date(e));
    }
    Ok(r)
}

/// An upload as [`load`] finds it.
struct Upload {
    length: u64,
    offset: u64,
    expires: DateTime<Utc>,
    completed: bool,
}

/// An upload of `account` whose order it still holds and that still takes proofs; a
/// stranger's upload, or one whose order was lost, looks like a missing one.
fn load(c: &Connection, id: &str, account: &str, now: DateTime<Utc>) -> Result<Upload, TusError> {
    let row: Option<(i64, i64, String, Option<String>, String)> = c
        .query_row(
            "SELECT length, offset, expires_at, completed_at, order_id FROM uploads
             WHERE id = ?1 AND account_id = ?2",
            params![id, account],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((length, offset, expires, completed, order)) = row else {
        return Err(TusError::new(404, "no such upload"));
    };
    match access::may_send_for(c, account, &order, now) {
        Ok(()) => {}
        Err(StoreError::Refused {
            code: waybill_protocol::ErrorCode::OrderNotFound,
            ..
        }) => return Err(TusError::new(404, "no such upload")),
        Err(e) => return Err(e.into()),
    }
    let expires = DateTime::parse_from_rfc3339(&expires)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    if completed.is_none() && expires <= now {
        return Err(TusError::new(410, "upload expired: create it again"));
    }
    Ok(Upload {
        length: length as u64,
        offset: offset as u64,
        expires,
        completed: completed.is_some(),
    })
}

fn offset_response(
    status: StatusCode,
    length: u64,
    offset: u64,
    expires: Option<DateTime<Utc>>,
) -> Response {
    let mut r = status.into_response();
    let h = r.headers_mut();
    tus_headers(h);
    h.insert("Upload-Offset", HeaderValue::from(offset));
    h.insert("Upload-Length", HeaderValue::from(length));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(e) = expires {
        h.insert("Upload-Expires", http_date(e));
    }
    r
}

async fn offset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
    h: HeaderMap,
) -> Result<Response, TusError> {
    check_version(&h)?;
    driver(&caller)?;
    let u = state
        .with_conn(move |c| load(c, &id, &caller.account, Utc::now()))
        .await?;
    Ok(offset_response(
        StatusCode::OK,
        u.length,
        u.offset,
        (!u.completed).then_some(u.expires),
    ))
}

/// Verifies `Upload-Checksum: <algorithm> <base64 digest>` over `body`, if present.
fn verify_checksum(h: &HeaderMap, body: &[u8]) -> Result<(), TusError> {
    let Some(value) = header_str(h, "Upload-Checksum") else {
        return Ok(());
    };
    let (algorithm, expected) = waybill_protocol::tus::parse_checksum(value)
        .map_err(|e| TusError::new(400, e.to_string()))?;
    let actual = match algorithm.as_str() {
        "sha1" => sha1::Sha1::digest(body).to_vec(),
        "sha256" => sha2::Sha256::digest(body).to_vec(),
        _ => return Err(TusError::new(400, "checksum algorithms: sha1, sha256")),
    };
    if actual != expected {
        return Err(TusError::new(460, "Checksum Mismatch"));
    }
    Ok(())
}

async fn append(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, TusError> {
    check_version(&h)?;
    driver(&caller)?;
    if header_str(&h, "Content-Type") != Some("application/offset+octet-stream") {
        return Err(TusError::new(
            415,
            "Content-Type: application/offset+octet-stream",
        ));
    }
    let claimed = size_header(&h, "Upload-Offset")
        .ok_or_else(|| TusError::new(400, "Upload-Offset required, in plain digits"))?;
    verify_checksum(&h, &body)?;
    // One PATCH per upload at a time (tus answers a concurrent one with 423 Locked).
    let _claim = state
        .claim_upload(&id)
        .ok_or_else(|| TusError::new(423, "another request is writing this upload"))?;
    let account = caller.account;
    let (check_id, check_account) = (id.clone(), account.clone());
    let u = state
        .with_conn(move |c| load(c, &check_id, &check_account, Utc::now()))
        .await?;
    if u.completed || claimed != u.offset {
        return Err(TusError::new(
            409,
            format!("the upload is at offset {}", u.offset),
        ));
    }
    let end = u.offset + body.len() as u64;
    if end > u.length {
        return Err(TusError::new(400, "more bytes than Upload-Length"));
    }
    // The file work runs without the database: other accounts' requests go on meanwhile.
    let folder = dir(&state);
    let (file_id, offset) = (id.clone(), u.offset);
    let written = tokio::task::spawn_blocking(move || {
        write_at(&folder, &file_id, offset, &body)?;
        if end == u.length {
            file_sha256(&folder, &file_id).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| TusError::from(std::io::Error::other(e)))??;
    let dir = dir(&state);
    state
        .with_conn(move |c| {
            let now = Utc::now();
            // The order may have been lost while the bytes were written.
            load(c, &id, &account, now)?;
            c.execute(
                "UPDATE uploads SET offset = ?2 WHERE id = ?1",
                params![id, end as i64],
            )?;
            if let Some(actual) = written {
                complete(c, &dir, &id, &actual, now)?;
            }
            Ok(offset_response(
                StatusCode::NO_CONTENT,
                u.length,
                end,
                (end < u.length).then_some(u.expires),
            ))
        })
        .await
}

/// Writes `body` at `offset`, cutting the file back to `offset` first: a write may have
/// landed before the server died without recording it.
fn write_at(dir: &Path, id: &str, offset: u64, body: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(file(dir, id))?;
    f.set_len(offset)?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset))?;
    f.write_all(body)?;
    f.sync_data()
}

fn file_sha256(dir: &Path, id: &str) -> std::io::Result<String> {
    let mut f = std::fs::File::open(file(dir, id))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut f, &mut hasher)?;
    Ok(waybill_protocol::hex(&hasher.finalize()))
}

/// The last byte arrived and the file hashes to `actual`: it must be the declared
/// SHA-256; then the proof is linked to its order.
fn complete(
    c: &Connection,
    dir: &Path,
    id: &str,
    actual: &str,
    now: DateTime<Utc>,
) -> Result<(), TusError> {
    let (order, kind, sha256, account, length): (String, String, String, String, i64) = c
        .query_row(
            "SELECT order_id, kind, sha256, account_id, length FROM uploads WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    if actual != sha256 {
        // The whole file is wrong: start over.
        c.execute("UPDATE uploads SET offset = 0 WHERE id = ?1", [id])?;
        let _ = std::fs::remove_file(file(dir, id));
        return Err(TusError::new(
            460,
            "the file's SHA-256 is not the declared one",
        ));
    }
    c.execute(
        "UPDATE uploads SET completed_at = ?2 WHERE id = ?1",
        params![id, now.to_rfc3339()],
    )?;
    let linked = c.execute(
        "INSERT OR IGNORE INTO proofs (order_id, sha256, kind, bytes, upload_id, account_id, linked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![order, sha256, kind, length, id, account, now.to_rfc3339()],
    )?;
    if linked > 0 {
        c.execute(
            "INSERT INTO order_events (order_id, kind, actor, at, note) VALUES (?1, 'proof', ?2, ?3, ?4)",
            params![order, account, now.to_rfc3339(), format!("{kind} photo {}", &sha256[..12])],
        )?;
    }
    Ok(())
}

async fn terminate(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    UrlPath(id): UrlPath<String>,
    h: HeaderMap,
) -> Result<Response, TusError> {
    check_version(&h)?;
    driver(&caller)?;
    let dir = dir(&state);
    state
        .with_conn(move |c| {
            let deleted = c.execute(
                "DELETE FROM uploads WHERE id = ?1 AND account_id = ?2 AND completed_at IS NULL",
                params![id, caller.account],
            )?;
            if deleted == 0 {
                return Err(TusError::new(404, "no such upload"));
            }
            let _ = std::fs::remove_file(file(&dir, &id));
            let mut r = StatusCode::NO_CONTENT.into_response();
            tus_headers(r.headers_mut());
            Ok(r)
        })
        .await
}

/// Removes unfinished uploads that expired (rows and files); returns how many.
pub fn sweep_expired(c: &Connection, dir: &Path, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let mut stmt = c.prepare(
        "DELETE FROM uploads WHERE completed_at IS NULL AND expires_at <= ?1 RETURNING id",
    )?;
    let ids: Vec<String> = stmt
        .query_map([now.to_rfc3339()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        let _ = std::fs::remove_file(file(dir, id));
    }
    Ok(ids.len())
}
