//! Waybill's client core: the engines behind the driver and shipper apps, in plain Rust.
//! The FFI crate (`waybill-ffi`) wraps this API for Kotlin and Swift and adds no rules.
//!
//! Today: the order cache with its transactional outbox and sync, and the privacy engine
//! whose gate every collection path passes. Trajectory and proofs plug into the same client.
#![forbid(unsafe_code)]

mod client;
mod config;
pub mod db;
mod error;
pub mod logging;
mod net;
mod observe;
pub mod orders;
pub mod privacy;
pub mod proof;
pub mod secrets;
mod session;
mod sync;
pub mod tls;
pub mod track;

pub use client::{BackgroundSync, MAX_RADIUS_M, Network, TrackingDiagnostics, Waybill};
pub use config::Config;
pub use error::{Error, Result, Unavailable};
pub use observe::{ChangeListener, Topic};
pub use orders::history::{ActionState, HistoryEntry};
pub use orders::outbox::OutboxEntry;
pub use orders::parties::OrderContact;
pub use orders::rejections::{Rejection, RejectionReason, Resolution};
pub use orders::{Order, OrderList, SyncState};
pub use privacy::ledger::{DecisionKind, Receipt};
pub use privacy::manifest::{Permission, PolicyChange};
pub use privacy::permissions::{PermissionAsk, PermissionState};
pub use privacy::rights::{RequestStatus, RightsRequest};
pub use privacy::settings::{HeldRow, PermissionRow, PurposeRow, SdkRow, SettingsView};
pub use privacy::transparency::{DataAction, DataEvent};
pub use privacy::{PolicyStatus, PurposeState};
pub use proof::rules::{ProofCheck, ProofRule, Requirement};
pub use proof::{Capture, Proof, ProofKind, ProofSource};
pub use secrets::{KeyFile, SecretStore, SecretStoreError};
pub use sync::SyncReport;
pub use track::Fix;
pub use track::events::{GapReason, TrackEvent, TrackEventKind};
pub use track::plan::{Accuracy, Idle, TrackingPlan};
/// The wire types, for callers that build requests' bodies (an errand's parties).
pub use waybill_protocol as protocol;
pub use waybill_protocol::{LatLon, NewErrand, OrderStatus, RightKind, Role, Stop, StopKind};
