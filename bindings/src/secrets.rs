//! The app's secure store, seen by the core: Android Keystore-wrapped storage, the iOS
//! Keychain. It holds the data key that seals personal data at rest.

use std::sync::Arc;

use waybill_core as core;

/// The secure store failed; `open` answers `KeyUnavailable` and changes nothing.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SecretStoreError {
    /// The platform refused or failed.
    #[error("secure store failed: {reason}")]
    Failed {
        /// What the platform said.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SecretStoreError::Failed { reason: e.reason }
    }
}

/// Implemented by the app over its platform's secure storage. Called on a core thread,
/// only from `open`.
#[uniffi::export(foreign)]
pub trait SecretStore: Send + Sync {
    /// The value saved under `name`, or null/nil if none.
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, SecretStoreError>;
    /// Saves `value` under `name`, replacing any previous one.
    fn save(&self, name: String, value: Vec<u8>) -> Result<(), SecretStoreError>;
    /// Deletes the value under `name`; no error if there is none.
    fn delete(&self, name: String) -> Result<(), SecretStoreError>;
}

/// Adapts the app's store to the core's trait.
pub(crate) struct Forward(pub(crate) Arc<dyn SecretStore>);

fn failed(e: SecretStoreError) -> core::SecretStoreError {
    core::SecretStoreError {
        reason: e.to_string(),
    }
}

impl core::SecretStore for Forward {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, core::SecretStoreError> {
        self.0.load(name.to_string()).map_err(failed)
    }

    fn save(&self, name: &str, value: &[u8]) -> Result<(), core::SecretStoreError> {
        self.0
            .save(name.to_string(), value.to_vec())
            .map_err(failed)
    }

    fn delete(&self, name: &str) -> Result<(), core::SecretStoreError> {
        self.0.delete(name.to_string()).map_err(failed)
    }
}
