//! The `Waybill` object itself: the core client behind one FFI handle. Its methods are
//! added by `client.rs` (constructor, account, listeners) and by each engine's file.

/// A Waybill client. Close it (Kotlin `close()`/`use {}`, Swift: drop the last reference)
/// when the app no longer needs it; a process kill loses nothing acknowledged.
#[derive(Debug, uniffi::Object)]
pub struct Waybill {
    pub(crate) inner: waybill_core::Waybill,
}
