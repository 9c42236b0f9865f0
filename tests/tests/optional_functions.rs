//! P-09 (seed 002: refusing "并不会影响您正常使用我们产品及/或服务的基本功能"; seed 003: core and
//! additional functions): for each optional function of each app, a person who refuses it
//! (and turns off the permission it asks for) still runs every core function end to end
//! against the real server: sign-in, offers, accept, pick up, deliver, sync for the driver;
//! sign-in, place, cancel, sync for the shipper.

use waybill_core::privacy::manifest::{self, Function, Manifest};
use waybill_core::{OrderStatus, PermissionState, Role, Waybill};
use waybill_e2e::{
    SHANGHAI, ServerProbe, ServerProcess, consenting_driver, consenting_shipper, sample_errand,
};

/// The optional purposes of `role`'s manifest that rest on a decision.
fn optional(role: Role) -> Vec<manifest::Purpose> {
    Manifest::parse(manifest::builtin(role))
        .unwrap()
        .purposes
        .into_iter()
        .filter(|p| p.function == Function::Optional && p.basis.needs_decision())
        .collect()
}

/// Refuses `purpose` and denies every permission it asks for.
fn refuse(client: &Waybill, purpose: &manifest::Purpose) {
    client.decide(&purpose.id, false, "first_ask").unwrap();
    for &permission in &purpose.permissions {
        client
            .report_permission(permission, PermissionState::Denied)
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_any_optional_function_never_blocks_a_core_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let driver_optional = optional(Role::Driver);
    assert!(driver_optional.len() >= 5, "{driver_optional:?}");
    let shipper_probe = ServerProbe::connect(&server.base_url).await;
    for (i, purpose) in driver_optional.iter().enumerate() {
        let placed = shipper_probe.create_errand(SHANGHAI, i as u32).await;
        let driver = consenting_driver(&dir.path().join(format!("d{i}")), &server.base_url);
        refuse(&driver, purpose);
        waybill_e2e::sign_in(&driver).await;
        let offer = driver
            .refresh_open_orders(SHANGHAI, 60_000)
            .await
            .unwrap_or_else(|e| panic!("offers with {} refused: {e}", purpose.id))
            .into_iter()
            .find(|o| o.id == placed)
            .expect("the errand placed for this run");
        driver.accept_order(&offer.id).unwrap();
        driver.pick_up(&offer.id).unwrap();
        driver
            .deliver_with_override(&offer.id, Some("test"))
            .unwrap_or_else(|e| panic!("delivery with {} refused: {e}", purpose.id));
        let report = driver.sync().await.unwrap();
        assert_eq!(report.pushed, 3, "{} refused", purpose.id);
        assert!(report.rejected.is_empty(), "{} refused", purpose.id);
    }
    let shipper_optional = optional(Role::Shipper);
    assert!(shipper_optional.len() >= 4, "{shipper_optional:?}");
    for (i, purpose) in shipper_optional.iter().enumerate() {
        let shipper = consenting_shipper(&dir.path().join(format!("s{i}")), &server.base_url);
        refuse(&shipper, purpose);
        waybill_e2e::sign_in(&shipper).await;
        let placed = shipper
            .place_errand(&sample_errand(i as u32), true)
            .unwrap_or_else(|e| panic!("an errand with {} refused: {e}", purpose.id));
        shipper.sync().await.unwrap();
        shipper.cancel_errand(&placed.id).unwrap();
        let report = shipper.sync().await.unwrap();
        assert!(report.rejected.is_empty(), "{} refused", purpose.id);
        assert_eq!(
            shipper.order(&placed.id).unwrap().status,
            OrderStatus::Cancelled,
            "{} refused",
            purpose.id
        );
    }
}
