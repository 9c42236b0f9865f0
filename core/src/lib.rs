//! Waybill's client core: the engines behind the driver and shipper apps, in plain Rust.
//! The FFI crate (`waybill-ffi`) wraps this API for Kotlin and Swift and adds no rules.
//!
//! Today: the order cache with its transactional outbox and sync (the walking skeleton).
//! Trajectory, proofs and the privacy engine plug into the same client.
#![forbid(unsafe_code)]

mod client;
mod config;
pub mod db;
mod error;
pub mod logging;
mod net;
pub mod orders;
mod session;
mod sync;

pub use client::{MAX_RADIUS_M, Waybill};
pub use config::Config;
pub use error::{Error, Result, Unavailable};
pub use orders::rejections::{Rejection, RejectionReason};
pub use orders::{Order, OrderList, SyncState};
pub use sync::SyncReport;
pub use waybill_protocol::{LatLon, OrderStatus, Role};
