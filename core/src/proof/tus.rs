//! A tus 1.0 client (creation, checksum, expiration, termination) over the core's HTTP
//! client: what the proof queue needs, interoperable with any tus server.

use reqwest::{Method, StatusCode};
use sha1::{Digest, Sha1};

use crate::net::{NetError, NetResult, transport};

/// Where an upload stands on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// The server holds this many bytes.
    At(u64),
    /// Unknown, expired or terminated: create it again.
    Gone,
}

/// A tus conversation as one account.
pub struct Tus<'a> {
    /// HTTP client.
    pub http: &'a reqwest::Client,
    /// Server base URL; relative `Location`s resolve against it.
    pub base_url: &'a str,
    /// Bearer token.
    pub token: &'a str,
}

fn status_error(r: &reqwest::Response) -> NetError {
    match r.status() {
        StatusCode::UNAUTHORIZED => NetError::Unauthorized,
        s => NetError::Status {
            status: s.as_u16(),
            reason: format!("tus: {s}"),
        },
    }
}

fn header_u64(r: &reqwest::Response, name: &str) -> Option<u64> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(waybill_protocol::tus::parse_size)
}

/// Whether `url` is on the server's own origin (scheme, host and port): the bearer token
/// goes with every tus request, so a `Location` elsewhere is never followed.
fn same_origin(url: &reqwest::Url, base: &reqwest::Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}

impl Tus<'_> {
    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.token)
            .header("Tus-Resumable", "1.0.0")
    }

    /// Whether the server verifies per-chunk SHA-1 checksums (`OPTIONS`: the `checksum`
    /// extension with `sha1`); servers without it (tusd, tus-node-server) get none.
    pub async fn verifies_sha1(&self) -> NetResult<bool> {
        let url = format!("{}/v1/uploads", self.base_url);
        let r = self
            .request(Method::OPTIONS, &url)
            .send()
            .await
            .map_err(transport)?;
        let has = |name: &str, item: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|x| x.trim() == item))
        };
        Ok(has("Tus-Extension", "checksum") && has("Tus-Checksum-Algorithm", "sha1"))
    }

    /// Creates an upload of `length` bytes with `metadata`; returns its URL and the offset
    /// the server reports (the whole length when it already has the file).
    pub async fn create(&self, length: u64, metadata: &[(&str, &str)]) -> NetResult<(String, u64)> {
        let meta = waybill_protocol::tus::encode_metadata(metadata);
        let url = format!("{}/v1/uploads", self.base_url);
        let r = self
            .request(Method::POST, &url)
            .header("Upload-Length", length)
            .header("Upload-Metadata", meta)
            .send()
            .await
            .map_err(transport)?;
        if r.status() != StatusCode::CREATED {
            return Err(status_error(&r));
        }
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| NetError::Decode("tus creation without Location".into()))?;
        let base = reqwest::Url::parse(&url).map_err(|e| NetError::Decode(e.to_string()))?;
        let absolute = base
            .join(location)
            .map_err(|e| NetError::Decode(format!("tus Location: {e}")))?;
        if !same_origin(&absolute, &base) {
            return Err(NetError::Decode(
                "tus Location on another origin: not followed with the token".into(),
            ));
        }
        Ok((
            absolute.to_string(),
            header_u64(&r, "Upload-Offset").unwrap_or(0),
        ))
    }

    /// `HEAD`: the reply's status, `Upload-Offset` and `Upload-Length`.
    async fn head(&self, url: &str) -> NetResult<(reqwest::Response, Option<u64>, Option<u64>)> {
        let r = self
            .request(Method::HEAD, url)
            .send()
            .await
            .map_err(transport)?;
        let (offset, length) = (
            header_u64(&r, "Upload-Offset"),
            header_u64(&r, "Upload-Length"),
        );
        Ok((r, offset, length))
    }

    /// Whether the server confirms it holds the whole upload: `HEAD` reports
    /// `Upload-Offset` and `Upload-Length` both equal to `length`.
    pub async fn holds_all(&self, url: &str, length: u64) -> NetResult<bool> {
        let (r, offset, declared) = self.head(url).await?;
        Ok(r.status().is_success() && offset == Some(length) && declared == Some(length))
    }

    /// `HEAD`: how many bytes the server holds.
    pub async fn offset(&self, url: &str) -> NetResult<Remote> {
        let (r, offset, _) = self.head(url).await?;
        match r.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(Remote::Gone),
            s if s.is_success() => offset
                .map(Remote::At)
                .ok_or_else(|| NetError::Decode("tus HEAD without Upload-Offset".into())),
            _ => Err(status_error(&r)),
        }
    }

    /// `PATCH` one chunk at `offset`, with its SHA-1 checksum if `checksum`; returns the
    /// new offset.
    /// `Gone` when the upload expired; a conflicting offset or a checksum mismatch is
    /// reported as a transient status (HEAD again, then resend).
    pub async fn append(
        &self,
        url: &str,
        offset: u64,
        chunk: Vec<u8>,
        checksum: bool,
    ) -> NetResult<Remote> {
        let mut request = self
            .request(Method::PATCH, url)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset);
        if checksum {
            let checksum = waybill_protocol::tus::encode_checksum("sha1", &Sha1::digest(&chunk));
            request = request.header("Upload-Checksum", checksum);
        }
        let r = request.body(chunk).send().await.map_err(transport)?;
        match r.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(Remote::Gone),
            s if s.is_success() => header_u64(&r, "Upload-Offset")
                .map(Remote::At)
                .ok_or_else(|| NetError::Decode("tus PATCH without Upload-Offset".into())),
            StatusCode::CONFLICT => Err(NetError::Transport("tus offset conflict".into())),
            s if s.as_u16() == 460 => Err(NetError::Transport("tus checksum mismatch".into())),
            _ => Err(status_error(&r)),
        }
    }

    /// `DELETE` (termination): the upload and its bytes go.
    pub async fn terminate(&self, url: &str) -> NetResult<()> {
        let r = self
            .request(Method::DELETE, url)
            .send()
            .await
            .map_err(transport)?;
        match r.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND || s == StatusCode::GONE => Ok(()),
            _ => Err(status_error(&r)),
        }
    }
}
