//! What the engines' unit tests share: a driver's services, gate and order engine on a
//! fresh data directory, without a `Waybill` and without a server (the URL is never
//! dialled, or refuses at once).

use std::sync::Arc;

use chrono::Utc;
use waybill_protocol::{LatLon, OrderStatus, Role, Stop, StopKind};

use crate::account::{Account, store};
use crate::orders::engine::Orders;
use crate::privacy::gate::Gate;
use crate::privacy::holdings::Registry;
use crate::privacy::manifest::Permission;
use crate::privacy::permissions::PermissionState;
use crate::services::Services;
use crate::session::Session;

/// The account id the driver is signed in as.
pub(crate) const ME: &str = "acct-driver";

/// A signed-in driver who accepted the policy.
pub(crate) struct Driver {
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) services: Arc<Services>,
    pub(crate) gate: Arc<Gate>,
    pub(crate) orders: Arc<Orders>,
}

/// A driver app's services and gate on `dir`, with the shipped manifest in force.
pub(crate) fn services_and_gate(dir: &std::path::Path) -> (Arc<Services>, Arc<Gate>) {
    let services = crate::services::for_test(dir, Role::Driver);
    let manifest = services
        .db
        .write(|tx| crate::privacy::install_builtin(tx, Role::Driver, Utc::now()))
        .unwrap();
    let gate = Gate::new(Arc::clone(&services), manifest);
    (services, gate)
}

/// A driver with the policy accepted and a session stored.
pub(crate) fn driver() -> Driver {
    let dir = tempfile::tempdir().unwrap();
    let (services, gate) = services_and_gate(dir.path());
    let m = gate.manifest();
    services
        .db
        .write(|tx| {
            crate::privacy::accept_policy(tx, &m, "test", Utc::now())?;
            let session = Session {
                account_id: ME.into(),
                token: "tok_test".into(),
            };
            store::store(tx, &session, &services.server_url)?;
            Ok::<_, crate::Error>(())
        })
        .unwrap();
    let account = Arc::new(Account::new(Arc::clone(&services), Arc::clone(&gate)));
    let service_log = Arc::new(crate::service_log::ServiceLog::new(
        Arc::clone(&services),
        Arc::clone(&gate),
    ));
    let orders = Arc::new(Orders::new(
        Arc::clone(&services),
        Arc::clone(&gate),
        account,
        service_log,
    ));
    Driver {
        _dir: dir,
        services,
        gate,
        orders,
    }
}

impl Driver {
    /// The user allows `purpose` and the OS grants `permissions`.
    pub(crate) fn allow(&self, purpose: &str, permissions: &[Permission]) {
        let m = self.gate.manifest();
        let registry = Registry::empty();
        self.services
            .db
            .write(|tx| {
                crate::privacy::decide(tx, &registry, &m, purpose, true, "test", Utc::now())?;
                for &p in permissions {
                    let granted = PermissionState::Granted;
                    crate::privacy::report_permission(tx, &registry, &m, p, granted, Utc::now())?;
                }
                Ok::<_, crate::Error>(())
            })
            .unwrap();
    }

    /// The server's order `id` in `status`, held by this driver when `mine`, with one
    /// drop-off stop at `dropoff`.
    pub(crate) fn server_order(&self, id: &str, status: OrderStatus, mine: bool, dropoff: LatLon) {
        let order = waybill_protocol::Order {
            id: id.into(),
            status,
            pickup_label: "Depot".into(),
            pickup: LatLon {
                lat: 31.2,
                lon: 121.4,
            },
            dropoff_label: "Shop".into(),
            goods: "boxes".into(),
            weight_kg: 10.0,
            fee_minor: 1_000,
            currency: "CNY".into(),
            assigned_to: mine.then(|| ME.to_string()),
            shipper_id: None,
            stops: vec![
                Stop {
                    kind: StopKind::Pickup,
                    label: "Depot".into(),
                    point: None,
                    window_start: None,
                    window_end: None,
                },
                Stop {
                    kind: StopKind::Dropoff,
                    label: "Shop".into(),
                    point: Some(dropoff),
                    window_start: None,
                    window_end: None,
                },
            ],
            appointment_at: None,
            waybill_no: None,
            revision: 1,
            updated_at: Utc::now(),
        };
        self.services
            .db
            .write(|tx| crate::orders::upsert_from_server(tx, &order, ME))
            .unwrap();
    }
}
