//! P-14 (seed 002: the camera is asked for "在途跟踪上传照片…页面", on the page that needs
//! it): a permission can be asked only from a function entry point. Across the whole API
//! the apps get (the generated Swift bindings, which mirror the Kotlin ones), the one way
//! to learn "ask for a permission now" is `permissionAsk(purpose:userInitiated:)`, which
//! names the function; no record carries an ask, so opening the client, a sync or a
//! settings screen can never make the app prompt.

#[test]
fn only_the_function_entry_point_can_ask_for_a_permission() {
    let swift = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ios/Sources/WaybillFFI/WaybillFFI.swift"),
    )
    .unwrap();
    let asks: Vec<&str> = swift
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("open func ") && l.contains("-> PermissionAsk"))
        .collect();
    assert_eq!(asks.len(), 1, "{asks:?}");
    assert!(asks[0].starts_with("open func permissionAsk(purpose: String, userInitiated: Bool)"));
    // No record or enum field, and no callback, hands out an ask.
    let fields: Vec<&str> = swift
        .lines()
        .map(str::trim)
        .filter(|l| {
            (l.starts_with("public var ") || l.starts_with("public let "))
                && l.contains(": PermissionAsk")
        })
        .collect();
    assert!(fields.is_empty(), "{fields:?}");
    // Nor any other function or callback (the converters aside).
    let others: Vec<&str> = swift
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("func ") && l.contains("PermissionAsk"))
        .filter(|l| !l.contains("FfiConverter") && !l.starts_with("public static func "))
        .filter(|l| !l.contains("func permissionAsk(purpose: String, userInitiated: Bool)"))
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

/// The same at run time: a first run (open, accept, the settings screen) asks nothing by
/// itself, and entering a function asks for exactly its permission, tagged with its
/// rationale.
#[test]
fn a_first_run_asks_nothing_and_a_function_asks_its_own_permission() {
    use waybill_core::{Permission, PermissionAsk, Waybill};
    let dir = tempfile::tempdir().unwrap();
    let client =
        Waybill::open_with_key_file(waybill_e2e::driver_config(dir.path(), "http://127.0.0.1:9"))
            .unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    let view = client.privacy_settings().unwrap();
    assert!(
        view.permissions
            .iter()
            .all(|p| p.state != waybill_core::PermissionState::Granted),
        "nothing granted behind the person's back"
    );
    // The photo purpose is optional: the delivery screen shows its in-app choice first.
    assert_eq!(
        client.permission_ask("proof_photos", true).unwrap(),
        PermissionAsk::DecideInApp {
            purpose: "proof_photos".into()
        }
    );
    client
        .decide("proof_photos", true, "delivery_screen")
        .unwrap();
    match client.permission_ask("proof_photos", true).unwrap() {
        PermissionAsk::Ask {
            permission,
            rationale,
        } => {
            assert_eq!(permission, Permission::Camera);
            assert!(!rationale.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

/// The OS prompt never stands in for the in-app decision (P-14, MIIT: no permission ask
/// for a function the person has not chosen): while a purpose's choice is open the answer
/// is the in-app choice; after a no, an ask the app starts is silent and one the person
/// starts reopens the choice; only after a yes does the OS prompt come.
#[test]
fn the_in_app_choice_comes_before_the_os_prompt_and_a_no_silences_it() {
    use waybill_core::{Permission, PermissionAsk, Waybill};
    let dir = tempfile::tempdir().unwrap();
    let client =
        Waybill::open_with_key_file(waybill_e2e::driver_config(dir.path(), "http://127.0.0.1:9"))
            .unwrap();
    let decide = PermissionAsk::DecideInApp {
        purpose: "trajectory_upload".into(),
    };
    // Before the policy, and after it while the choice is open.
    assert_eq!(
        client.permission_ask("trajectory_upload", true).unwrap(),
        decide
    );
    client.accept_policy("first_run_dialog").unwrap();
    assert_eq!(
        client.permission_ask("trajectory_upload", false).unwrap(),
        decide
    );

    client
        .decide("trajectory_upload", false, "tracking_screen")
        .unwrap();
    assert_eq!(
        client.permission_ask("trajectory_upload", false).unwrap(),
        PermissionAsk::Declined {
            purpose: "trajectory_upload".into()
        }
    );
    assert_eq!(
        client.permission_ask("trajectory_upload", true).unwrap(),
        decide
    );

    client
        .decide("trajectory_upload", true, "tracking_screen")
        .unwrap();
    assert!(matches!(
        client.permission_ask("trajectory_upload", true).unwrap(),
        PermissionAsk::Ask {
            permission: Permission::LocationPrecise,
            ..
        }
    ));
}
