//! Kill trials for proof uploads: a child process takes a 3 MiB photo proof and uploads
//! it; the parent SIGKILLs it at a random instant, then lets a new child finish. Every
//! proof must reach the server byte-identical, linked once, and no upload may cost more
//! than one chunk beyond the file (plus the requests' headers).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use waybill_e2e::images::noise_png;
use waybill_e2e::{
    LossyProxy, ServerProcess, photographing_driver, proofs_linked, server_upload_hashes,
};

const TRIALS: u32 = 50;
const CHUNK: u64 = 1024 * 1024;
const SIZE: usize = 3 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_app_mid_upload_loses_no_proof_and_resends_at_most_a_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let order = {
        let (_client, order) = photographing_driver(&data, &proxy.base_url()).await;
        order
    }; // the parent's client is closed: the children own the device database
    let mut seed = 0x9e37_79b9_u64;
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below.max(1)
    };
    let child = |photo: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_proof_child"))
            .arg(&data)
            .arg(proxy.base_url())
            .arg(&order)
            .arg(photo)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn proof_child")
    };
    // How long an uninterrupted child takes on this machine (a warm-up proof): kills are
    // spread over that span, so they land in start-up, intake, sync and upload alike.
    let warm_up = dir.path().join("warm-up.png");
    std::fs::write(&warm_up, noise_png(SIZE, 0)).unwrap();
    let started = std::time::Instant::now();
    let mut first = child(&warm_up);
    assert!(first.wait().unwrap().success());
    let span = started.elapsed().as_millis() as u64;
    let (mut worst, mut mid_upload) = (0u64, 0u32);
    let mut hashes = vec![];
    for trial in 0..TRIALS {
        let bytes = noise_png(SIZE, u64::from(trial) + 1);
        let photo = dir.path().join(format!("photo-{trial}.png"));
        std::fs::write(&photo, &bytes).unwrap();
        let (up0, _) = proxy.bytes();
        let mut victim = child(&photo);
        tokio::time::sleep(Duration::from_millis(span / 4 + random(span))).await;
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        let (up1, _) = proxy.bytes();
        if up1 - up0 > 64 * 1024 && up1 - up0 < bytes.len() as u64 {
            mid_upload += 1;
        }
        let mut calm = child(&photo);
        // The child names the proof it holds (its hash after intake stripped the text
        // chunk), then says when every upload is done.
        let said: Vec<String> = BufReader::new(calm.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .collect();
        let finished = said.iter().any(|l| l == "done");
        let sha = said
            .iter()
            .find_map(|l| l.strip_prefix("ack "))
            .expect("the child acknowledged the proof")
            .to_string();
        assert!(
            calm.wait().unwrap().success() && finished,
            "trial {trial}: not done"
        );
        let (up2, _) = proxy.bytes();
        let beyond = (up2 - up0).saturating_sub(bytes.len() as u64);
        assert!(
            beyond <= CHUNK + 64 * 1024,
            "trial {trial}: {beyond} B beyond the file"
        );
        worst = worst.max(beyond);
        hashes.push(sha);
    }
    let on_server = server_upload_hashes(&dir.path().join("server.sqlite3"));
    for (trial, sha) in hashes.iter().enumerate() {
        assert!(
            on_server.contains(sha),
            "trial {trial}: not byte-identical on the server"
        );
    }
    let linked = proofs_linked(&server.base_url, &data, &order).await;
    assert_eq!(linked, TRIALS as usize + 1, "each proof linked once");
    assert!(mid_upload > 0, "some kills landed mid-upload");
    println!(
        "{TRIALS} kills ({mid_upload} mid-upload, child run {span} ms): every proof byte-identical \
         and linked once; worst cost beyond the file {worst} B (chunk {CHUNK} B)"
    );
}
