//! The app's HTTP stack, seen by the core (ADR 0014): OkHttp on Android (the app's own
//! client, so its proxy, interceptors, trust and pinning apply), URLSession on iOS. The
//! core builds every request and decides everything about it; the transport moves bytes.

use std::sync::Arc;

use waybill_core as core;
use waybill_core::net::http::BoxFuture;

/// The methods the core sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HttpMethod {
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

mirror_enum!(
    HttpMethod,
    core::net::Method,
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options
);

/// One header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

fn headers(list: Vec<(String, String)>) -> Vec<HttpHeader> {
    list.into_iter()
        .map(|(name, value)| HttpHeader { name, value })
        .collect()
}

/// A request the core built: send it as it is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The absolute URL.
    pub url: String,
    /// Headers to send as given.
    pub headers: Vec<HttpHeader>,
    /// The body (empty: none).
    pub body: Vec<u8>,
    /// The whole request's deadline, ms.
    pub timeout_ms: u64,
    /// Fail with `ReplyTooLarge` rather than read a longer reply body.
    pub max_reply_bytes: u64,
}

/// The whole reply. Do not follow redirects: return a 3xx as it is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Its headers.
    pub headers: Vec<HttpHeader>,
    /// Its body.
    pub body: Vec<u8>,
}

/// Why a request got no reply.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// DNS, connect, TLS (a refused certificate or pin), reset, a body cut short.
    #[error("transport failed: {reason}")]
    Failed {
        /// What failed (no URL: URLs carry queries).
        reason: String,
    },
    /// The deadline passed.
    #[error("timed out")]
    TimedOut,
    /// The reply body passed `max_reply_bytes`.
    #[error("reply too large")]
    ReplyTooLarge,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Failed { reason: e.reason }
    }
}

/// Implemented by the app over its HTTP stack. Called from the core's threads; cancelled
/// (its coroutine or task) when the core stops waiting.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and reads its whole reply (redirects not followed).
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Adapts the app's transport to the core's trait.
pub(crate) struct Forward(pub(crate) Arc<dyn HttpTransport>);

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("app transport")
    }
}

impl core::net::Transport for Forward {
    fn send(
        &self,
        request: core::net::HttpRequest,
    ) -> BoxFuture<'_, Result<core::net::HttpReply, core::net::TransportError>> {
        let request = HttpRequest {
            method: request.method.into(),
            url: request.url,
            headers: headers(request.headers),
            body: request.body,
            timeout_ms: request.timeout_ms,
            max_reply_bytes: request.max_reply_bytes,
        };
        Box::pin(async move {
            match self.0.send(request).await {
                Ok(reply) => Ok(core::net::HttpReply {
                    status: reply.status,
                    headers: reply
                        .headers
                        .into_iter()
                        .map(|h| (h.name, h.value))
                        .collect(),
                    body: reply.body,
                }),
                Err(TransportError::Failed { reason }) => {
                    Err(core::net::TransportError::Failed { reason })
                }
                Err(TransportError::TimedOut) => Err(core::net::TransportError::TimedOut),
                Err(TransportError::ReplyTooLarge) => Err(core::net::TransportError::ReplyTooLarge),
            }
        })
    }
}
