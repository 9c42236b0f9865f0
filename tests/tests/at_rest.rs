//! Personal data at rest (docs/at-rest.md): after a shipper places an errand and a driver
//! carries it (contact, trajectory, proof photo, exception note, rights request), every
//! file in both data directories — database, WAL, proof folder — is searched for the
//! planted phone numbers, names, ID number, address and coordinates, in every form a
//! forensic search would try. The data key lives in a separate store, as the Keystore or
//! Keychain holds it on a phone.

use std::path::{Path, PathBuf};

use chrono::Utc;
use waybill_core::{
    Fix, KeyFile, LatLon, OrderList, ProofKind, ProofSource, RightKind, Waybill,
    protocol::{ActionKind, OrderContact},
};
use waybill_e2e::{
    SHANGHAI, ServerProcess, allow_trajectory, contains, driver_config, images, shipper_config,
};

const PHONE_SENDER: &str = "13712398765";
const PHONE_RECIPIENT: &str = "13987650123";
const NAME_SENDER: &str = "司马晓燕";
const NAME_RECIPIENT: &str = "欧阳秋实";
const ADDRESS: &str = "Minhang, No. 4417 Hongxin Road, room 1203";
const ID_NUMBER: &str = "31010119900307241X";
const PICKUP: LatLon = LatLon {
    lat: 31.246_801_357_9,
    lon: 121.401_928_374_6,
};

fn errand() -> waybill_core::NewErrand {
    waybill_core::NewErrand {
        pickup_label: "Changning, gate 7".into(),
        pickup: PICKUP,
        dropoff_label: "Minhang, Hongxin Road".into(),
        dropoff: Some(LatLon {
            lat: 31.198_765_432_1,
            lon: 121.387_654_321_9,
        }),
        goods: "documents".into(),
        weight_kg: 0.5,
        fee_minor: 2_500,
        currency: "CNY".into(),
        contact: OrderContact {
            consignor_name: NAME_SENDER.into(),
            consignor_phone: PHONE_SENDER.into(),
            consignee_name: NAME_RECIPIENT.into(),
            consignee_phone: PHONE_RECIPIENT.into(),
            consignee_address: ADDRESS.into(),
        },
    }
}

/// Fixes on a path no other test uses, with many significant digits.
fn fixes() -> Vec<Fix> {
    (0..30)
        .map(|i| Fix {
            at: Utc::now() - chrono::Duration::seconds(60 - i),
            lat: 31.230_456_789_1 + i as f64 * 1.3e-4,
            lon: 121.473_210_987_6 + i as f64 * 0.7e-4,
            accuracy_m: Some(4.25),
            elapsed_ms: None,
            mock: false,
        })
        .collect()
}

/// Every file under `dir`, with its path.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// The byte forms a coordinate can take on disk: IEEE-754 both ways (SQLite REAL is
/// big-endian), and decimal text at 4 to 7 places (JSON, GPX, labels).
fn coordinate_forms(v: f64) -> Vec<Vec<u8>> {
    let mut forms = vec![v.to_be_bytes().to_vec(), v.to_le_bytes().to_vec()];
    forms.extend((4..=7).map(|places| format!("{v:.places$}").into_bytes()));
    forms.push(v.to_string().into_bytes());
    forms
}

