//! One state per purpose, from consent, permission and policy together.

mod common;

use waybill_core::{Permission, PermissionState, PurposeState, Role, Waybill};

fn driver(dir: &std::path::Path) -> Waybill {
    Waybill::open_with_key_file(common::config(dir, Role::Driver)).unwrap()
}

/// P-06 (seed 001: "The information above is personal sensitive information. You can
/// refuse"): accepting the policy never grants a sensitive purpose; it needs its own yes.
#[test]
fn separate_consent_is_never_bundled_with_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let client = driver(dir.path());
    let receipts = client.accept_policy("first_run_dialog").unwrap();
    assert!(
        receipts
            .iter()
            .all(|r| r.purpose.as_deref() != Some("trajectory_upload"))
    );
    assert_eq!(
        client.purpose_state("trajectory_upload").unwrap(),
        PurposeState::NeedsConsent
    );
    let view = client.privacy_settings().unwrap();
    let optional: Vec<_> = view.purposes.iter().filter(|p| !p.core).collect();
    assert!(
        optional
            .iter()
            .all(|p| p.state == PurposeState::NeedsConsent),
        "all default off"
    );
}

/// P-12 (seed 002: "您需要开启位置信息权限或手动选择定位"): without the location permission,
/// nearby orders stay available through a manually chosen place.
#[test]
fn refusing_location_degrades_nearby_orders_instead_of_blocking_them() {
    let dir = tempfile::tempdir().unwrap();
    let client = driver(dir.path());
    client.accept_policy("first_run_dialog").unwrap();
    client
        .report_permission(Permission::LocationApproximate, PermissionState::Denied)
        .unwrap();
    assert_eq!(
        client.purpose_state("nearby_orders").unwrap(),
        PurposeState::Degraded {
            permission: Permission::LocationApproximate
        }
    );
    // A purpose with no alternative needs the permission once its consent is given.
    client
        .decide("proof_photos", true, "settings_switch")
        .unwrap();
    assert_eq!(
        client.purpose_state("proof_photos").unwrap(),
        PurposeState::NeedsPermission {
            permission: Permission::Camera
        }
    );
    client
        .report_permission(Permission::Camera, PermissionState::Granted)
        .unwrap();
    assert_eq!(
        client.purpose_state("proof_photos").unwrap(),
        PurposeState::Allowed
    );
}

#[test]
fn listeners_hear_each_privacy_change_after_it_is_durable() {
    use std::sync::{Arc, Mutex};
    use waybill_core::{ChangeListener, Topic};

    /// Records the topic and what the store says at the moment of the call.
    struct Seen {
        client_dir: std::path::PathBuf,
        log: Mutex<Vec<(Topic, bool)>>,
    }
    impl ChangeListener for Seen {
        fn changed(&self, topic: Topic) {
            // Re-read from a second client on the same file: the change must be committed.
            let other = Waybill::open_with_key_file(common::config(&self.client_dir, Role::Driver))
                .unwrap();
            let decided = other.purpose_state("service_logs").unwrap() == PurposeState::Allowed;
            self.log.lock().unwrap().push((topic, decided));
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let client = Waybill::open_with_key_file(common::config(dir.path(), Role::Driver)).unwrap();
    let seen = Arc::new(Seen {
        client_dir: dir.path().to_path_buf(),
        log: Mutex::new(vec![]),
    });
    client.add_listener(seen.clone());
    client.accept_policy("first_run_dialog").unwrap();
    client
        .decide("service_logs", true, "settings_switch")
        .unwrap();
    client
        .report_permission(Permission::Camera, PermissionState::Denied)
        .unwrap();
    let log = seen.log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            (Topic::Privacy, false),
            (Topic::Privacy, true),
            (Topic::Privacy, true)
        ]
    );
}

/// P-47 (seed 002 lists AMap for the map and navigation, Umeng for push): an SDK starts
/// only when one of its purposes is allowed and receives only what the policy says it
/// receives.
#[test]
fn sdks_start_and_receive_data_only_through_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let client = driver(dir.path());
    assert!(
        !client.sdk_may_start("amap").unwrap(),
        "nothing before the policy"
    );
    client.accept_policy("first_run_dialog").unwrap();
    assert!(
        !client.sdk_may_start("amap").unwrap(),
        "navigation not consented"
    );
    assert!(matches!(
        client.disclose_to_sdk("amap", "precise_location", 1),
        Err(waybill_core::Error::ConsentRequired { .. })
    ));

    client
        .decide("trajectory_upload", true, "order_start_dialog")
        .unwrap();
    client
        .report_permission(Permission::LocationPrecise, PermissionState::Granted)
        .unwrap();
    assert!(
        !client.sdk_may_start("amap").unwrap(),
        "the trajectory upload is not the map's purpose (P-48)"
    );
    client.decide("navigation", true, "map_screen").unwrap();
    assert!(client.sdk_may_start("amap").unwrap());
    client.set_map_visible(true);
    client
        .disclose_to_sdk("amap", "precise_location", 3)
        .unwrap();
    // Undeclared data or an undeclared SDK is refused even with every consent given.
    assert!(
        client
            .disclose_to_sdk("amap", "consignee_contact", 1)
            .is_err()
    );
    assert!(client.sdk_may_start("facebook_sdk").is_err());
    let line = &client.transparency_log(1).unwrap()[0];
    assert_eq!(line.recipient.as_deref(), Some("AMap (高德地图) SDK"));
    assert_eq!((line.items, line.purpose.as_str()), (3, "navigation"));

    client
        .decide("navigation", false, "settings_switch")
        .unwrap();
    assert!(
        !client.sdk_may_start("amap").unwrap(),
        "withdrawal stops the SDK"
    );
}
