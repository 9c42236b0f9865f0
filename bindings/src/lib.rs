//! UniFFI surface of the Waybill core for Kotlin and Swift. It converts core types to FFI
//! records, enums and errors and forwards calls; every rule lives in `waybill-core`.
//!
//! Async methods await futures that run on the core's own tokio runtime, so the foreign
//! executor (Kotlin coroutines, Swift concurrency) needs no reactor: no `async_runtime`
//! attribute is used or needed.

uniffi::setup_scaffolding!();

mod client;
mod error;
mod logging;
mod privacy;
mod types;

pub use client::Waybill;
pub use error::WaybillError;
pub use logging::{LogLevel, LogRecord, LogSink, LogSinkError, set_log_sink};
pub use privacy::*;
pub use types::*;

/// Version of the core library, for diagnostics screens and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
