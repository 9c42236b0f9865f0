//! Minors (seed 002: a minor needs a parent's consent, "否则不能创建自己的用户账户"; seed 003:
//! a guardian's authorisation under 18, consent under 14; PIPL Art. 31): under the
//! manifests' minimum of 18 nothing is collected before a guardian consents, and a minor
//! is never offered marketing or profiling, even with that consent.

mod common;

use waybill_core::{DecisionKind, Error, PurposeState, Role, Waybill};

fn open(dir: &std::path::Path) -> Waybill {
    let client = Waybill::open_with_key_file(common::config(dir, Role::Shipper)).unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    client
}

#[test]
fn a_minor_needs_a_guardian_consent_before_any_collection() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    assert!(
        client.declare_age(17).unwrap(),
        "17 is under the minimum of 18"
    );
    assert_eq!(
        client.purpose_state("account").unwrap(),
        PurposeState::NeedsGuardianConsent
    );

    let receipt = client.record_guardian_consent("guardian_dialog").unwrap();
    assert_eq!(receipt.kind, DecisionKind::GuardianConsent);
    assert_eq!(
        client.purpose_state("account").unwrap(),
        PurposeState::Allowed
    );
    assert_eq!(client.verify_consent_ledger().unwrap(), 2);
}

#[test]
fn the_gate_refuses_a_minor_without_guardian_consent_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    client.declare_age(12).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(client.request_sign_in_code("+8613800138000")),
        Err(Error::GuardianConsentRequired)
    );
}

#[test]
fn an_adult_needs_no_guardian_and_the_age_itself_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    assert!(!client.declare_age(18).unwrap());
    assert_eq!(
        client.purpose_state("account").unwrap(),
        PurposeState::Allowed
    );
    assert!(matches!(
        client.declare_age(400),
        Err(Error::InvalidInput { .. })
    ));
    drop(client);
    let conn = rusqlite::Connection::open(dir.path().join(waybill_core::db::DB_FILE_NAME)).unwrap();
    let mut stmt = conn
        .prepare("SELECT key, value FROM meta ORDER BY key")
        .unwrap();
    let meta: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        meta.contains(&("declared_minor".to_string(), "0".to_string())),
        "{meta:?}"
    );
    assert!(
        meta.iter().all(|(_, v)| v != "18"),
        "the age itself is not stored: {meta:?}"
    );
}

#[test]
fn a_minor_with_a_guardians_consent_gets_no_marketing_or_profiling() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    assert!(client.declare_age(16).unwrap());
    client.record_guardian_consent("guardian_dialog").unwrap();
    assert_eq!(
        client.purpose_state("errand_placement").unwrap(),
        PurposeState::Allowed,
        "the service itself works"
    );
    assert_eq!(
        client.purpose_state("marketing").unwrap(),
        PurposeState::NotForMinors
    );
    assert!(matches!(
        client.decide("marketing", true, "offers_banner"),
        Err(Error::InvalidInput { .. })
    ));
    let view = client.privacy_settings().unwrap();
    let marketing = view.purposes.iter().find(|p| p.id == "marketing").unwrap();
    assert_eq!(marketing.state, PurposeState::NotForMinors);
    // An adult is offered it.
    let adult_dir = tempfile::tempdir().unwrap();
    let adult = open(adult_dir.path());
    adult.declare_age(30).unwrap();
    adult.decide("marketing", true, "offers_banner").unwrap();
    assert_eq!(
        adult.purpose_state("marketing").unwrap(),
        PurposeState::Allowed
    );
}
