//! A tus 1.0 client (creation, checksum, expiration, termination) over the core's
//! transport: what the proof queue needs, interoperable with any tus server.

use sha1::{Digest, Sha1};

use crate::net::{ApiClient, HttpReply, Method, NetError, NetResult};
use crate::origin::resolve_on_origin;

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
    /// The sync contract's client (its transport and base URL; relative `Location`s
    /// resolve against it).
    pub api: &'a ApiClient,
    /// Bearer token.
    pub token: &'a str,
}

fn status_error(r: &HttpReply) -> NetError {
    match r.status {
        401 => NetError::Unauthorized,
        s => NetError::Status {
            status: s,
            reason: format!("tus: HTTP {s}"),
        },
    }
}

fn header_u64(r: &HttpReply, name: &str) -> Option<u64> {
    r.header(name).and_then(waybill_protocol::tus::parse_size)
}

fn gone(r: &HttpReply) -> bool {
    r.status == 404 || r.status == 410
}

impl Tus<'_> {
    fn request(&self, method: Method, url: &str) -> crate::net::Request<'_> {
        self.api
            .request(method, url)
            .bearer_auth(self.token)
            .header("Tus-Resumable", "1.0.0")
    }

    fn endpoint(&self) -> String {
        format!("{}/v1/uploads", self.api.base_url())
    }

    /// Whether the server verifies per-chunk SHA-1 checksums (`OPTIONS`: the `checksum`
    /// extension with `sha1`); servers without it (tusd, tus-node-server) get none.
    pub async fn verifies_sha1(&self) -> NetResult<bool> {
        let r = self
            .request(Method::Options, &self.endpoint())
            .exchange()
            .await?;
        let has = |name: &str, item: &str| {
            r.header(name)
                .is_some_and(|v| v.split(',').any(|x| x.trim() == item))
        };
        Ok(has("Tus-Extension", "checksum") && has("Tus-Checksum-Algorithm", "sha1"))
    }

    /// Creates an upload of `length` bytes with `metadata`; returns its URL and the offset
    /// the server reports (the whole length when it already has the file).
    pub async fn create(&self, length: u64, metadata: &[(&str, &str)]) -> NetResult<(String, u64)> {
        let meta = waybill_protocol::tus::encode_metadata(metadata);
        let url = self.endpoint();
        let r = self
            .request(Method::Post, &url)
            .header("Upload-Length", length)
            .header("Upload-Metadata", meta)
            .exchange()
            .await?;
        if r.status != 201 {
            return Err(status_error(&r));
        }
        let location = r
            .header("Location")
            .ok_or_else(|| NetError::Decode("tus creation without Location".into()))?;
        let absolute = resolve_on_origin(&url, location).ok_or_else(|| {
            NetError::Decode("tus Location on another origin: not followed with the token".into())
        })?;
        Ok((absolute, header_u64(&r, "Upload-Offset").unwrap_or(0)))
    }

    /// `HEAD`: the reply, its `Upload-Offset` and `Upload-Length`.
    async fn head(&self, url: &str) -> NetResult<(HttpReply, Option<u64>, Option<u64>)> {
        let r = self.request(Method::Head, url).exchange().await?;
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
        Ok(r.is_success() && offset == Some(length) && declared == Some(length))
    }

    /// `HEAD`: how many bytes the server holds.
    pub async fn offset(&self, url: &str) -> NetResult<Remote> {
        let (r, offset, _) = self.head(url).await?;
        if gone(&r) {
            return Ok(Remote::Gone);
        }
        if r.is_success() {
            return offset
                .map(Remote::At)
                .ok_or_else(|| NetError::Decode("tus HEAD without Upload-Offset".into()));
        }
        Err(status_error(&r))
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
            .request(Method::Patch, url)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset);
        if checksum {
            let checksum = waybill_protocol::tus::encode_checksum("sha1", &Sha1::digest(&chunk));
            request = request.header("Upload-Checksum", checksum);
        }
        let r = request.body(chunk).exchange().await?;
        match r.status {
            _ if gone(&r) => Ok(Remote::Gone),
            _ if r.is_success() => header_u64(&r, "Upload-Offset")
                .map(Remote::At)
                .ok_or_else(|| NetError::Decode("tus PATCH without Upload-Offset".into())),
            409 => Err(NetError::Transport("tus offset conflict".into())),
            460 => Err(NetError::Transport("tus checksum mismatch".into())),
            _ => Err(status_error(&r)),
        }
    }

    /// `DELETE` (termination): the upload and its bytes go.
    pub async fn terminate(&self, url: &str) -> NetResult<()> {
        let r = self.request(Method::Delete, url).exchange().await?;
        if r.is_success() || gone(&r) {
            Ok(())
        } else {
            Err(status_error(&r))
        }
    }
}
