//! Policy manifests: the shipped ones, hostile ones, and what counts as a material change.

mod common;

use waybill_core::privacy::manifest::{self, Manifest, ManifestError};
use waybill_core::{Config, Error, PolicyStatus, PurposeState, Role, Waybill};

fn config(dir: &std::path::Path) -> Config {
    common::config(dir, Role::Driver)
}

fn driver() -> serde_json::Value {
    serde_json::from_str(manifest::builtin(Role::Driver)).unwrap()
}

#[test]
fn the_shipped_manifests_lint_clean_and_say_what_the_seeds_say() {
    let d = Manifest::parse(manifest::builtin(Role::Driver)).unwrap();
    let s = Manifest::parse(manifest::builtin(Role::Shipper)).unwrap();
    // Seed 002: nearby cargo needs location "或手动选择定位" (or a manual choice).
    let nearby = d.purpose("nearby_orders").unwrap();
    assert!(nearby.without_permission.is_some());
    // Trajectory (行踪轨迹) is sensitive: separate consent, optional.
    let track = d.purpose("trajectory_upload").unwrap();
    assert_eq!(track.basis, manifest::Basis::SeparateConsent);
    assert_eq!(track.function, manifest::Function::Optional);
    // Seed 002: copies within "15个工作日", other requests "15天内"; a minor (under 18)
    // needs a parent's consent for an account (seed 002), a guardian's under 18 (seed 003).
    assert_eq!(d.rights_response_working_days, 15);
    assert_eq!(d.rights_response_days, Some(15));
    assert_eq!((d.min_age, s.min_age), (18, 18));
    // Seed 003: contacts are optional and picked one at a time.
    assert_eq!(
        s.purpose("contact_pick").unwrap().function,
        manifest::Function::Optional
    );
}

#[test]
fn hostile_or_broken_manifests_are_rejected_with_a_precise_error() {
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        (
            "unknown field",
            {
                let mut m = driver();
                m["tracking_pixel"] = true.into();
                m
            },
            "unknown field",
        ),
        (
            "sensitive without separate consent",
            {
                let mut m = driver();
                m["purposes"][3]["basis"] = "consent".into();
                m
            },
            "purposes[trajectory_upload].basis",
        ),
        (
            "optional on contract",
            {
                let mut m = driver();
                m["purposes"][4]["basis"] = "contract".into();
                m
            },
            "purposes[proof_photos].basis",
        ),
        (
            "undeclared category",
            {
                let mut m = driver();
                m["purposes"][0]["categories"][0] = "imei".into();
                m
            },
            "undeclared category",
        ),
        (
            "sdk gets more than its purposes",
            {
                let mut m = driver();
                m["sdks"][0]["categories"][0] = "consignee_contact".into();
                m
            },
            "sdks[amap].categories",
        ),
        (
            "http url",
            {
                let mut m = driver();
                m["policy_url"] = "http://waybill.example/p".into();
                m
            },
            "https",
        ),
        (
            "duplicate id",
            {
                let mut m = driver();
                m["categories"][1]["id"] = "phone_number".into();
                m
            },
            "duplicate id",
        ),
        (
            "retention too long",
            {
                let mut m = driver();
                m["purposes"][2]["retention"]["days"] = 100_000.into();
                m
            },
            "retention.days",
        ),
        (
            "permission without rationale",
            {
                let mut m = driver();
                m["purposes"][4]["rationale"] = serde_json::Value::Null;
                m
            },
            "rationale",
        ),
        (
            "control characters",
            {
                let mut m = driver();
                m["purposes"][0]["label"] = "Acc\u{0}ount".into();
                m
            },
            "control characters",
        ),
    ];
    for (name, doc, expected) in cases {
        let err = Manifest::parse(&doc.to_string()).unwrap_err();
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    let huge = format!("{{\"schema\":1,\"pad\":\"{}\"}}", "x".repeat(300_000));
    assert!(matches!(
        Manifest::parse(&huge),
        Err(ManifestError::TooLarge(_))
    ));
    assert!(matches!(
        Manifest::parse("[[[[[["),
        Err(ManifestError::Syntax(_))
    ));
}

#[test]
fn a_rejected_manifest_leaves_the_one_in_force_and_the_consents_intact() {
    let dir = tempfile::tempdir().unwrap();
    let client = Waybill::open_with_key_file(config(dir.path())).unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    let before = client.privacy_settings().unwrap();

    let mut hostile = driver();
    hostile["policy_version"] = "2027.1".into();
    hostile["purposes"][3]["basis"] = "consent".into();
    let err = client.install_manifest(&hostile.to_string()).unwrap_err();
    assert!(matches!(err, Error::InvalidManifest { .. }), "{err:?}");
    let shipper = manifest::builtin(Role::Shipper);
    assert!(matches!(
        client.install_manifest(shipper),
        Err(Error::InvalidManifest { .. })
    ));

    assert_eq!(client.privacy_settings().unwrap(), before);
    drop(client);
    let reopened = Waybill::open_with_key_file(config(dir.path())).unwrap();
    assert_eq!(
        reopened.privacy_settings().unwrap().policy_version,
        before.policy_version
    );
}

