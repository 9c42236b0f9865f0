//! Interop with tus peers no one here wrote (`interop/`, installed by `make interop-deps`):
//! the official tus-js-client uploads a proof to the reference server, and the core's tus
//! client uploads, with a resume, to the official tus-node-server (`@tus/server`) and to
//! tusd, the tus project's Go server (`make interop-deps` installs it with
//! `go install`). tusd advertises no checksum extension, so the client sends none there.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use waybill_core::proof::tus::{Remote, Tus};
use waybill_e2e::{ServerProbe, ServerProcess, carrying_driver, session_token};

const PHOTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/images/canon-gps.jpg");

fn interop_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../interop"));
    assert!(
        dir.join("node_modules/tus-js-client").exists()
            && dir.join("node_modules/@tus/server").exists(),
        "the tus peers are not installed: run `make interop-deps` (npm ci in interop/)"
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_tus_js_client_uploads_a_proof_to_the_reference_server() {
    let interop = interop_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (_client, order) = carrying_driver(&data, &server.base_url).await;
    let token = session_token(&data);
    let out = Command::new("node")
        .arg(interop.join("tus-js-upload.mjs"))
        .arg(format!("{}/v1/uploads", server.base_url))
        .arg(&token)
        .arg(&order)
        .arg(PHOTO)
        .arg("4096")
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "tus-js-client: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(reply["patches"].as_u64().unwrap() >= 3, "chunked: {reply}");
    let id = reply["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let stored = std::fs::read(dir.path().join("server.sqlite3.uploads").join(id)).unwrap();
    assert_eq!(stored, std::fs::read(PHOTO).unwrap(), "byte-identical");
    let probe = ServerProbe::with_token(&server.base_url, &token);
    assert!(
        probe
            .event_kinds(&order)
            .await
            .contains(&"proof".to_string())
    );
}

/// Reads the peer's log until it names the URL it listens on, then keeps draining it on a
/// thread: a Go program writing to a closed stdout pipe dies of SIGPIPE.
fn announced_url(reader: impl std::io::Read + Send + 'static, prefix: &str) -> String {
    let mut lines = BufReader::new(reader).lines();
    for line in lines.by_ref() {
        let line = line.expect("the peer writes its address");
        if let Some(at) = line.find(prefix) {
            std::thread::spawn(move || lines.for_each(drop));
            return line[at..].trim().trim_end_matches('/').to_string();
        }
    }
    panic!("the peer exited before naming its address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_uploads_to_the_official_tus_node_server_and_resumes() {
    let interop = interop_dir();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Command::new("node")
        .arg(interop.join("tus-node-server.mjs"))
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let base = announced_url(node.stdout.take().unwrap(), "http://127.0.0.1:");
    upload_resume_and_terminate(&base, dir.path()).await;
    node.kill().unwrap();
    let _ = node.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_uploads_to_tusd_and_resumes() {
    let tusd = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/tools/bin/tusd"
    ));
    assert!(
        tusd.exists(),
        "tusd is not installed: run `make interop-deps` (go install of tusd v2)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(&tusd)
        .args([
            "-host",
            "127.0.0.1",
            "-port",
            "0",
            "-base-path",
            "/v1/uploads/",
        ])
        .arg("-upload-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tusd runs");
    // tusd logs to stdout: "You can now upload files to: http://127.0.0.1:PORT/v1/uploads/"
    let endpoint = announced_url(server.stdout.take().unwrap(), "http://127.0.0.1:");
    let base = endpoint.trim_end_matches("/v1/uploads").to_string();
    upload_resume_and_terminate(&base, dir.path()).await;
    server.kill().unwrap();
    let _ = server.wait();
}

/// The core's tus client against a foreign server whose upload endpoint is
/// `{base}/v1/uploads` and which stores an upload as a file named by its id in `store`.
async fn upload_resume_and_terminate(base: &str, store: &std::path::Path) {
    let transport = waybill_core::net::reqwest_transport::ReqwestTransport::new(vec![]).unwrap();
    let api = waybill_core::net::ApiClient::new(
        base.to_string(),
        "tus-interop",
        std::sync::Arc::new(transport),
    );
    let tus = Tus {
        api: &api,
        token: "not-checked-by-this-server",
    };
    let photo = std::fs::read(PHOTO).unwrap();
    let sha = format!("{:x}", Sha256::digest(&photo));
    let checksum = tus.verifies_sha1().await.unwrap();
    let (url, offset) = tus
        .create(
            photo.len() as u64,
            &[("order", "ord-1"), ("kind", "delivery"), ("sha256", &sha)],
        )
        .await
        .unwrap();
    assert_eq!(offset, 0);
    let half = photo.len() / 2;
    assert_eq!(
        tus.append(&url, 0, photo[..half].to_vec(), checksum)
            .await
            .unwrap(),
        Remote::At(half as u64)
    );
    // The app was killed here: one HEAD tells where to go on.
    assert_eq!(tus.offset(&url).await.unwrap(), Remote::At(half as u64));
    assert_eq!(
        tus.append(&url, half as u64, photo[half..].to_vec(), checksum)
            .await
            .unwrap(),
        Remote::At(photo.len() as u64)
    );
    let id = url.rsplit('/').next().unwrap();
    assert_eq!(
        std::fs::read(store.join(id)).unwrap(),
        photo,
        "byte-identical"
    );

    // Termination of a withdrawn proof's upload.
    let (other, _) = tus.create(10, &[("order", "ord-1")]).await.unwrap();
    tus.terminate(&other).await.unwrap();
    assert_eq!(tus.offset(&other).await.unwrap(), Remote::Gone);
}
