//! UniFFI surface of the Waybill core for Kotlin and Swift. It converts core types to FFI
//! records, enums and errors and forwards calls; every rule lives in `waybill-core`.
//!
//! Async methods await futures that run on the core's own tokio runtime, so the foreign
//! executor (Kotlin coroutines, Swift concurrency) needs no reactor: no `async_runtime`
//! attribute is used or needed.

uniffi::setup_scaffolding!();

/// `From` both ways between an FFI enum and the core enum with the same variants.
macro_rules! mirror_enum {
    ($ffi:ident, $core:path, $($v:ident),+ $(,)?) => {
        impl From<$ffi> for $core {
            fn from(x: $ffi) -> Self { match x { $($ffi::$v => <$core>::$v),+ } }
        }
        impl From<$core> for $ffi {
            fn from(x: $core) -> Self { match x { $(<$core>::$v => $ffi::$v),+ } }
        }
    };
}

/// Converts a list of core values into FFI values.
fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

mod account;
mod client;
mod error;
mod logging;
mod notices;
mod object;
mod observe;
mod orders;
mod privacy;
mod proof;
mod push;
mod secrets;
mod status;
mod sync;
mod track;
mod transport;
mod waybills;

pub use client::{Role, WaybillConfig};
pub use error::WaybillError;
pub use logging::{LogLevel, LogRecord, LogSink, LogSinkError, set_log_sink};
pub use object::Waybill;
pub use observe::{ChangeListener, Topic};
pub use orders::*;
pub use privacy::*;
pub use proof::*;
pub use secrets::{SecretStore, SecretStoreError};
pub use sync::*;
pub use track::*;
pub use transport::*;
pub use waybills::*;

/// Version of the core library, for diagnostics screens and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Does nothing but take the arguments of `Waybill::record_fixes` across the FFI and
/// return how many fixes arrived: the bare cost of that crossing, which benchmarks set
/// against the real call (a few dozen bytes of code in the library).
#[uniffi::export]
pub fn ffi_crossing_baseline(order_id: String, fixes: Vec<Fix>) -> u32 {
    drop(order_id);
    u32::try_from(fixes.len()).unwrap_or(u32::MAX)
}
