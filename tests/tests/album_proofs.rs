//! P-19 (seed 002: photos "从相册选择"): one photo the driver picks from the album can prove a
//! step, under its own purpose and the photos permission — limited access is enough, and
//! no call lists the library. It is stripped like a camera photo, uploaded under the album
//! purpose, and refusing the camera's purpose does not touch it (nor the other way round).

use waybill_core::protocol::ActionKind;
use waybill_core::{DataAction, Error, Permission, PermissionState, ProofKind, ProofSource};
use waybill_e2e::{ServerProcess, carrying_driver, proofs_linked};

const CAMERA_JPEG: &[u8] = include_bytes!("../data/images/canon-gps.jpg");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_picked_from_the_album_proves_a_step_under_its_own_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, order) = carrying_driver(&data, &server.base_url).await;
    client
        .decide("proof_photos", false, "delivery_screen")
        .unwrap();
    client
        .decide("album_upload", true, "delivery_screen")
        .unwrap();

    client
        .report_permission(Permission::Photos, PermissionState::Denied)
        .unwrap();
    let pick = || {
        client.take_proof_from_album(
            &order,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::Bytes(CAMERA_JPEG.to_vec()),
        )
    };
    assert!(matches!(pick(), Err(Error::PermissionRequired { .. })));

    // iOS "limited library" / Android 14 "selected photos": enough for the one photo.
    client
        .report_permission(Permission::Photos, PermissionState::Limited)
        .unwrap();
    let proof = pick().expect("a picked photo under limited access");
    assert!(proof.bytes < CAMERA_JPEG.len() as u64, "metadata stripped");
    assert_eq!(
        proof.position, None,
        "no position for a photo taken elsewhere, earlier"
    );
    // The camera's purpose was refused: the camera path stays closed.
    assert!(matches!(
        client.take_proof(
            &order,
            ProofKind::Damage,
            ActionKind::ReportException,
            &ProofSource::Bytes(CAMERA_JPEG.to_vec()),
            waybill_core::Capture {
                at: chrono::Utc::now(),
                elapsed_ms: None,
            },
        ),
        Err(Error::ConsentRequired { .. })
    ));
    let log = client.transparency_log(20).unwrap();
    assert!(log.iter().any(|e| e.action == DataAction::Collected
        && e.purpose == "album_upload"
        && e.categories == ["album_images"]));

    let report = client.sync().await.unwrap();
    assert_eq!(
        report.proofs_uploaded, 1,
        "uploaded under the album purpose"
    );
    assert_eq!(proofs_linked(&server.base_url, &data, &order).await, 1);
    assert!(
        client.proofs(&order).unwrap()[0].uploaded_at.is_some(),
        "confirmed"
    );
}
