//! The built-in transport (cargo feature `reqwest`): reqwest over rustls with the core's
//! TLS policy and optional pinning (`tls.rs`). The CLI, the demo, desktop tools and the
//! Rust test suites use it; the mobile library is built without it and sends through the
//! app's HTTP stack (ADR 0014).

use std::time::Duration;

use super::http::{BoxFuture, HttpReply, HttpRequest, Method, Transport, TransportError};

/// reqwest, configured once.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl ReqwestTransport {
    /// A client with the core's TLS configuration; with `pins`, TLS also requires a
    /// pinned key in the server's chain.
    pub fn new(pins: Vec<crate::tls::Pin>) -> Result<ReqwestTransport, String> {
        let tls = crate::tls::client_config(pins)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(CONNECT_TIMEOUT)
            // The contract: a 3xx comes back as it is (the core never follows one with
            // its bearer token).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ReqwestTransport { http })
    }
}

fn method(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
        Method::Options => reqwest::Method::OPTIONS,
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        Box::pin(async move {
            let mut builder = self
                .http
                .request(method(request.method), &request.url)
                .timeout(Duration::from_millis(request.timeout_ms));
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            if !request.body.is_empty() {
                builder = builder.body(request.body);
            }
            let mut reply = builder.send().await.map_err(failed)?;
            let status = reply.status().as_u16();
            let headers = reply
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let max = request.max_reply_bytes;
            if reply.content_length().is_some_and(|n| n > max) {
                return Err(TransportError::ReplyTooLarge);
            }
            let mut body = Vec::new();
            while let Some(chunk) = reply.chunk().await.map_err(failed)? {
                if (body.len() + chunk.len()) as u64 > max {
                    return Err(TransportError::ReplyTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(HttpReply {
                status,
                headers,
                body,
            })
        })
    }
}

/// reqwest's failure, without its URL (URLs carry queries: the coarse position of an
/// offer search; errors reach logs and `outbox.last_error`).
fn failed(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        return TransportError::TimedOut;
    }
    let kind = if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    let e = e.without_url();
    let mut reason = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        reason.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    TransportError::Failed { reason }
}
