//! The `Waybill` object: one per data directory, each method a one-line forward. Its
//! constructor, the account and the listeners are here; each engine's file adds the
//! methods that forward to that engine (one exported `impl Waybill` block each).

use waybill_core as core;

use std::sync::Arc;

use crate::error::Result;
use crate::object::Waybill;
use crate::observe::{ChangeListener, Forward};
use crate::secrets::{self, SecretStore};

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
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// Opens the client on `config.data_dir` (creating or migrating its database), with
    /// the data key that seals personal data at rest taken from `secrets` (created there
    /// on first use). No network traffic.
    #[uniffi::constructor]
    pub fn open(config: WaybillConfig, secrets: Arc<dyn SecretStore>) -> Result<Arc<Self>> {
        Ok(Arc::new(Waybill {
            inner: waybill_core::Waybill::open(config.into(), &secrets::Forward(secrets))?,
        }))
    }

    /// Ends every network call in flight with `Cancelled` (Swift: on task cancellation;
    /// Kotlin cancels by dropping the future).
    pub fn cancel_running(&self) {
        self.inner.cancel_running();
    }

    /// The signed-in account id, if any.
    pub fn account_id(&self) -> Result<Option<String>> {
        Ok(self.inner.account_id()?)
    }

    /// Registers a listener told when a topic changed (re-read it then).
    pub fn add_listener(&self, listener: Arc<dyn ChangeListener>) {
        self.inner.add_listener(Arc::new(Forward(listener)));
    }
}
