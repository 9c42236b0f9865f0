//! Map and navigation (P-48, seed 002: "向您展示当前所在位置及提供运输导航服务") are their own
//! function with their own basis: a driver who refuses the trajectory upload still gets a
//! map, and the map SDK gets positions only while a map or navigation screen is open or
//! an order is carried.

mod common;

use chrono::Utc;
use waybill_core::db::Database;
use waybill_core::{DataAction, Error, OrderStatus, Permission, PermissionState, Role, Waybill};

fn driver(dir: &std::path::Path) -> Waybill {
    let client = Waybill::open_with_key_file(common::config(dir, Role::Driver)).unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    client
        .report_permission(Permission::LocationPrecise, PermissionState::Granted)
        .unwrap();
    client
}

#[test]
fn the_map_works_without_the_trajectory_upload_and_only_while_it_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let client = driver(dir.path());
    client
        .decide("trajectory_upload", false, "order_start_dialog")
        .unwrap();
    client.decide("navigation", true, "map_screen").unwrap();

    assert!(
        client
            .disclose_to_sdk("amap", "precise_location", 1)
            .is_err(),
        "no map on screen and no order carried: the map SDK gets nothing"
    );
    client.set_map_visible(true);
    client
        .disclose_to_sdk("amap", "precise_location", 1)
        .expect("the map is shown: its SDK gets the position, upload refused or not");
    let log = client.transparency_log(10).unwrap();
    assert!(log.iter().any(|e| e.action == DataAction::Sent
        && e.purpose == "navigation"
        && e.recipient.as_deref().is_some_and(|r| r.contains("AMap"))));
    client.set_map_visible(false);
    assert!(
        client
            .disclose_to_sdk("amap", "precise_location", 1)
            .is_err()
    );

    // Refusing navigation: no position to the map SDK, whatever is on screen.
    client
        .decide("navigation", false, "settings_switch")
        .unwrap();
    client.set_map_visible(true);
    assert!(matches!(
        client.disclose_to_sdk("amap", "precise_location", 1),
        Err(Error::ConsentRequired { .. })
    ));
}

#[test]
fn an_order_in_hand_lets_the_map_sdk_guide_without_a_screen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let key =
            waybill_core::secrets::data_key(&waybill_core::KeyFile::in_dir(dir.path())).unwrap();
        let db = Database::open(dir.path(), &key).unwrap();
        let order = common::held_order("ord-nav-1", OrderStatus::PickedUp, 1, Utc::now());
        db.write(|tx| waybill_core::orders::upsert_from_server(tx, &order, common::ME))
            .unwrap();
    }
    let client = driver(dir.path());
    client.decide("navigation", true, "order_screen").unwrap();
    client
        .disclose_to_sdk("amap", "precise_location", 1)
        .expect("guiding to the drop-off of the order carried");
}
