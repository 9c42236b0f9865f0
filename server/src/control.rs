//! The controller's control key: Ed25519, it signs what may change how every app behaves
//! (service notices; P-69, P-70). Apps hold its public key in their configuration and
//! believe nothing unsigned. The reference server keeps its key's seed in a file next to
//! the database (`server.sqlite3` → `server.sqlite3.control-key`, made at first start,
//! mode 0600); a deployment keeps it in its HSM and signs offline.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SecureRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use waybill_protocol::notices::Signed;

/// Signs control documents.
pub struct ControlKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for ControlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlKey")
            .field("public", &self.public_base64())
            .finish_non_exhaustive()
    }
}

impl ControlKey {
    /// The key file for the database at `db`.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".control-key");
        PathBuf::from(name)
    }

    /// The key of the database at `db`, made (and kept) on first use.
    pub fn for_db(db: &Path) -> std::io::Result<ControlKey> {
        let path = Self::path_for(db);
        let seed = match std::fs::read(&path) {
            Ok(seed) => seed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                ring::rand::SystemRandom::new()
                    .fill(&mut seed)
                    .map_err(|_| std::io::Error::other("no randomness"))?;
                match write_private(&path, &seed) {
                    Ok(()) => seed.to_vec(),
                    // Another process made it first: that one is the key.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        std::fs::read(&path)?
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        Ed25519KeyPair::from_seed_unchecked(&seed)
            .map(|pair| ControlKey { pair })
            .map_err(|_| std::io::Error::other("control key file is not an Ed25519 seed"))
    }

    /// The public key apps are configured with (standard base64 of its 32 bytes).
    pub fn public_base64(&self) -> String {
        STANDARD.encode(self.pair.public_key().as_ref())
    }

    /// `document` serialised and signed.
    pub fn sign<T: serde::Serialize>(&self, document: &T) -> Signed {
        self.sign_text(&serde_json::to_string(document).expect("control documents serialize"))
    }

    /// `payload` signed as it is.
    pub fn sign_text(&self, payload: &str) -> Signed {
        let signature = STANDARD.encode(self.pair.sign(payload.as_bytes()).as_ref());
        Signed {
            payload: payload.to_string(),
            signature,
        }
    }
}

/// Writes `seed` to `path` whole or not at all, failing with `AlreadyExists` when another
/// process made it first (a temporary file, then a hard link, which never replaces).
fn write_private(path: &Path, seed: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(seed)?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked
}
