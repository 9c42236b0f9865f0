//! The proof engine's handle: the proof rules, taking a photo into the sealed proofs
//! folder, the driver discarding one, showing one, and cleaning files no record needs.
//! Its upload step is in `upload`.

use std::sync::Arc;

use chrono::Utc;
use waybill_protocol::ActionKind;

use super::rules::{self, ProofCheck, ProofRule};
use super::{Capture, Proof, ProofKind, ProofSource};
use crate::error::{Error, Result};
use crate::orders::engine::Orders;
use crate::privacy::gate::Gate;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::ticket::Ticket;
use crate::track::Fix;

/// The proof engine.
pub(crate) struct Proofs {
    pub(super) services: Arc<Services>,
    pub(super) gate: Arc<Gate>,
    orders: Arc<Orders>,
}

impl Proofs {
    /// The engine; it reads the order a proof is for from `orders`.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>, orders: Arc<Orders>) -> Proofs {
        Proofs {
            services,
            gate,
            orders,
        }
    }

    /// What `step` of `order_id` still lacks under the proof rules.
    pub(crate) fn check(&self, order_id: &str, step: ActionKind) -> Result<ProofCheck> {
        self.orders.get(order_id)?; // an unknown order is an error, not "nothing missing"
        self.services
            .db
            .read(|c| rules::check(c, order_id, step.as_str()))
    }

    /// `ProofRequired` while a required proof of `step` is missing.
    pub(crate) fn require(&self, order_id: &str, step: ActionKind) -> Result<()> {
        let check = self.check(order_id, step)?;
        if check.missing.is_empty() {
            Ok(())
        } else {
            Err(Error::ProofRequired {
                missing: check.missing,
            })
        }
    }

    /// Replaces the proof rules.
    pub(crate) fn set_rules(&self, rules: &[ProofRule]) -> Result<()> {
        self.services.db.write(|tx| rules::store(tx, rules))
    }

    /// The proof rules in force.
    pub(crate) fn rules(&self) -> Result<Vec<ProofRule>> {
        self.services.db.read(rules::load)
    }

    /// Takes a photo proof for a step of an order this driver holds: checked, stripped,
    /// sealed into the proofs folder under its SHA-256 and recorded, with `position()` (the
    /// leg's last fix, when the trajectory purpose allows it) asked once the image passed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn take(
        &self,
        purpose: Purpose,
        order_id: &str,
        kind: ProofKind,
        step: ActionKind,
        source: &ProofSource,
        captured: Capture,
        position: impl FnOnce() -> Option<(Ticket, Fix)>,
    ) -> Result<Proof> {
        self.gate.check(purpose)?;
        if !self.orders.get(order_id)?.held_open() {
            return Err(Error::NotInJob {
                order_id: order_id.to_string(),
            });
        }
        let (bytes, sha256, name) = super::prepare(source)?;
        let position = position();
        let sealed = super::sealed_file::seal(&self.services.key, &bytes)?;
        super::write_atomically(&self.services.proofs_dir(), &name, &sealed)?;
        // Checked again at the commit: a withdrawal while the file was written wins, and
        // the file goes with the next clean-up.
        let basis = self.gate.check(purpose)?;
        let category = match purpose {
            Purpose::AlbumUpload => "album_images",
            _ => "proof_photos",
        };
        self.services.db.write(|tx| {
            let now = Utc::now();
            let size = bytes.len() as u64;
            super::record(
                tx,
                &basis,
                order_id,
                kind,
                step.as_str(),
                &sha256,
                &name,
                size,
                captured,
                now,
            )?;
            if let Some((ticket, fix)) = &position {
                super::record_position(tx, ticket, order_id, &sha256, fix, now)?;
            }
            self.gate
                .record(tx, DataAction::Collected, &basis, &[category], 1)?;
            Ok::<_, Error>(())
        })?;
        self.list(order_id)?
            .into_iter()
            .find(|p| p.sha256 == sha256)
            .ok_or_else(|| Error::Internal {
                reason: "a proof vanished after it was recorded".into(),
            })
    }

    /// The driver discards a proof: its record and file go; an unfinished upload is ended
    /// on the server by the next sync.
    pub(crate) fn discard(&self, order_id: &str, sha256: &str) -> Result<bool> {
        let found = self
            .services
            .db
            .write(|tx| super::delete(tx, order_id, sha256))?;
        self.delete_orphan_files();
        Ok(found)
    }

    /// The proofs of an order, in upload order.
    pub(crate) fn list(&self, order_id: &str) -> Result<Vec<Proof>> {
        self.services.db.read(|c| super::of_order(c, order_id))
    }

    /// The kept image of a proof, opened from its sealed file.
    pub(crate) fn image(&self, sha256: &str) -> Result<Vec<u8>> {
        let file = self
            .services
            .db
            .read(|c| super::file_of(c, sha256))?
            .ok_or_else(|| Error::InvalidInput {
                reason: format!("no proof {sha256} is held"),
            })?;
        let path = self.services.proofs_dir().join(file);
        if !path.exists() {
            return Err(Error::InvalidInput {
                reason: format!("the image of proof {sha256} left the device with its upload"),
            });
        }
        super::sealed_file::read_all(&self.services.key, &path)
    }

    /// Deletes proof files no record references any more (after a purge, a sweep, an
    /// erasure or a wipe).
    pub(crate) fn delete_orphan_files(&self) {
        let dir = self.services.proofs_dir();
        match self
            .services
            .db
            .read(|c| super::delete_unreferenced(c, &dir))
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "deleted proof files without a record"),
            Err(e) => tracing::warn!(error = %e, "could not clean the proofs folder"),
        }
    }
}
