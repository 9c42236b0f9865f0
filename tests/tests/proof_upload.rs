//! Proofs uploaded over tus to the real server: a delivery photo arrives byte-identical
//! and linked to its order; an upload cut by the app's end (a background window closing,
//! then the process killed) resumes with one HEAD and re-sends nothing already confirmed.

use sha2::{Digest, Sha256};
use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, Network, ProofKind, ProofSource, Waybill};
use waybill_e2e::images::noise_png;
use waybill_e2e::{
    LossyProxy, ServerProcess, driver_config, photographing_driver, proofs_linked,
    server_upload_hashes,
};

fn captured() -> Capture {
    Capture {
        at: chrono::Utc::now(),
        elapsed_ms: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_upload_survives_a_closed_window_and_a_kill_resending_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = photographing_driver(&data, &proxy.base_url()).await;

    let photo = noise_png(5 * 1024 * 1024, 0);
    let proof = client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::Bytes(photo.clone()),
            captured(),
        )
        .unwrap();
    let stored = client.proof_image(&proof.sha256).unwrap();
    assert!(
        !waybill_e2e::contains(&stored, b"13800001111"),
        "text chunks dropped"
    );

    // A slow link and a short background window: the upload stops between chunks.
    proxy.set_delay_ms(300);
    let first = client
        .sync_in_background(std::time::Duration::from_millis(700), Network::Metered)
        .await
        .unwrap();
    let confirmed = client.proofs(&order_id).unwrap()[0].uploaded_bytes;
    assert!(
        confirmed > 0 && confirmed < proof.bytes,
        "interrupted mid-upload at {confirmed} of {} ({first:?})",
        proof.bytes
    );
    drop(client); // then the OS kills the app
    proxy.set_delay_ms(0);

    let client = Waybill::open_with_key_file(driver_config(&data, &proxy.base_url())).unwrap();
    let (up0, _) = proxy.bytes();
    let report = client.sync().await.unwrap();
    let (up1, _) = proxy.bytes();
    assert_eq!(report.proofs_uploaded, 1);
    let resent = report.proof_bytes_sent + confirmed - proof.bytes;
    assert_eq!(resent, 0, "nothing confirmed is sent again");
    assert!(
        up1 - up0 < proof.bytes - confirmed + 16 * 1024,
        "one HEAD, the rest, little else"
    );
    let done = &client.proofs(&order_id).unwrap()[0];
    assert!(done.uploaded_at.is_some());

    // On the server: the same bytes, linked to the order once.
    let uploads = dir.path().join("server.sqlite3.uploads");
    let files: Vec<_> = std::fs::read_dir(&uploads).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let on_server = std::fs::read(files[0].path()).unwrap();
    assert_eq!(
        format!("{:x}", Sha256::digest(&on_server)),
        proof.sha256,
        "byte-identical"
    );
    assert_eq!(proofs_linked(&server.base_url, &data, &order_id).await, 1);
    // Uploaded: the retention (0 days after upload) deletes the local copy.
    client.sweep_retention().unwrap();
    assert_eq!(std::fs::read_dir(data.join("proofs")).unwrap().count(), 0);
    println!(
        "{} B proof: {confirmed} B confirmed before the kill, {} B sent after it, {} B re-sent",
        proof.bytes, report.proof_bytes_sent, resent
    );
}

/// Trials: `TRIALS` uploads, each torn at a random byte offset of its transfer by the
/// proxy, then resumed by the next sync. Every file must arrive byte-identical (the server
/// verifies the SHA-256 at the last byte and links it once), and what a resume costs
/// beyond the file itself stays within one chunk plus the requests' headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_torn_at_random_offsets_arrive_whole_resending_at_most_a_chunk() {
    const TRIALS: u32 = 50;
    const CHUNK: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = photographing_driver(&data, &proxy.base_url()).await;

    let mut rng = 0x1234_5678_u64;
    let mut random = |below: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % below
    };
    let (mut worst, mut total_overhead, mut torn) = (0u64, 0u64, 0u32);
    for trial in 0..TRIALS {
        let photo = noise_png(2 * 1024 * 1024 + 300_000, u64::from(trial) + 1);
        let proof = client
            .take_proof(
                &order_id,
                ProofKind::Damage,
                ActionKind::ReportException,
                &ProofSource::Bytes(photo),
                captured(),
            )
            .unwrap();
        let (up0, _) = proxy.bytes();
        proxy.cut_upstream_after(1 + random(proof.bytes + 4_000));
        let mut syncs = 0;
        loop {
            syncs += 1;
            assert!(syncs <= 4, "trial {trial}: not done after {syncs} syncs");
            match client.sync().await {
                Ok(r) if r.proofs_uploaded == 1 => break,
                Ok(_) => {}
                Err(waybill_core::Error::Offline { .. }) => torn += 1,
                Err(e) => panic!("trial {trial}: {e}"),
            }
        }
        proxy.cut_upstream_after(u64::MAX); // disarm for the checks below
        let (up1, _) = proxy.bytes();
        let overhead = (up1 - up0).saturating_sub(proof.bytes);
        assert!(
            overhead <= CHUNK + 32 * 1024,
            "trial {trial}: {overhead} B beyond the file"
        );
        worst = worst.max(overhead);
        total_overhead += overhead;
        let on_server = server_upload_hashes(&dir.path().join("server.sqlite3"));
        assert!(
            on_server.contains(&proof.sha256),
            "trial {trial}: not byte-identical"
        );
    }
    assert_eq!(
        proofs_linked(&server.base_url, &data, &order_id).await,
        TRIALS as usize,
        "each proof linked once"
    );
    println!(
        "{TRIALS} uploads of ~2.3 MiB torn at random offsets ({torn} syncs cut): all byte-identical; \
         beyond the file per upload (re-sent bytes + request headers): mean {} B, worst {worst} B (chunk {CHUNK} B)",
        total_overhead / u64::from(TRIALS)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_proof_ends_its_unfinished_upload_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = photographing_driver(&data, &proxy.base_url()).await;
    let proof = client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::Bytes(noise_png(3 * 1024 * 1024, 7)),
            captured(),
        )
        .unwrap();
    proxy.cut_upstream_after(proof.bytes / 2);
    assert!(client.sync().await.is_err(), "torn mid-upload");
    let uploads = dir.path().join("server.sqlite3.uploads");
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        1,
        "part of it is there"
    );

    // The driver withdraws the photo consent: the device purges, the server's part goes.
    client
        .decide("proof_photos", false, "privacy_settings")
        .unwrap();
    assert!(client.proofs(&order_id).unwrap().is_empty());
    client.sync().await.unwrap();
    assert_eq!(
        std::fs::read_dir(&uploads).unwrap().count(),
        0,
        "terminated on the server"
    );
}
