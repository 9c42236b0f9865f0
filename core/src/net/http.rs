//! The transport contract: the core builds each request (method, URL, headers, body, a
//! deadline and a cap on the reply) and a [`Transport`] carries it — the app's own HTTP
//! stack on a phone (OkHttp, URLSession: its proxy, trust store and pinning apply), reqwest
//! in the CLI, the demo and the Rust test suites. Everything decided about a request
//! (idempotency keys, retries, backoff, tus offsets, checksums, the privacy gate) stays in
//! the core; a transport only moves bytes. The core believes a transport no more than a
//! server: it enforces the deadline and the cap itself (ADR 0014).

use std::future::Future;
use std::pin::Pin;

/// A boxed future a transport returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The methods the core sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH` (tus chunks).
    Patch,
    /// `DELETE`.
    Delete,
    /// `HEAD` (tus offsets).
    Head,
    /// `OPTIONS` (tus discovery).
    Options,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

/// One request, as the core built it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL (the configured server's origin, or a tus upload on it).
    pub url: String,
    /// Headers to send as given (`Authorization`, `Content-Type`, `Idempotency-Key`,
    /// `User-Agent`, tus headers). A transport adds none that change the meaning.
    pub headers: Vec<(String, String)>,
    /// The body (empty: none).
    pub body: Vec<u8>,
    /// The whole request's deadline, connect to last byte, ms.
    pub timeout_ms: u64,
    /// A reply body longer than this is not read: the transport fails the request with
    /// [`TransportError::ReplyTooLarge`].
    pub max_reply_bytes: u64,
}

/// One reply, whole. Redirects are not followed: a 3xx comes back as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The reply's headers (names in any case).
    pub headers: Vec<(String, String)>,
    /// The body, at most the request's `max_reply_bytes`.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// DNS, connect, TLS (including a refused certificate or pin), reset, or a body cut
    /// short: retry later. `reason` carries no URL.
    Failed {
        /// What failed.
        reason: String,
    },
    /// The deadline passed.
    TimedOut,
    /// The reply body passed `max_reply_bytes`.
    ReplyTooLarge,
}

/// Carries the core's requests.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `request` and reads its whole reply; dropping the future cancels it.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>>;
}
