//! Images the shell hands over (a proof photo, a real-name check's ID card and face): how
//! they arrive, how their format is checked and their metadata stripped (`image`), how
//! they are sealed at rest (`sealed_file`), and how a file is written so a kill leaves
//! all of it or none. The proof engine and the account engine both take images; neither
//! owns these rules.

pub mod image;
pub mod sealed_file;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where the shell's captured image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A file the camera wrote (left in place: the shell owns it).
    File(PathBuf),
    /// The image itself.
    Bytes(Vec<u8>),
}

impl ImageSource {
    /// The image with its metadata stripped, and its format; a file over `cap` bytes is
    /// refused before it is read (a 2 GB file is never loaded). The error is the reason,
    /// for the caller's typed error.
    pub fn read_stripped(
        &self,
        cap: usize,
    ) -> std::result::Result<(Vec<u8>, image::Format), String> {
        let raw = match self {
            ImageSource::Bytes(b) => b.clone(),
            ImageSource::File(path) => {
                let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
                let len = std::fs::metadata(path).map_err(unreadable)?.len();
                if len > cap as u64 {
                    return Err(format!("{len} B is over the {cap} B cap"));
                }
                std::fs::read(path).map_err(unreadable)?
            }
        };
        let (bytes, format) = image::strip(raw).map_err(|e| e.to_string())?;
        if bytes.len() > cap {
            return Err(format!("{} B is over the {cap} B cap", bytes.len()));
        }
        Ok((bytes, format))
    }
}

/// Deletes the files in `dir` that `named` (the owning table, queried with the file name
/// as `?1`) does not name: after a purge, a sweep, a send, or a kill between writing a
/// file and recording it. Returns how many went.
pub fn delete_unnamed(conn: &rusqlite::Connection, dir: &Path, named: &str) -> Result<u32> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut named = conn.prepare_cached(named)?;
    let mut deleted = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let keep: bool = named.query_row([&name], |r| r.get(0))?;
        if !keep && std::fs::remove_file(entry.path()).is_ok() {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Writes `bytes` as `dir/name` atomically: a temporary file in the same folder, synced,
/// then renamed over the name and the folder synced, so a kill leaves either nothing or
/// the whole file.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::Storage {
        reason: format!("image file: {e}"),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, dir.join(name)).map_err(io)?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    Ok(())
}
