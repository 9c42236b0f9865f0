//! The built-in transport, counting what it carries: for tests and benches that measure
//! requests (per sync, per driving hour, per kind of document).

use std::sync::Mutex;

use waybill_core::net::http::BoxFuture;
use waybill_core::net::reqwest_transport::ReqwestTransport;
use waybill_core::net::{HttpReply, HttpRequest, Transport, TransportError};

/// reqwest over rustls, remembering the URL of every request it sends.
#[derive(Debug)]
pub struct CountingTransport {
    inner: ReqwestTransport,
    urls: Mutex<Vec<String>>,
}

impl CountingTransport {
    /// The built-in transport without pins, counting.
    pub fn new() -> CountingTransport {
        CountingTransport {
            inner: ReqwestTransport::new(vec![]).expect("the built-in transport"),
            urls: Mutex::default(),
        }
    }

    /// Requests sent so far.
    pub fn total(&self) -> usize {
        self.urls.lock().unwrap().len()
    }

    /// Requests sent so far whose URL contains `part`.
    pub fn to(&self, part: &str) -> usize {
        self.urls
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u.contains(part))
            .count()
    }
}

impl Default for CountingTransport {
    fn default() -> Self {
        CountingTransport::new()
    }
}

impl Transport for CountingTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpReply, TransportError>> {
        self.urls.lock().unwrap().push(request.url.clone());
        self.inner.send(request)
    }
}
