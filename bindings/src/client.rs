//! The `Waybill` object: one per data directory, each method a one-line forward. Its
//! constructor, the account and the listeners are here; each engine's file adds the
//! methods that forward to that engine (one exported `impl Waybill` block each).

use waybill_core as core;

use std::sync::Arc;

use crate::error::Result;
use crate::object::Waybill;
use crate::observe::{ChangeListener, Forward};
use crate::secrets::{self, SecretStore};
use crate::transport::HttpTransport;

/// Cancels one call and no other (Swift: each call's task cancellation handler cancels
/// its own token; Kotlin cancels by dropping the future and passes none).
#[derive(Debug, Default, uniffi::Object)]
pub struct CallToken(core::CallToken);

#[uniffi::export]
impl CallToken {
    /// A token not cancelled yet.
    #[uniffi::constructor]
    pub fn new() -> Arc<CallToken> {
        Arc::new(CallToken::default())
    }

    /// Ends the call this token was passed to (now, or as soon as it starts) with
    /// `Cancelled`; no other call is touched.
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

/// Runs a core call under its token, if the caller passed one.
pub(crate) async fn guarded<T>(
    call: Option<Arc<CallToken>>,
    work: impl std::future::Future<Output = core::Result<T>>,
) -> core::Result<T> {
    core::CallToken::guard(call.as_deref().map(|c| &c.0), work).await
}

/// Which app this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// The driver app.
    Driver,
    /// The shipper (errand) app.
    Shipper,
}

mirror_enum!(Role, core::Role, Driver, Shipper);

/// Configuration of a client.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WaybillConfig {
    /// App-private directory for the database and files.
    pub data_dir: String,
    /// Base URL of the sync server.
    pub server_url: String,
    /// Application id.
    pub app_id: String,
    /// Application version.
    pub app_version: String,
    /// Which app this is.
    pub role: Role,
    /// Optional certificate pins, `base64(SHA-256(SubjectPublicKeyInfo))` (OkHttp's
    /// `sha256/…` format); empty: the bundled roots alone decide.
    #[uniffi(default = [])]
    pub pinned_keys: Vec<String>,
    /// The controller's Ed25519 control key (base64): service notices are shown only when
    /// they verify with it; none: no notice is believed.
    #[uniffi(default = None)]
    pub control_key: Option<String>,
}

impl From<WaybillConfig> for core::Config {
    fn from(c: WaybillConfig) -> Self {
        core::Config {
            data_dir: c.data_dir.into(),
            server_url: c.server_url,
            app_id: c.app_id,
            app_version: c.app_version,
            role: c.role.into(),
            pinned_keys: c.pinned_keys,
            control_key: c.control_key,
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// Opens the client on `config.data_dir` (creating or migrating its database), with
    /// the data key that seals personal data at rest taken from `secrets` (created there
    /// on first use), sending every request through the app's `transport`. No network
    /// traffic.
    #[uniffi::constructor]
    pub fn open(
        config: WaybillConfig,
        secrets: Arc<dyn SecretStore>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Arc<Self>> {
        Ok(Arc::new(Waybill {
            inner: waybill_core::Waybill::open_with_transport(
                config.into(),
                &secrets::Forward(secrets),
                Arc::new(crate::transport::Forward(transport)),
            )?,
        }))
    }

    /// Ends every network call in flight with `Cancelled` (sign-out, a screen that stops
    /// everything); one call is cancelled with its own `CallToken`.
    pub fn cancel_running(&self) {
        self.inner.cancel_running();
    }

    /// The signed-in account id, if any.
    pub fn account_id(&self) -> Result<Option<String>> {
        Ok(self.inner.account_id()?)
    }

    /// Registers a listener told when a topic changed (re-read it then); returns its id
    /// for `remove_listener`.
    pub fn add_listener(&self, listener: Arc<dyn ChangeListener>) -> u64 {
        self.inner.add_listener(Arc::new(Forward(listener)))
    }

    /// Removes a listener (its stream ended), releasing what it holds; whether it was there.
    pub fn remove_listener(&self, id: u64) -> bool {
        self.inner.remove_listener(id)
    }

    /// How many listeners are registered (a stream that leaks shows here).
    pub fn listener_count(&self) -> u32 {
        self.inner.listener_count()
    }
}
