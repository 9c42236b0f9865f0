//! Photo proofs are personal data like the rest (`holdings` registers `proofs` and
//! `proof_fixes`): the export carries them with the position recorded with each, and an
//! erasure request or an account cancellation takes their sealed files off the device at
//! once, not at the next start.

use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, Fix, ProofKind, ProofSource, RightKind, Waybill};
use waybill_e2e::{ServerProcess, allow_trajectory, photographing_driver};

const PHOTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/images/canon-gps.jpg");

/// Files in the client's proofs folder.
fn proof_files(data: &std::path::Path) -> usize {
    std::fs::read_dir(data.join("proofs"))
        .map(|d| d.flatten().count())
        .unwrap_or(0)
}

/// A driver carrying an order who recorded a short drive and photographed the delivery:
/// one proof on disk, taken where the last fix was.
async fn driver_with_a_proof(
    dir: &std::path::Path,
) -> (ServerProcess, std::path::PathBuf, Waybill, String, Fix) {
    let server = ServerProcess::start_fresh(&dir.join("server.sqlite3"));
    let data = dir.join("d");
    let (client, order_id) = photographing_driver(&data, &server.base_url).await;
    allow_trajectory(&client);
    let start = chrono::Utc::now() - chrono::Duration::seconds(60);
    let fixes: Vec<Fix> = (0..10)
        .map(|i| Fix {
            at: start + chrono::Duration::seconds(i * 5),
            lat: 31.2345 + f64::from(i as i32) * 4e-4, // about 9 m/s: driving
            lon: 121.4751,
            accuracy_m: Some(5.0),
            elapsed_ms: None,
            mock: false,
        })
        .collect();
    client.record_fixes(&order_id, &fixes).unwrap();
    client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::File(PHOTO.into()),
            Capture {
                at: chrono::Utc::now(),
                elapsed_ms: None,
            },
        )
        .unwrap();
    let last = *client.fixes(&order_id).unwrap().last().expect("fixes kept");
    assert_eq!(proof_files(&data), 1);
    (server, data, client, order_id, last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_carries_the_proofs_and_where_each_was_taken() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, _data, client, order_id, last) = driver_with_a_proof(dir.path()).await;
    let proof = client.proofs(&order_id).unwrap().remove(0);

    let export: serde_json::Value =
        serde_json::from_str(&client.export_personal_data().unwrap()).unwrap();
    let proofs = export["proofs"].as_array().expect("a proofs section");
    assert_eq!(proofs.len(), 1, "{proofs:?}");
    let p = &proofs[0];
    assert_eq!(p["sha256"], proof.sha256);
    assert_eq!(p["order_id"], order_id);
    assert_eq!(p["kind"], "delivery");
    assert_eq!(p["step"], "deliver");
    assert_eq!(p["bytes"], proof.bytes);
    let position = &p["position"];
    assert_eq!(position["lat"], last.lat, "{p}");
    assert_eq!(position["lon"], last.lon);
    assert_eq!(position["at"], last.at.to_rfc3339());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_request_deletes_the_proof_files_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, data, client, order_id, _) = driver_with_a_proof(dir.path()).await;

    client.request_right(RightKind::Deletion, "", None).unwrap();
    assert!(client.proofs(&order_id).unwrap().is_empty());
    assert_eq!(proof_files(&data), 0, "the sealed photo stayed in proofs/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_account_deletes_the_proof_files_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, data, client, _order_id, _) = driver_with_a_proof(dir.path()).await;

    client
        .cancel_account(&waybill_e2e::step_up_code(&client).await)
        .await
        .unwrap();
    assert_eq!(client.account_id().unwrap(), None);
    assert_eq!(proof_files(&data), 0, "the sealed photo stayed in proofs/");
}