#[test]
fn a_material_change_needs_a_new_decision_and_a_wording_change_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let client = Waybill::open_with_key_file(config(dir.path())).unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    client
        .decide("proof_photos", true, "settings_switch")
        .unwrap();

    // Wording only: a notice, collection goes on.
    let mut wording = driver();
    wording["policy_version"] = "2026.12.9".into();
    wording["purposes"][0]["description"] = "Register with your phone number.".into();
    match client.install_manifest(&wording.to_string()).unwrap() {
        PolicyStatus::Accepted { notices, .. } => assert!(notices.iter().all(|c| !c.material)),
        other => panic!("{other:?}"),
    }
    assert!(client.purpose_state("proof_photos").unwrap() != PurposeState::PolicyNotAccepted);

    // A new SDK receiving data: material (seed 002: "共享、转让或公开披露的主要对象发生变化").
    let mut material = wording.clone();
    material["policy_version"] = "2027.1.1".into();
    material["sdks"].as_array_mut().unwrap().push(serde_json::json!({
        "id": "new_analytics", "name": "Analytics SDK", "provider": "Example",
        "purposes": ["service_logs"], "categories": ["service_logs"], "url": "https://example.com/privacy"
    }));
    let status = client.install_manifest(&material.to_string()).unwrap();
    let PolicyStatus::NeedsReacceptance { changes, .. } = status else {
        panic!("{status:?}")
    };
    assert!(
        changes
            .iter()
            .any(|c| c.material && c.subject == "new_analytics")
    );
    assert_eq!(
        client.purpose_state("account").unwrap(),
        PurposeState::PolicyNotAccepted
    );

    client.accept_policy("policy_update_popup").unwrap();
    assert_eq!(
        client.purpose_state("account").unwrap(),
        PurposeState::Allowed
    );
    // The photo consent was given under an older policy and its purpose did not change.
    assert_ne!(
        client.purpose_state("proof_photos").unwrap(),
        PurposeState::NeedsConsent
    );
}

/// P-05 (seed 001: sensitive data "in bold fonts, underlined"; seeds 003, 004, 000 list the
/// phone number, the contacts and the whereabouts as sensitive): the settings screen marks
/// every purpose that processes them for emphasis, in both apps.
#[test]
fn the_settings_screen_emphasises_every_purpose_with_sensitive_data() {
    for (role, sensitive_purposes) in [
        (
            Role::Driver,
            &[
                "account",
                "order_fulfilment",
                "trajectory_upload",
                "navigation",
            ][..],
        ),
        (
            Role::Shipper,
            &[
                "account",
                "errand_placement",
                "payment",
                "real_name_verification",
                "follow_errand",
                "contact_pick",
                "convenience",
                "marketing",
            ][..],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.role = role;
        cfg.app_id = format!("com.example.waybill.{}", role.as_str());
        let client = Waybill::open_with_key_file(cfg).unwrap();
        let view = client.privacy_settings().unwrap();
        for row in &view.purposes {
            assert_eq!(
                row.sensitive,
                sensitive_purposes.contains(&row.id.as_str()),
                "{role:?} {}: emphasis",
                row.id
            );
        }
        let m = Manifest::parse(manifest::builtin(role)).unwrap();
        for id in ["phone_number", "trajectory"] {
            assert!(
                m.categories.iter().any(|c| c.id == id && c.sensitive),
                "{id}"
            );
        }
        // A sensitive category on a decision is always a separate one.
        for p in m.purposes.iter().filter(|p| p.basis.needs_decision()) {
            let sensitive = p
                .categories
                .iter()
                .any(|c| m.categories.iter().any(|k| &k.id == c && k.sensitive));
            assert!(
                !sensitive || p.basis == manifest::Basis::SeparateConsent,
                "{}",
                p.id
            );
        }
    }
}

/// P-02 (seed 001: "You may also review the entire content of the Privacy Policy"): the
/// policy the person accepted is readable with no network, and stays the accepted one
/// after a newer policy arrives until the person accepts that.
#[test]
fn the_accepted_policy_is_readable_offline_and_stays_the_accepted_one() {
    let dir = tempfile::tempdir().unwrap();
    let client = Waybill::open_with_key_file(config(dir.path())).unwrap();
    let before = client.policy_text().unwrap();
    assert_eq!(
        before.accepted_at, None,
        "not accepted yet: the one in force is shown"
    );
    client.accept_policy("first_run_dialog").unwrap();
    let accepted = client.policy_text().unwrap();
    assert!(accepted.accepted_at.is_some());
    let m = Manifest::parse(manifest::builtin(Role::Driver)).unwrap();
    assert_eq!(accepted.version, m.policy_version);
    for p in &m.purposes {
        assert!(
            accepted.markdown.contains(&p.label),
            "{} in the text",
            p.label
        );
        assert!(
            accepted.markdown.contains(&p.if_refused),
            "what refusing {} costs",
            p.id
        );
    }
    for s in &m.sdks {
        assert!(accepted.markdown.contains(&s.name));
    }
    assert!(
        accepted
            .markdown
            .contains("**Transport trajectory (whereabouts) (sensitive)**")
    );
    assert!(accepted.markdown.contains("within 15 working days"));
    assert!(accepted.markdown.contains(&m.controller.contact));

    let mut newer = driver();
    newer["policy_version"] = "2099.1.1".into();
    newer["purposes"][0]["label"] = "Account (renamed)".into();
    client.install_manifest(&newer.to_string()).unwrap();
    let still = client.policy_text().unwrap();
    assert_eq!(
        still.version, m.policy_version,
        "the accepted version, not the newer one"
    );
    assert!(!still.markdown.contains("Account (renamed)"));
}
