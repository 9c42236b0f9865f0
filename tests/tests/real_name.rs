//! The shipper's optional real-name check (P-26, P-62) against the real server: refusing
//! it blocks no core function; taken offline it waits sealed on the device; once the
//! server has decided, the images are gone from the device and were never kept by the
//! server; a withdrawal drops a check not yet sent; the outcome cannot be deleted within
//! seven days of a delivery, as the device and, independently, the server check.

use waybill_core::{Error, Permission, PermissionState, ProofSource, RealNameState, Waybill};
use waybill_e2e::images::noise_png;
use waybill_e2e::{
    SHANGHAI, ServerProcess, consenting_driver, contains, raw_database_bytes,
    sample_errand as errand, server_files,
};

fn shipper(dir: &std::path::Path, url: &str) -> Waybill {
    waybill_e2e::consenting_shipper(dir, url)
}

fn consent_to_real_name(client: &Waybill) {
    client
        .decide("real_name_verification", true, "real_name_screen")
        .unwrap();
    client
        .report_permission(Permission::Camera, PermissionState::Granted)
        .unwrap();
}

fn identity_files(data: &std::path::Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(data.join("identity"))
        .map(|d| {
            d.flatten()
                .map(|f| std::fs::read(f.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// A run of the image's pixel data: it survives stripping, so finding it anywhere means
/// the image is there.
fn window(image: &[u8]) -> &[u8] {
    &image[image.len() / 2..image.len() / 2 + 256]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_name_check_is_sent_once_and_its_images_kept_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let data = dir.path().join("s");
    let shipper = shipper(&data, &url);
    waybill_e2e::sign_in(&shipper).await;
    let (id_card, face) = (noise_png(120 * 1024, 11), noise_png(90 * 1024, 12));

    // Optional: without its separate consent nothing is taken, and errands still work.
    assert!(matches!(
        shipper
            .verify_real_name(
                ProofSource::Bytes(id_card.clone()),
                ProofSource::Bytes(face.clone())
            )
            .await,
        Err(Error::ConsentRequired { .. })
    ));
    assert!(identity_files(&data).is_empty());
    shipper.place_errand(&errand(1), true).unwrap();
    shipper.sync().await.unwrap();

    // Offline: queued, the images sealed on the device.
    consent_to_real_name(&shipper);
    let addr = server.kill();
    let state = shipper
        .verify_real_name(
            ProofSource::Bytes(id_card.clone()),
            ProofSource::Bytes(face.clone()),
        )
        .await
        .unwrap();
    assert_eq!(state, RealNameState::Pending);
    let held = identity_files(&data);
    assert_eq!(held.len(), 2, "both images wait on the device");
    for file in &held {
        assert!(!contains(file, window(&id_card)) && !contains(file, window(&face)));
    }

    // Online: sent once, decided, deleted from the device; the server kept no image.
    let _server = ServerProcess::start(&db, &addr.to_string());
    shipper.sync().await.unwrap();
    let RealNameState::Verified { at } = shipper.real_name_state().unwrap() else {
        panic!("verified after the sync");
    };
    assert!(at <= chrono::Utc::now());
    assert!(
        identity_files(&data).is_empty(),
        "P-26: no image on the device after the server decided"
    );
    let (device, server_bytes) = (raw_database_bytes(&data), server_files(&db));
    for image in [&id_card, &face] {
        assert!(
            !contains(&device, window(image)),
            "not in the device's database"
        );
        assert!(!contains(&server_bytes, window(image)), "not on the server");
    }
    // Nothing is sent again.
    shipper.sync().await.unwrap();
    assert!(matches!(
        shipper.real_name_state().unwrap(),
        RealNameState::Verified { at: again } if again == at
    ));

    // A withdrawal drops a check not yet sent, files included.
    let addr = _server.kill();
    shipper
        .verify_real_name(
            ProofSource::Bytes(noise_png(80 * 1024, 13)),
            ProofSource::Bytes(noise_png(80 * 1024, 14)),
        )
        .await
        .unwrap();
    assert_eq!(identity_files(&data).len(), 2);
    shipper
        .decide("real_name_verification", false, "real_name_screen")
        .unwrap();
    assert!(identity_files(&data).is_empty());
    assert_eq!(
        shipper.real_name_state().unwrap(),
        RealNameState::Unverified
    );

    // No delivery yet: the outcome can be deleted, here and on the server.
    let _server = ServerProcess::start(&db, &addr.to_string());
    consent_to_real_name(&shipper);
    shipper
        .verify_real_name(ProofSource::Bytes(id_card), ProofSource::Bytes(face))
        .await
        .unwrap();
    shipper.delete_real_name().await.unwrap();
    assert_eq!(
        shipper.real_name_state().unwrap(),
        RealNameState::Unverified
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_name_data_stays_seven_days_after_a_delivery_on_the_device_and_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let shipper = shipper(&dir.path().join("s"), &url);
    let phone = waybill_e2e::fresh_phone();
    waybill_e2e::sign_in_as(&shipper, &phone).await;
    consent_to_real_name(&shipper);
    let verified = shipper
        .verify_real_name(
            ProofSource::Bytes(noise_png(60 * 1024, 21)),
            ProofSource::Bytes(noise_png(60 * 1024, 22)),
        )
        .await
        .unwrap();
    assert!(matches!(verified, RealNameState::Verified { .. }));

    let placed = shipper.place_errand(&errand(2), true).unwrap();
    shipper.sync().await.unwrap();
    let driver = consenting_driver(&dir.path().join("d"), &url);
    waybill_e2e::sign_in(&driver).await;
    driver.refresh_open_orders(SHANGHAI, 10_000).await.unwrap();
    driver.accept_order(&placed.id).unwrap();
    driver.pick_up(&placed.id).unwrap();
    driver.deliver(&placed.id).unwrap();
    driver.sync().await.unwrap();
    let delivered_by = chrono::Utc::now();

    // The device saw the delivery: it refuses before asking the server.
    shipper.sync().await.unwrap();
    let Err(Error::RecentDelivery { deletable_from }) = shipper.delete_real_name().await else {
        panic!("P-62: refused within seven days of a delivery");
    };
    let seven = chrono::Duration::days(7);
    assert!(deletable_from <= delivered_by + seven);
    assert!(deletable_from > delivered_by + seven - chrono::Duration::minutes(5));

    // A new phone of the account has no history yet: the server refuses on its own record.
    let fresh = shipper_on_new_phone(&dir.path().join("s2"), &url, &phone).await;
    let Err(Error::RecentDelivery { deletable_from }) = fresh.delete_real_name().await else {
        panic!("the server applies the seven days itself");
    };
    assert!(deletable_from > delivered_by + seven - chrono::Duration::minutes(5));
    assert!(matches!(
        shipper.real_name_state().unwrap(),
        RealNameState::Verified { .. }
    ));
    drop(server);
}

async fn shipper_on_new_phone(dir: &std::path::Path, url: &str, phone: &str) -> Waybill {
    let client = shipper(dir, url);
    waybill_e2e::sign_in_as(&client, phone).await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_holding_another_accounts_data_signs_it_out_before_the_next_number() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let url = server.base_url.clone();
    let shared = dir.path().join("shared");
    let first = shipper(&shared, &url);
    let first_phone = waybill_e2e::fresh_phone();
    waybill_e2e::sign_in_as(&first, &first_phone).await;
    let placed = first.place_errand(&errand(3), true).unwrap();
    // The first person's session ends from elsewhere: their data is still on the device.
    let other = shipper(&dir.path().join("other"), &url);
    waybill_e2e::sign_in_as(&other, &first_phone).await;
    let me = first.account_devices().await.unwrap();
    let this = me.devices.iter().find(|d| d.current).unwrap().id.clone();
    other.sign_out_device(&this).await.unwrap();
    assert!(first.sync().await.is_err());

    // Another number on that device is refused until the first account is signed out.
    let second_phone = waybill_e2e::fresh_phone();
    let Err(Error::AnotherAccountOnDevice { phone_masked }) =
        first.request_sign_in_code(&second_phone).await
    else {
        panic!("the queue of one person is never sent as another");
    };
    assert!(!phone_masked.contains(&first_phone[4..10]));
    first.sign_out(false).await.unwrap();
    assert!(
        first
            .orders(waybill_core::OrderList::Mine)
            .unwrap()
            .is_empty()
    );
    assert!(first.order(&placed.id).is_err());
    first.accept_policy("first_run_dialog").unwrap();
    waybill_e2e::sign_in_as(&first, &second_phone).await;
    let report = first.sync().await.unwrap();
    assert_eq!(report.pushed, 0, "nothing of the first person was sent");
}