/// Each planted value found, with the file it was found in.
fn plaintext_found(dirs: &[&Path], needles: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut found = vec![];
    for dir in dirs {
        for (path, bytes) in files(dir) {
            for (what, needle) in needles {
                if contains(&bytes, needle) {
                    found.push(format!("{what} in {}", path.display()));
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_personal_datum_is_in_plaintext_in_any_file_of_either_app() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let keystore = dir.path().join("keystore"); // stands in for the Keystore / Keychain
    let (s_data, d_data) = (dir.path().join("s"), dir.path().join("d"));

    let shipper = Waybill::open(
        shipper_config(&s_data, &server.base_url),
        &KeyFile::in_dir(&keystore.join("s")),
    )
    .unwrap();
    shipper.accept_policy("first_run_dialog").unwrap();
    waybill_e2e::sign_in(&shipper).await;
    let placed = shipper.place_errand(&errand(), true).unwrap();
    shipper
        .request_right(
            RightKind::Correction,
            &format!("my ID number is {ID_NUMBER}"),
            Some(&waybill_e2e::step_up_code(&shipper).await),
        )
        .unwrap();
    shipper.sync().await.unwrap();

    let driver = Waybill::open(
        driver_config(&d_data, &server.base_url),
        &KeyFile::in_dir(&keystore.join("d")),
    )
    .unwrap();
    driver.accept_policy("first_run_dialog").unwrap();
    waybill_e2e::sign_in(&driver).await;
    driver.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    driver.accept_order(&placed.id).unwrap();
    driver.pick_up(&placed.id).unwrap();
    driver.sync().await.unwrap();
    allow_trajectory(&driver);
    driver.record_fixes(&placed.id, &fixes()).unwrap();
    driver.flush_fixes().unwrap();
    driver
        .report_exception(
            &placed.id,
            &format!("recipient {NAME_RECIPIENT} showed ID {ID_NUMBER}"),
        )
        .unwrap();
    driver
        .decide("proof_photos", true, "delivery_screen")
        .unwrap();
    driver
        .report_permission(
            waybill_core::Permission::Camera,
            waybill_core::PermissionState::Granted,
        )
        .unwrap();
    let photo = images::noise_png(256 * 1024, 7);
    let proof = driver
        .take_proof(
            &placed.id,
            ProofKind::Delivery,
            ActionKind::Deliver,
            &ProofSource::Bytes(photo),
            waybill_core::Capture {
                at: Utc::now(),
                elapsed_ms: None,
            },
        )
        .unwrap();

    // The values are really held (the API gives them back)...
    let contact = driver.order_contact(&placed.id, true).unwrap().unwrap();
    assert_eq!(contact.consignee_phone, PHONE_RECIPIENT);
    let held = driver.fixes(&placed.id).unwrap();
    assert!(held.len() >= 10, "{} fixes kept", held.len());
    let image = driver.proof_image(&proof.sha256).unwrap();
    assert!(
        shipper
            .orders(OrderList::Mine)
            .unwrap()
            .iter()
            .any(|o| o.pickup == PICKUP)
    );

    // ...and none is in any file, while both clients are open (WAL not checkpointed).
    let mut needles: Vec<(String, Vec<u8>)> = [
        PHONE_SENDER,
        PHONE_RECIPIENT,
        NAME_SENDER,
        NAME_RECIPIENT,
        ADDRESS,
        ID_NUMBER,
    ]
    .iter()
    .map(|s| (s.to_string(), s.as_bytes().to_vec()))
    .collect();
    let mut coordinates = vec![PICKUP.lat, PICKUP.lon, 31.198_765_432_1, 121.387_654_321_9];
    coordinates.extend(held.iter().flat_map(|f| [f.lat, f.lon]));
    for c in coordinates {
        needles.extend(
            coordinate_forms(c)
                .into_iter()
                .map(|f| (format!("coordinate {c}"), f)),
        );
    }
    for (i, window) in image.chunks(4096).enumerate().step_by(8) {
        needles.push((format!("photo bytes at {}", i * 4096), window.to_vec()));
    }
    let dirs = [s_data.as_path(), d_data.as_path()];
    let found = plaintext_found(&dirs, &needles);
    println!(
        "at rest: {} files searched for {} planted values: {} found",
        dirs.iter().map(|d| files(d).len()).sum::<usize>(),
        needles.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "plaintext personal data at rest: {found:#?}"
    );

    // The search itself works: what is not personal (the order id) is found in clear.
    assert!(
        !plaintext_found(
            &dirs,
            &[("order id".into(), placed.id.clone().into_bytes())]
        )
        .is_empty()
    );
}
