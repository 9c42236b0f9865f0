//! Telling recipients to forget (P-63): after a deletion request or the account's
//! closing, every SDK the app handed personal data to is owed a "forget" until the app
//! says it called that SDK's deletion; the list outlives a restart and the closing's wipe,
//! and an SDK that never received anything is not on it.

use waybill_core::{RightKind, Waybill};
use waybill_e2e::{ServerProcess, consenting_driver, driver_config, sign_in, step_up_code};

fn push_to_sdks(driver: &Waybill) {
    waybill_e2e::allow_push(driver);
    for sdk in ["umeng_push", "huawei_push"] {
        driver.disclose_to_sdk(sdk, "device_info", 1).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_owes_each_sdk_that_got_data_one_forget_until_the_app_did_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let driver = consenting_driver(&data, &server.base_url);
    sign_in(&driver).await;
    push_to_sdks(&driver);
    assert!(
        driver.sdks_to_forget().unwrap().is_empty(),
        "nothing owed before"
    );

    let code = step_up_code(&driver).await;
    driver
        .request_right(RightKind::Deletion, "delete everything", Some(&code))
        .unwrap();
    assert_eq!(
        driver.sdks_to_forget().unwrap(),
        ["huawei_push", "umeng_push"],
        "the two that got data; amap got nothing"
    );
    assert!(driver.sdk_forgotten("umeng_push").unwrap());
    assert!(!driver.sdk_forgotten("umeng_push").unwrap(), "once");
    drop(driver);
    let reopened = Waybill::open_with_key_file(driver_config(&data, &server.base_url)).unwrap();
    assert_eq!(
        reopened.sdks_to_forget().unwrap(),
        ["huawei_push"],
        "kept across a restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_closing_wipe_keeps_the_forgets_it_owes() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let driver = consenting_driver(&dir.path().join("d"), &server.base_url);
    sign_in(&driver).await;
    push_to_sdks(&driver);
    let code = step_up_code(&driver).await;
    driver.cancel_account(&code).await.unwrap();
    assert_eq!(
        driver.sdks_to_forget().unwrap(),
        ["huawei_push", "umeng_push"],
        "everything else is wiped; the forgets are owed"
    );
    assert!(driver.sdk_forgotten("huawei_push").unwrap());
    assert!(driver.sdk_forgotten("umeng_push").unwrap());
    assert!(driver.sdks_to_forget().unwrap().is_empty());
}
