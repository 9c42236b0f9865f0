//! A lying server: an HTTP proxy on loopback in front of the real server that forwards
//! every request and lets a test rewrite any reply before the client sees it (a wrong
//! tus offset, a `Location` on another origin, a change feed that never ends). What the
//! client does with a lie is then observable against the real server's truth.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// A reply on its way back to the client, to rewrite.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// Rewrites the reply to `method path?query` in place.
pub type Rewrite = dyn Fn(&Method, &str, &mut Reply) + Send + Sync;

/// Answers `method path?query` itself, without the server hearing of it, when it
/// returns a reply.
pub type Intercept = dyn Fn(&Method, &str) -> Option<Reply> + Send + Sync;

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    rewrite: Arc<Rewrite>,
    intercept: Arc<Intercept>,
    seen: Arc<Mutex<Vec<String>>>,
    wire: Arc<Mutex<Vec<u8>>>,
}

/// The proxy, running on the current tokio runtime.
pub struct HostileProxy {
    /// Address clients connect to.
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    wire: Arc<Mutex<Vec<u8>>>,
}

impl HostileProxy {
    /// Starts a proxy to `upstream` that answers what `intercept` answers itself and
    /// passes every other reply through `rewrite`.
    pub async fn start(
        upstream: SocketAddr,
        intercept: Arc<Intercept>,
        rewrite: Arc<Rewrite>,
    ) -> HostileProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(vec![]));
        let wire = Arc::new(Mutex::new(vec![]));
        let state = Proxy {
            wire: Arc::clone(&wire),
            upstream: format!("http://{upstream}"),
            http: reqwest::Client::new(),
            rewrite,
            intercept,
            seen: Arc::clone(&seen),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HostileProxy { addr, seen, wire }
    }

    /// Every byte the client sent: request lines, headers and bodies, in order.
    pub fn sent_bytes(&self) -> Vec<u8> {
        self.wire.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `http://addr`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests seen so far, as `METHOD path?query`.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

async fn forward(State(p): State<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    p.seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(format!("{} {target}", parts.method));
    let Ok(body) = axum::body::to_bytes(body, 64 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    {
        let mut wire = p.wire.lock().unwrap_or_else(|e| e.into_inner());
        wire.extend(format!("{} {target}\r\n", parts.method).as_bytes());
        for (name, value) in &parts.headers {
            wire.extend(name.as_str().as_bytes());
            wire.extend(b": ");
            wire.extend(value.as_bytes());
            wire.extend(b"\r\n");
        }
        wire.extend(&body);
    }
    if let Some(reply) = (p.intercept)(&parts.method, &target) {
        return respond(reply);
    }
    let mut upstream = p
        .http
        .request(parts.method.clone(), format!("{}{target}", p.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(reply) = upstream.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut out = Reply {
        status: reply.status(),
        headers: reply.headers().clone(),
        body: reply.bytes().await.unwrap_or_default(),
    };
    (p.rewrite)(&parts.method, &target, &mut out);
    respond(out)
}

fn respond(mut out: Reply) -> Response {
    out.headers.remove("content-length");
    out.headers.remove("transfer-encoding");
    let mut response = Response::new(Body::from(out.body));
    *response.status_mut() = out.status;
    *response.headers_mut() = out.headers;
    response
}
