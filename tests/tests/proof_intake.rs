//! Photo proof intake against the real server's order: a real camera JPEG with a GPS
//! position is kept without it (and without the camera's serial), with its orientation and
//! its pixels untouched, under its SHA-256 in the app-private folder; bad input is a typed
//! error that stores nothing; withdrawing the purpose deletes the files.

use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;
use sha2::{Digest, Sha256};
use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, Error, Permission, PermissionState, ProofKind, ProofSource};
use waybill_e2e::{ServerProcess, carrying_driver, contains};

const PHOTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/images/canon-gps.jpg");

/// The compressed image data: everything from the first start-of-scan on, found by
/// walking the marker segments (independently of the library under test).
fn pixels(jpeg: &[u8]) -> Vec<u8> {
    let mut at = 2; // after SOI
    while at + 4 <= jpeg.len() {
        assert_eq!(jpeg[at], 0xff, "a marker at {at}");
        if jpeg[at + 1] == 0xda {
            return jpeg[at..].to_vec();
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    panic!("no start of scan");
}

fn now() -> Capture {
    Capture {
        at: chrono::Utc::now(),
        elapsed_ms: Some(123_456),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_photo_is_kept_without_its_position_and_with_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;
    let source = ProofSource::File(PHOTO.into());
    let original = std::fs::read(PHOTO).unwrap();
    assert!(
        contains(&original, b"123456789012"),
        "the fixture has a serial"
    );
    assert!(contains(&original, &[0x88, 0x25]), "and a GPS position");
    assert!(pixels(&original).len() > 100, "and its image data");

    // A purpose of its own: no consent, no proof, no file.
    assert!(matches!(
        client.take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &source,
            now()
        ),
        Err(Error::ConsentRequired { .. })
    ));
    client
        .decide("proof_photos", true, "delivery_screen")
        .unwrap();
    client
        .report_permission(Permission::Camera, PermissionState::Granted)
        .unwrap();

    let proof = client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &source,
            now(),
        )
        .unwrap();
    let folder = data.join("proofs");
    let on_disk = std::fs::read(folder.join(format!("{}.jpg", proof.sha256))).unwrap();
    let stored = client.proof_image(&proof.sha256).unwrap();
    assert_eq!(proof.bytes, stored.len() as u64);
    assert!(
        !contains(&on_disk, &stored[stored.len() - 64..]),
        "the file is sealed, not the image"
    );
    let digest: String = Sha256::digest(&stored)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(proof.sha256, digest, "named and identified by its hash");
    assert_eq!(pixels(&stored), pixels(&original), "pixels untouched");
    let exif = Jpeg::from_bytes(stored.clone().into())
        .unwrap()
        .exif()
        .expect("the orientation stays");
    assert!(
        exif.len() < 40,
        "only the orientation is left: {} bytes",
        exif.len()
    );
    assert!(!contains(&stored, b"123456789012"), "serial gone");
    assert!(!contains(&stored, b"Canon"), "camera make gone");
    // GPS IFD pointer tag 0x8825 in either byte order.
    assert!(!contains(&stored, &[0x88, 0x25]) && !contains(&stored, &[0x25, 0x88]));
    // The same photo again is the same proof.
    let again = client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &source,
            now(),
        )
        .unwrap();
    assert_eq!(again.sha256, proof.sha256);
    assert_eq!(client.proofs(&order_id).unwrap().len(), 1);

    // Bad input: typed errors, nothing stored, the proof already held untouched.
    for bad in [
        ProofSource::Bytes(
            b"not an image at all, just text that is long enough to pass the size check .........."
                .to_vec(),
        ),
        ProofSource::Bytes([&[0xff, 0xd8, 0xff, 0xe0][..], &[0u8; 500]].concat()),
        ProofSource::Bytes([&b"\0\0\0\x18ftypheic"[..], &[0u8; 500]].concat()),
        ProofSource::Bytes(vec![0xff, 0xd8]),
        ProofSource::File(dir.path().join("missing.jpg")),
    ] {
        let err = client
            .take_proof(
                &order_id,
                ProofKind::Damage,
                ActionKind::ReportException,
                &bad,
                now(),
            )
            .unwrap_err();
        assert!(matches!(err, Error::InvalidProof { .. }), "{err:?}");
    }
    assert_eq!(client.proofs(&order_id).unwrap().len(), 1);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1);

    // Withdrawing the purpose deletes the records and their files.
    client
        .decide("proof_photos", false, "privacy_settings")
        .unwrap();
    assert!(client.proofs(&order_id).unwrap().is_empty());
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_proof_and_the_drop_off_geofence_guard_the_sign_off() {
    use waybill_core::{LatLon, ProofRule, Requirement};
    use waybill_e2e::{SHANGHAI, ServerProbe, allow_trajectory, traces};

    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let shipper = ServerProbe::connect(&server.base_url).await;
    // The drop-off is 2 km north of where the recorded drive ends.
    let trace = traces::load("x0001-001.json");
    let end = *trace.last().unwrap();
    let errand = shipper
        .create_errand_to(
            SHANGHAI,
            0,
            Some(LatLon {
                lat: end.lat + 0.018,
                lon: end.lon,
            }),
        )
        .await;
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;
    assert_eq!(order_id, errand);
    allow_trajectory(&client);
    client.record_fixes(&order_id, &trace).unwrap();
    client
        .decide("proof_photos", true, "delivery_screen")
        .unwrap();
    client
        .report_permission(Permission::Camera, PermissionState::Granted)
        .unwrap();

    // Defaults warn only; this fleet requires a delivery photo.
    let check = client.proof_check(&order_id, ActionKind::Deliver).unwrap();
    assert!(check.missing.is_empty());
    assert_eq!(check.recommended, ["delivery", "signature"]);
    client
        .set_proof_rules(&[ProofRule {
            step: "deliver".into(),
            kind: "delivery".into(),
            requirement: Requirement::Required,
        }])
        .unwrap();
    match client.deliver(&order_id) {
        Err(Error::ProofRequired { missing }) => assert_eq!(missing, ["delivery"]),
        other => panic!("{other:?}"),
    }
    let proof = client
        .take_proof(
            &order_id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::File(PHOTO.into()),
            now(),
        )
        .unwrap();
    let at = proof
        .position
        .expect("the trajectory purpose is live: the last fix is kept");
    assert!((at.lat - end.lat).abs() < 1e-3 && (at.lon - end.lon).abs() < 1e-3);
    // Now the place: 2 km away needs a reason, recorded with the sign-off.
    match client.deliver(&order_id) {
        Err(Error::OutsideGeofence { distance_m }) => {
            assert!((1_900..2_100).contains(&distance_m), "{distance_m}")
        }
        other => panic!("{other:?}"),
    }
    client
        .deliver_with_override(&order_id, Some("the consignee met me at the site gate"))
        .unwrap();
    client.sync().await.unwrap();
    let notes = shipper.event_notes(&order_id).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("from the drop-off: the consignee met me")),
        "{notes:?}"
    );
    // The position is trajectory data: withdrawing that consent removes it from the proof.
    client
        .decide("trajectory_upload", false, "privacy_settings")
        .unwrap();
    let proofs = client.proofs(&order_id).unwrap();
    assert!(proofs.iter().all(|p| p.position.is_none()), "{proofs:?}");
}
