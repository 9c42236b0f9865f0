//! The gate every collection path passes, with the manifest in force: a [`Ticket`] for a
//! purpose with a live basis now, or the typed reason there is none. The other engines
//! hold it (an `Arc<Gate>`) and record what they collect, receive and send through it, so
//! the transparency log names the same recipient everywhere.

use std::sync::{Arc, RwLock};

use chrono::Utc;
use rusqlite::Transaction;

use super::manifest::Manifest;
use super::transparency::{self, DataAction, DataEvent};
use crate::db::StorageResult;
use crate::error::Result;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::ticket::Ticket;

/// The gate and the policy manifest it reads.
pub(crate) struct Gate {
    services: Arc<Services>,
    /// Replaced whole when a new manifest is installed.
    manifest: RwLock<Arc<Manifest>>,
}

impl Gate {
    /// A gate reading `manifest`.
    pub(crate) fn new(services: Arc<Services>, manifest: Manifest) -> Arc<Gate> {
        Arc::new(Gate {
            services,
            manifest: RwLock::new(Arc::new(manifest)),
        })
    }

    /// The manifest in force.
    pub(crate) fn manifest(&self) -> Arc<Manifest> {
        Arc::clone(&self.manifest.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts `manifest` in force.
    pub(crate) fn replace(&self, manifest: Manifest) {
        *self.manifest.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(manifest);
    }

    /// A ticket for `purpose` now (synchronous paths).
    pub(crate) fn check(&self, purpose: Purpose) -> Result<Ticket> {
        let manifest = self.manifest();
        self.services
            .db
            .read(|c| super::check(c, &manifest, purpose.id()))
    }

    /// A ticket to ask the controller to delete the account's data when no purpose has a
    /// basis left (a minor without a guardian's consent, P-66): asking for deletion needs
    /// no basis, and it sends nothing but the request.
    pub(crate) fn erasure_ticket(&self) -> Ticket {
        Ticket::issue(Purpose::Account.id())
    }

    /// A ticket for `purpose` now (async paths: the read runs off the workers).
    pub(crate) async fn ticket(self: &Arc<Self>, purpose: Purpose) -> Result<Ticket> {
        let gate = Arc::clone(self);
        self.services.blocking(move |_| gate.check(purpose)).await
    }

    /// Logs that `items` of `categories` were collected on the device, received from or
    /// sent to the controller, under `basis`.
    pub(crate) fn record(
        &self,
        tx: &Transaction<'_>,
        action: DataAction,
        basis: &Ticket,
        categories: &[&str],
        items: usize,
    ) -> StorageResult<()> {
        // What is collected stays on the device; what travels goes to the controller, and
        // to whom the purpose declares it shows the data.
        let manifest = self.manifest();
        let recipient = (action != DataAction::Collected).then(|| {
            let shown: Vec<&str> = manifest
                .purpose(basis.purpose())
                .map(|p| p.recipients.iter().map(|r| r.id.as_str()).collect())
                .unwrap_or_default();
            if action == DataAction::Sent && !shown.is_empty() {
                format!(
                    "{}, shown to {}",
                    manifest.controller.name,
                    shown.join(", ")
                )
            } else {
                manifest.controller.name.clone()
            }
        });
        transparency::record(
            tx,
            &DataEvent::new(
                action,
                basis.purpose(),
                categories,
                recipient.as_deref(),
                items,
                Utc::now(),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use waybill_protocol::Role;

    #[test]
    fn every_core_purpose_is_declared_by_both_apps() {
        for role in [Role::Driver, Role::Shipper] {
            let m = Manifest::parse(super::super::manifest::builtin(role)).unwrap();
            for p in [Purpose::Account, Purpose::for_orders(role)] {
                assert!(m.purpose(p.id()).is_some(), "{role:?} lacks {p}");
            }
        }
        let driver = Manifest::parse(super::super::manifest::builtin(Role::Driver)).unwrap();
        for p in [
            Purpose::NearbyOrders,
            Purpose::Trajectory,
            Purpose::ProofPhotos,
        ] {
            assert!(driver.purpose(p.id()).is_some(), "the driver app lacks {p}");
        }
    }

    #[test]
    fn the_gate_opens_only_after_the_policy_and_closes_on_withdrawal() {
        let dir = tempfile::tempdir().unwrap();
        let (services, gate) = crate::test_support::services_and_gate(dir.path());
        assert!(matches!(
            gate.check(Purpose::OrderFulfilment),
            Err(Error::ConsentRequired { .. })
        ));
        let manifest = gate.manifest();
        services
            .db
            .write(|tx| super::super::accept_policy(tx, &manifest, "test", Utc::now()))
            .unwrap();
        let ticket = gate.check(Purpose::OrderFulfilment).unwrap();
        assert_eq!(ticket.purpose(), "order_fulfilment");
        // The trajectory needs its own consent, not bundled with the policy.
        assert!(gate.check(Purpose::Trajectory).is_err());
        let registry = super::super::holdings::Registry::empty();
        services
            .db
            .write(|tx| {
                super::super::decide(
                    tx,
                    &registry,
                    &manifest,
                    "trajectory_upload",
                    true,
                    "t",
                    Utc::now(),
                )?;
                super::super::decide(
                    tx,
                    &registry,
                    &manifest,
                    "trajectory_upload",
                    false,
                    "t",
                    Utc::now(),
                )
            })
            .unwrap();
        assert!(matches!(
            gate.check(Purpose::Trajectory),
            Err(Error::ConsentRequired { .. })
        ));
    }
}
