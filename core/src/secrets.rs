//! Where the data key lives: the shell's secure store (Android Keystore, iOS Keychain),
//! reached through a foreign trait. The core creates the key once, hands it to the store,
//! reads it back, and never writes it anywhere else.

use std::path::{Path, PathBuf};

use crate::db::{DataKey, KEY_LEN};
use crate::error::{Error, Result};

/// Name of the data key in the secure store.
pub const DATA_KEY_NAME: &str = "waybill.data_key.v1";

/// The store failed or refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secure store: {reason}")]
pub struct SecretStoreError {
    /// What the platform said.
    pub reason: String,
}

/// A secure store for small secrets, implemented by the shell: on Android an AES-GCM key
/// in the Android Keystore wraps the value, on iOS a Keychain item holds it
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`, so background sync can read it and
/// backups cannot carry it to another device).
pub trait SecretStore: Send + Sync {
    /// The value saved under `name`, or `None` if there is none.
    fn load(&self, name: &str) -> std::result::Result<Option<Vec<u8>>, SecretStoreError>;
    /// Saves `value` under `name`, replacing any previous value.
    fn save(&self, name: &str, value: &[u8]) -> std::result::Result<(), SecretStoreError>;
    /// Deletes the value under `name` (no error if there is none).
    fn delete(&self, name: &str) -> std::result::Result<(), SecretStoreError>;
}

/// The data key from `store`, created on first use. Saving is checked by reading back:
/// a store that silently drops writes would otherwise lose every sealed value at the
/// next start.
pub fn data_key(store: &dyn SecretStore) -> Result<DataKey> {
    let bytes = match store.load(DATA_KEY_NAME).map_err(unavailable)? {
        Some(bytes) => bytes,
        None => {
            let fresh = DataKey::generate_bytes().map_err(|e| unavailable(e.to_string()))?;
            store.save(DATA_KEY_NAME, &fresh).map_err(unavailable)?;
            let back = store.load(DATA_KEY_NAME).map_err(unavailable)?;
            if back.as_deref() != Some(&fresh[..]) {
                return Err(unavailable("the store did not keep the new data key"));
            }
            fresh.to_vec()
        }
    };
    DataKey::from_bytes(&bytes)
        .ok_or_else(|| unavailable(format!("the stored data key is not {KEY_LEN} bytes")))
}

fn unavailable(reason: impl ToString) -> Error {
    Error::KeyUnavailable {
        reason: reason.to_string(),
    }
}

/// A secret store in plain files: for hosts without a secure store (the CLI, tests,
/// server-side tools). The key sits in the file system, so it guards nothing against
/// whoever can read the folder; apps pass their Keystore/Keychain store instead.
#[derive(Debug, Clone)]
pub struct KeyFile {
    dir: PathBuf,
}

impl KeyFile {
    /// Secrets as files in `dir` (created if needed), readable by the owner only.
    pub fn in_dir(dir: &Path) -> KeyFile {
        KeyFile {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.secret"))
    }
}

impl SecretStore for KeyFile {
    fn load(&self, name: &str) -> std::result::Result<Option<Vec<u8>>, SecretStoreError> {
        match std::fs::read(self.path(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    fn save(&self, name: &str, value: &[u8]) -> std::result::Result<(), SecretStoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let tmp = self.path(&format!("{name}.tmp"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        std::io::Write::write_all(&mut file, value).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, self.path(name)).map_err(io)
    }

    fn delete(&self, name: &str) -> std::result::Result<(), SecretStoreError> {
        match std::fs::remove_file(self.path(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        }
    }
}

fn io(e: std::io::Error) -> SecretStoreError {
    SecretStoreError {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts saves and forgets them.
    struct Forgetful;
    impl SecretStore for Forgetful {
        fn load(&self, _: &str) -> std::result::Result<Option<Vec<u8>>, SecretStoreError> {
            Ok(None)
        }
        fn save(&self, _: &str, _: &[u8]) -> std::result::Result<(), SecretStoreError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> std::result::Result<(), SecretStoreError> {
            Ok(())
        }
    }

    #[test]
    fn the_key_is_created_once_and_read_back_after() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyFile::in_dir(dir.path());
        let first = data_key(&store).unwrap();
        let sealed = first.seal(b"x").unwrap();
        assert_eq!(data_key(&store).unwrap().open(&sealed).unwrap(), b"x");
    }

    #[test]
    fn a_store_that_drops_writes_or_holds_a_short_key_is_refused() {
        assert!(matches!(
            data_key(&Forgetful),
            Err(Error::KeyUnavailable { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        let store = KeyFile::in_dir(dir.path());
        store.save(DATA_KEY_NAME, b"short").unwrap();
        assert!(matches!(
            data_key(&store),
            Err(Error::KeyUnavailable { .. })
        ));
    }
}
