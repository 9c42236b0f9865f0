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
pub mod orders;
pub mod privacy;
mod session;
mod sync;

pub use client::{MAX_RADIUS_M, Waybill};
pub use config::Config;
pub use error::{Error, Result, Unavailable};
pub use orders::rejections::{Rejection, RejectionReason};
pub use orders::{Order, OrderList, SyncState};
pub use privacy::ledger::{DecisionKind, Receipt};
pub use privacy::manifest::{Permission, PolicyChange};
pub use privacy::permissions::{PermissionAsk, PermissionState};
pub use privacy::settings::{PermissionRow, PurposeRow, SdkRow, SettingsView};
pub use privacy::{PolicyStatus, PurposeState};
pub use sync::SyncReport;
pub use waybill_protocol::{LatLon, OrderStatus, Role};
