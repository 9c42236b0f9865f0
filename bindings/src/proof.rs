//! Photo proofs across the FFI: kinds, sources, capture times and records.

use std::time::SystemTime;

use waybill_core as core;
use waybill_core::protocol::ActionKind;

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
        }
    }
}
