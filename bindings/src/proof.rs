//! The proof engine across the FFI: kinds, sources, capture times, records and rules, and
//! the `Waybill` methods that forward to it.

use std::time::SystemTime;

use waybill_core as core;
use waybill_core::protocol::ActionKind;

use crate::error::Result;
use crate::list;
use crate::object::Waybill;

/// What a proof shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProofKind {
    /// The goods at pickup.
    Pickup,
    /// The goods delivered.
    Delivery,
    /// The consignee's signature.
    Signature,
    /// Damage found.
    Damage,
    /// A receipt or delivery note.
    Receipt,
    /// A scanned code or document.
    Scan,
}

mirror_enum!(
    ProofKind,
    core::ProofKind,
    Pickup,
    Delivery,
    Signature,
    Damage,
    Receipt,
    Scan
);

/// The order step a proof is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProofStep {
    /// Loading the goods.
    PickUp,
    /// Signing off the delivery.
    Deliver,
    /// Reporting a problem in transit.
    ReportException,
}

impl From<ProofStep> for ActionKind {
    fn from(s: ProofStep) -> Self {
        match s {
            ProofStep::PickUp => ActionKind::PickUp,
            ProofStep::Deliver => ActionKind::Deliver,
            ProofStep::ReportException => ActionKind::ReportException,
        }
    }
}

/// Where the captured image is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ProofSource {
    /// A file the camera wrote (left in place: the app owns it).
    File {
        /// Absolute path.
        path: String,
    },
    /// The image's bytes.
    Bytes {
        /// JPEG or PNG.
        bytes: Vec<u8>,
    },
}

impl From<ProofSource> for core::ProofSource {
    fn from(s: ProofSource) -> Self {
        match s {
            ProofSource::File { path } => core::ProofSource::File(path.into()),
            ProofSource::Bytes { bytes } => core::ProofSource::Bytes(bytes),
        }
    }
}

/// When a proof was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Capture {
    /// Device time.
    pub at: SystemTime,
    /// Monotonic time since boot, milliseconds (Android `elapsedRealtime`), if known.
    pub elapsed_ms: Option<i64>,
}

impl From<Capture> for core::Capture {
    fn from(c: Capture) -> Self {
        core::Capture {
            at: c.at.into(),
            elapsed_ms: c.elapsed_ms,
        }
    }
}

/// A proof as recorded.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Proof {
    /// SHA-256 of the stored bytes, lowercase hex: the proof's identity.
    pub sha256: String,
    /// Order.
    pub order_id: String,
    /// What it shows.
    pub kind: ProofKind,
    /// The step it proves (`pick_up`, `deliver`, `report_exception`).
    pub step: String,
    /// Bytes stored.
    pub bytes: u64,
    /// Capture time.
    pub captured_at: SystemTime,
    /// Bytes the server confirmed so far.
    pub uploaded_bytes: u64,
    /// When the upload completed.
    pub uploaded_at: Option<SystemTime>,
    /// Where the driver was when it was taken (the leg's last fix), if the trajectory
    /// purpose allowed recording it.
    pub position: Option<crate::track::Fix>,
}

impl From<core::Proof> for Proof {
    fn from(p: core::Proof) -> Self {
        Proof {
            sha256: p.sha256,
            order_id: p.order_id,
            kind: p.kind.into(),
            step: p.step,
            bytes: p.bytes,
            captured_at: p.captured.at.into(),
            uploaded_bytes: p.uploaded_bytes,
            uploaded_at: p.uploaded_at.map(Into::into),
            position: p.position.map(Into::into),
        }
    }
}

/// How much a step needs a kind of proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Requirement {
    /// The step cannot complete without it.
    Required,
    /// The app warns before completing without it.
    Recommended,
    /// Offered, no warning.
    Optional,
    /// Not offered.
    Off,
}

mirror_enum!(
    Requirement,
    core::Requirement,
    Required,
    Recommended,
    Optional,
    Off
);

/// One proof rule: at `step`, `kind` is `requirement`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProofRule {
    /// The order step.
    pub step: ProofStep,
    /// The proof kind.
    pub kind: ProofKind,
    /// How much it is needed.
    pub requirement: Requirement,
}

