//! Address entry for errands (P-13, P-21): a typed address works with every optional
//! purpose off and every permission refused; "use my location" only under `locate_me`
//! with the location permission, rounded, kept nowhere; one picked contact only under
//! `contact_pick` with the contacts permission, reaching the server as the errand's party
//! and nowhere else.

use waybill_core::{DataAction, Error, LatLon, Permission, PermissionState, PickedContact};
use waybill_e2e::{ServerProcess, consenting_shipper, sample_errand, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_address_needs_no_permission_and_location_and_contacts_need_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let shipper = consenting_shipper(&dir.path().join("s"), &server.base_url);
    sign_in(&shipper).await;
    for p in [Permission::LocationApproximate, Permission::Contacts] {
        shipper
            .report_permission(p, PermissionState::Denied)
            .unwrap();
    }

    // Typed: placed and sent with location and contacts refused (P-13: no refusal of the
    // service because optional data is refused).
    let typed = shipper.place_errand(&sample_errand(1), true).unwrap();
    shipper.sync().await.unwrap();
    assert_eq!(shipper.pending_actions().unwrap(), 0, "{}", typed.id);

    let here = LatLon {
        lat: 31.234_567,
        lon: 121.476_543,
    };
    let friend = PickedContact {
        name: " 周敏 ".into(),
        phone: "139 0000 7777".into(),
    };
    // No consent yet: neither runs.
    assert!(matches!(
        shipper.locate_me(here),
        Err(Error::ConsentRequired { .. })
    ));
    assert!(matches!(
        shipper.pick_contact(&friend),
        Err(Error::ConsentRequired { .. })
    ));
    // Consent without the permission: still not (the person types instead).
    shipper.decide("locate_me", true, "address_form").unwrap();
    shipper
        .decide("contact_pick", true, "address_form")
        .unwrap();
    let located = shipper.locate_me(here);
    assert!(
        matches!(located, Err(Error::PermissionRequired { .. })),
        "{located:?}"
    );
    assert!(shipper.pick_contact(&friend).is_err());

    // Both: the position rounded to about 100 m, the contact trimmed.
    shipper
        .report_permission(Permission::LocationApproximate, PermissionState::Granted)
        .unwrap();
    shipper
        .report_permission(Permission::Contacts, PermissionState::Granted)
        .unwrap();
    shipper.decide("locate_me", true, "address_form").unwrap();
    shipper
        .decide("contact_pick", true, "address_form")
        .unwrap();
    assert_eq!(
        shipper.locate_me(here).unwrap(),
        LatLon {
            lat: 31.235,
            lon: 121.477
        }
    );
    let picked = shipper.pick_contact(&friend).unwrap();
    assert_eq!(
        (picked.name.as_str(), picked.phone.as_str()),
        ("周敏", "139 0000 7777")
    );
    let log = shipper.transparency_log(20).unwrap();
    for (purpose, category) in [
        ("locate_me", "approximate_location"),
        ("contact_pick", "picked_contact"),
    ] {
        assert!(
            log.iter().any(|e| e.action == DataAction::Collected
                && e.purpose == purpose
                && e.categories == [category]),
            "{purpose}: {log:?}"
        );
    }
    assert!(!waybill_e2e::contains(
        &waybill_e2e::raw_database_bytes(&dir.path().join("s")),
        b"31.234567"
    ));

    // The picked contact becomes the recipient of the next errand, and the server holds
    // it as that errand's party only.
    let mut errand = sample_errand(2);
    errand.contact.consignee_name = picked.name.clone();
    errand.contact.consignee_phone = picked.phone.clone();
    let placed = shipper.place_errand(&errand, true).unwrap();
    shipper.sync().await.unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let held: Vec<String> = conn
        .prepare("SELECT order_id FROM order_contacts WHERE consignee_phone = '139 0000 7777'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(held, [placed.id]);

    // A picker result that is not one contact's name and number is refused.
    for bad in [
        PickedContact {
            name: "".into(),
            phone: "13900007777".into(),
        },
        PickedContact {
            name: "a\u{0}b".into(),
            phone: "13900007777".into(),
        },
        PickedContact {
            name: "周敏".into(),
            phone: "13900007777;13900008888".into(),
        },
    ] {
        assert!(matches!(
            shipper.pick_contact(&bad),
            Err(Error::InvalidInput { .. })
        ));
    }
}
