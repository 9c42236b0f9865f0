//! Toxiproxy (Shopify's TCP fault proxy, `make interop-deps` builds it with `go install`)
//! driven over its HTTP API: one proxy in front of the server, toxics added and removed
//! while the client works.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The toxiproxy server binary, as `make interop-deps` installs it.
pub fn binary() -> PathBuf {
    let bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/tools/toxiproxy/server"
    ));
    assert!(
        bin.exists(),
        "toxiproxy is not installed: run `make interop-deps` (go install of toxiproxy v2)"
    );
    bin
}

/// A running toxiproxy server with one proxy, `waybill`, in front of an upstream.
/// Killed on drop.
pub struct Toxiproxy {
    child: Child,
    api: String,
    http: reqwest::Client,
    /// Where clients connect (the proxy's listen address).
    pub listen: SocketAddr,
}

impl Toxiproxy {
    /// Starts toxiproxy and a proxy to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Toxiproxy {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("its address").port()
        };
        let child = Command::new(binary())
            .args(["-host", "127.0.0.1", "-port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("toxiproxy starts");
        let api = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{api}/version")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let created: Value = http
            .post(format!("{api}/proxies"))
            .json(&json!({"name": "waybill", "listen": "127.0.0.1:0",
                          "upstream": upstream.to_string(), "enabled": true}))
            .send()
            .await
            .expect("toxiproxy API")
            .error_for_status()
            .expect("proxy created")
            .json()
            .await
            .expect("proxy body");
        let listen = created["listen"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("toxiproxy listen address in {created}"));
        Toxiproxy {
            child,
            api,
            http,
            listen,
        }
    }

    /// `http://listen`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// Adds toxic `name` of `kind` on `stream` (`upstream`: client → server,
    /// `downstream`: server → client) with its attributes.
    pub async fn add(&self, name: &str, kind: &str, stream: &str, attributes: Value) {
        self.http
            .post(format!("{}/proxies/waybill/toxics", self.api))
            .json(&json!({"name": name, "type": kind, "stream": stream,
                          "toxicity": 1.0, "attributes": attributes}))
            .send()
            .await
            .expect("toxiproxy API")
            .error_for_status()
            .unwrap_or_else(|e| panic!("toxic {name}: {e}"));
    }

    /// Removes toxic `name`.
    pub async fn remove(&self, name: &str) {
        self.http
            .delete(format!("{}/proxies/waybill/toxics/{name}", self.api))
            .send()
            .await
            .expect("toxiproxy API")
            .error_for_status()
            .unwrap_or_else(|e| panic!("remove {name}: {e}"));
    }
}

impl Drop for Toxiproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