fn step_name(step: ProofStep) -> &'static str {
    ActionKind::from(step).as_str()
}

fn kind_of(name: &str) -> Option<ProofKind> {
    [
        ProofKind::Pickup,
        ProofKind::Delivery,
        ProofKind::Signature,
        ProofKind::Damage,
        ProofKind::Receipt,
        ProofKind::Scan,
    ]
    .into_iter()
    .find(|k| core::ProofKind::from(*k).as_str() == name)
}

impl From<ProofRule> for core::ProofRule {
    fn from(r: ProofRule) -> Self {
        core::ProofRule {
            step: step_name(r.step).into(),
            kind: core::ProofKind::from(r.kind).as_str().into(),
            requirement: r.requirement.into(),
        }
    }
}

impl ProofRule {
    /// The FFI form of a stored rule (`None` for a step or kind this version lacks).
    pub(crate) fn from_core(r: core::ProofRule) -> Option<ProofRule> {
        let step = [
            ProofStep::PickUp,
            ProofStep::Deliver,
            ProofStep::ReportException,
        ]
        .into_iter()
        .find(|s| step_name(*s) == r.step)?;
        Some(ProofRule {
            step,
            kind: kind_of(&r.kind)?,
            requirement: r.requirement.into(),
        })
    }
}

/// What a step still lacks.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProofCheck {
    /// Required and not taken: the step is refused until they are.
    pub missing: Vec<ProofKind>,
    /// Recommended and not taken: warn the driver.
    pub recommended: Vec<ProofKind>,
}

impl From<core::ProofCheck> for ProofCheck {
    fn from(c: core::ProofCheck) -> Self {
        ProofCheck {
            missing: c.missing.iter().filter_map(|k| kind_of(k)).collect(),
            recommended: c.recommended.iter().filter_map(|k| kind_of(k)).collect(),
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// Takes a photo proof for a step of an order this driver holds: checked, stripped of
    /// its metadata but the orientation, kept under its SHA-256 in the app-private folder.
    pub fn take_proof(
        &self,
        order_id: String,
        kind: ProofKind,
        step: ProofStep,
        source: ProofSource,
        captured: Capture,
    ) -> Result<Proof> {
        Ok(self
            .inner
            .take_proof(
                &order_id,
                kind.into(),
                step.into(),
                &source.into(),
                captured.into(),
            )?
            .into())
    }

    /// One photo picked from the album as a proof (album purpose, photos permission;
    /// limited access is enough); stripped like a camera photo, no position recorded.
    pub fn take_proof_from_album(
        &self,
        order_id: String,
        kind: ProofKind,
        step: ProofStep,
        source: ProofSource,
    ) -> Result<Proof> {
        Ok(self
            .inner
            .take_proof_from_album(&order_id, kind.into(), step.into(), &source.into())?
            .into())
    }

    /// What a step of an order still lacks under the proof rules.
    pub fn proof_check(&self, order_id: String, step: ProofStep) -> Result<ProofCheck> {
        Ok(self.inner.proof_check(&order_id, step.into())?.into())
    }

    /// Replaces the proof rules.
    pub fn set_proof_rules(&self, rules: Vec<ProofRule>) -> Result<()> {
        let rules: Vec<waybill_core::ProofRule> = list(rules);
        Ok(self.inner.set_proof_rules(&rules)?)
    }

    /// The proof rules in force.
    pub fn proof_rules(&self) -> Result<Vec<ProofRule>> {
        Ok(self
            .inner
            .proof_rules()?
            .into_iter()
            .filter_map(ProofRule::from_core)
            .collect())
    }

    /// Discards a proof (record, file, and its unfinished upload on the server at the
    /// next sync). Returns whether there was one.
    pub fn discard_proof(&self, order_id: String, sha256: String) -> Result<bool> {
        Ok(self.inner.discard_proof(&order_id, &sha256)?)
    }

    /// The proofs of an order, in upload order.
    pub fn proofs(&self, order_id: String) -> Result<Vec<Proof>> {
        Ok(list(self.inner.proofs(&order_id)?))
    }

    /// The kept image of a proof (opened from its sealed file), to show it.
    pub fn proof_image(&self, sha256: String) -> Result<Vec<u8>> {
        Ok(self.inner.proof_image(&sha256)?)
    }
}
