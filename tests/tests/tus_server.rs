//! The reference server's tus 1.0 endpoints, spoken to byte by byte: creation with
//! metadata, offsets, per-chunk checksums, a resume, termination, a finished proof never
//! uploaded twice, and a file whose hash is not the declared one refused.

use base64_free::b64;
use reqwest::{Client, Method, StatusCode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use waybill_e2e::{ServerProbe, ServerProcess, carrying_driver, session_token};

mod base64_free {
    /// Standard base64 (the test's own, so the server's decoder is checked against it).
    pub fn b64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

const PHOTO: &[u8] = include_bytes!("../data/images/canon-gps.jpg");

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

struct Tus {
    http: Client,
    base: String,
    token: String,
}

impl Tus {
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
    }

    async fn create(&self, order: &str, bytes: &[u8], declared: &str) -> reqwest::Response {
        self.request(Method::POST, "/v1/uploads")
            .header("Upload-Length", bytes.len())
            .header(
                "Upload-Metadata",
                format!(
                    "order {},kind {},sha256 {}",
                    b64(order.as_bytes()),
                    b64(b"delivery"),
                    b64(declared.as_bytes())
                ),
            )
            .send()
            .await
            .unwrap()
    }

    async fn patch(
        &self,
        location: &str,
        offset: usize,
        chunk: &[u8],
        checksum: Option<&[u8]>,
    ) -> reqwest::Response {
        let mut r = self
            .request(Method::PATCH, location)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset);
        if let Some(c) = checksum {
            r = r.header("Upload-Checksum", format!("sha1 {}", b64(c)));
        }
        r.body(chunk.to_vec()).send().await.unwrap()
    }

    async fn offset(&self, location: &str) -> (StatusCode, Option<u64>) {
        let r = self.request(Method::HEAD, location).send().await.unwrap();
        let offset = r
            .headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        (r.status(), offset)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_travels_over_tus_resumes_and_is_linked_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let (_client, order) = carrying_driver(&data, &server.base_url).await;
    let tus = Tus {
        http: Client::new(),
        base: server.base_url.clone(),
        token: session_token(&data),
    };

    let options = tus
        .request(Method::OPTIONS, "/v1/uploads")
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    let extensions = options.headers()["Tus-Extension"]
        .to_str()
        .unwrap()
        .to_string();
    for e in ["creation", "checksum", "expiration", "termination"] {
        assert!(extensions.contains(e), "{extensions}");
    }

    let sha = hex(&Sha256::digest(PHOTO));
    let created = tus.create(&order, PHOTO, &sha).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(created.headers().contains_key("Upload-Expires"));
    let location = created.headers()["Location"].to_str().unwrap().to_string();

    let half = PHOTO.len() / 2;
    let (first, rest) = PHOTO.split_at(half);
    let r = tus
        .patch(&location, 0, first, Some(&Sha1::digest(first)))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers()["Upload-Offset"].to_str().unwrap(),
        half.to_string()
    );
    // A chunk damaged on the way: 460, nothing appended.
    let r = tus
        .patch(
            &location,
            half,
            rest,
            Some(&Sha1::digest(b"something else")),
        )
        .await;
    assert_eq!(r.status().as_u16(), 460);
    // A client that lost track of the offset: 409.
    assert_eq!(
        tus.patch(&location, 0, rest, None).await.status(),
        StatusCode::CONFLICT
    );
    // Resume: one HEAD tells where to go on.
    assert_eq!(
        tus.offset(&location).await,
        (StatusCode::OK, Some(half as u64))
    );
    let r = tus
        .patch(&location, half, rest, Some(&Sha1::digest(rest)))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let id = location.rsplit('/').next().unwrap();
    let stored = std::fs::read(dir.path().join("server.sqlite3.uploads").join(id)).unwrap();
    assert_eq!(stored, PHOTO, "byte-identical");

    // Linked to the order, once; creating it again answers with the finished upload.
    let probe = ServerProbe::with_token(&server.base_url, &session_token(&data));
    assert_eq!(
        probe
            .event_kinds(&order)
            .await
            .iter()
            .filter(|k| *k == "proof")
            .count(),
        1
    );
    let again = tus.create(&order, PHOTO, &sha).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["Location"].to_str().unwrap(), location);
    assert_eq!(
        again.headers()["Upload-Offset"].to_str().unwrap(),
        PHOTO.len().to_string()
    );

    // A file that does not hash to what was declared is refused at its last byte.
    let wrong = tus
        .create(&order, PHOTO, &hex(&Sha256::digest(b"other")))
        .await;
    let wrong = wrong.headers()["Location"].to_str().unwrap().to_string();
    assert_eq!(
        tus.patch(&wrong, 0, PHOTO, None).await.status().as_u16(),
        460
    );
    assert_eq!(tus.offset(&wrong).await.1, Some(0), "it starts over");

    // Termination: a withdrawn proof's upload is gone.
    let r = tus.request(Method::DELETE, &wrong).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(tus.offset(&wrong).await.0, StatusCode::NOT_FOUND);

    // Bad requests: no version, no length, someone else's order, too large.
    let r = tus
        .http
        .post(format!("{}/v1/uploads", server.base_url))
        .bearer_auth(&tus.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        tus.create("ord-nobody", PHOTO, &sha).await.status(),
        StatusCode::NOT_FOUND
    );
    let big = tus
        .request(Method::POST, "/v1/uploads")
        .header("Upload-Length", 1u64 << 40)
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
