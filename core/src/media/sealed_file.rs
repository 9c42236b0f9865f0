//! Proof files sealed at rest, readable at any offset (a tus upload resumes mid-file):
//! the image is cut into 64 KiB segments, each sealed with AES-256-GCM under the data key
//! (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in `age`):
//! nonce = the file's random 8-byte prefix ‖ segment index, and the last segment is
//! marked in its associated data, so segments cannot be reordered, dropped or appended.
//!
//! Layout: `WBP1` ‖ prefix (8) ‖ segment₀ ‖ … ‖ segmentₙ, each segment its ciphertext
//! followed by a 16-byte tag. The plaintext length follows from the file length.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use ring::aead::{Aad, Nonce};
use ring::rand::{SecureRandom, SystemRandom};

use crate::db::DataKey;
use crate::error::{Error, Result};

const MAGIC: &[u8; 4] = b"WBP1";
const PREFIX_LEN: usize = 8;
const HEADER_LEN: u64 = (MAGIC.len() + PREFIX_LEN) as u64;
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const SEALED_SEGMENT: u64 = (SEGMENT + TAG_LEN) as u64;

fn nonce(prefix: &[u8; PREFIX_LEN], index: u64) -> Result<Nonce> {
    let index = u32::try_from(index).map_err(|_| corrupt("too many segments"))?;
    let mut n = [0u8; 12];
    n[..PREFIX_LEN].copy_from_slice(prefix);
    n[PREFIX_LEN..].copy_from_slice(&index.to_be_bytes());
    Ok(Nonce::assume_unique_for_key(n))
}

fn aad(last: bool) -> Aad<[u8; 1]> {
    Aad::from([u8::from(last)])
}

fn corrupt(why: &str) -> Error {
    Error::Storage {
        reason: format!("sealed proof file: {why}"),
    }
}

/// `plain` sealed into the file layout.
pub fn seal(key: &DataKey, plain: &[u8]) -> Result<Vec<u8>> {
    let mut prefix = [0u8; PREFIX_LEN];
    SystemRandom::new()
        .fill(&mut prefix)
        .map_err(|_| corrupt("no randomness for a nonce"))?;
    let segments = plain.len().div_ceil(SEGMENT).max(1);
    let mut out = Vec::with_capacity(HEADER_LEN as usize + plain.len() + segments * TAG_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&prefix);
    for i in 0..segments {
        let part = &plain[i * SEGMENT..((i + 1) * SEGMENT).min(plain.len())];
        let mut body = part.to_vec();
        key.file_key()
            .seal_in_place_append_tag(nonce(&prefix, i as u64)?, aad(i + 1 == segments), &mut body)
            .map_err(|_| corrupt("sealing failed"))?;
        out.extend_from_slice(&body);
    }
    Ok(out)
}

/// Plaintext length of a sealed file `file_len` bytes long.
pub fn plain_len(file_len: u64) -> Result<u64> {
    let body = file_len
        .checked_sub(HEADER_LEN)
        .ok_or_else(|| corrupt("shorter than its header"))?;
    let segments = body.div_ceil(SEALED_SEGMENT);
    let last = body - (segments.max(1) - 1) * SEALED_SEGMENT;
    if segments == 0 || last <= TAG_LEN as u64 {
        return Err(corrupt("truncated"));
    }
    Ok(body - segments * TAG_LEN as u64)
}

/// The whole plaintext of the sealed file at `path`.
pub fn read_all(key: &DataKey, path: &Path) -> Result<Vec<u8>> {
    let file_len = std::fs::metadata(path)
        .map_err(|e| Error::Storage {
            reason: format!("proof file {}: {e}", path.display()),
        })?
        .len();
    let len = usize::try_from(plain_len(file_len)?).map_err(|_| corrupt("too large"))?;
    read_range(key, path, 0, len)
}

/// `len` plaintext bytes from `offset` of the sealed file at `path`: only the segments
/// the range touches are read and opened.
pub fn read_range(key: &DataKey, path: &Path, offset: u64, len: usize) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::Storage {
        reason: format!("proof file {}: {e}", path.display()),
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let file_len = f.metadata().map_err(io)?.len();
    let total = plain_len(file_len)?;
    let end = offset
        .checked_add(len as u64)
        .filter(|&e| e <= total)
        .ok_or_else(|| corrupt("range beyond the end"))?;
    let mut header = [0u8; HEADER_LEN as usize];
    f.read_exact(&mut header).map_err(io)?;
    if &header[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not a sealed proof file"));
    }
    let prefix: [u8; PREFIX_LEN] = header[MAGIC.len()..].try_into().expect("8 bytes");
    let segments = (file_len - HEADER_LEN).div_ceil(SEALED_SEGMENT);
    let mut out = Vec::with_capacity(len);
    if len == 0 {
        return Ok(out);
    }
    let (first, last) = (offset / SEGMENT as u64, (end - 1) / SEGMENT as u64);
    f.seek(SeekFrom::Start(HEADER_LEN + first * SEALED_SEGMENT))
        .map_err(io)?;
    for i in first..=last {
        let size = SEALED_SEGMENT.min(file_len - HEADER_LEN - i * SEALED_SEGMENT) as usize;
        let mut body = vec![0u8; size];
        f.read_exact(&mut body).map_err(io)?;
        let plain = key
            .file_key()
            .open_in_place(nonce(&prefix, i)?, aad(i + 1 == segments), &mut body)
            .map_err(|_| corrupt("a segment does not open (wrong key or altered bytes)"))?;
        let seg_start = i * SEGMENT as u64;
        let from = offset.saturating_sub(seg_start) as usize;
        let to = ((end - seg_start) as usize).min(plain.len());
        out.extend_from_slice(&plain[from..to]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> DataKey {
        DataKey::from_bytes(&[b; 32]).unwrap()
    }

    fn write(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join("p.bin");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn any_range_reads_back_for_sizes_around_segment_edges() {
        let dir = tempfile::tempdir().unwrap();
        for size in [1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 17] {
            let plain: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let path = write(dir.path(), &seal(&key(1), &plain).unwrap());
            let len = std::fs::metadata(&path).unwrap().len();
            assert_eq!(plain_len(len).unwrap(), size as u64);
            assert_eq!(read_all(&key(1), &path).unwrap(), plain);
            for (off, n) in [(0, 1), (size / 2, size - size / 2), (size - 1, 1)] {
                assert_eq!(
                    read_range(&key(1), &path, off as u64, n).unwrap(),
                    plain[off..off + n],
                    "size {size} offset {off} len {n}"
                );
            }
        }
    }

    #[test]
    fn wrong_key_truncation_and_swapped_segments_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let plain = vec![42u8; 2 * SEGMENT + 5];
        let sealed = seal(&key(1), &plain).unwrap();
        let path = write(dir.path(), &sealed);
        assert!(read_range(&key(2), &path, 0, 10).is_err());
        // Dropping the last segment makes the new last one fail its "last" marker.
        let cut = &sealed[..HEADER_LEN as usize + 2 * SEALED_SEGMENT as usize];
        let path = write(dir.path(), cut);
        assert!(read_range(&key(1), &path, 0, 2 * SEGMENT).is_err());
        let mut swapped = sealed.clone();
        let (a, b) = (
            HEADER_LEN as usize,
            HEADER_LEN as usize + SEALED_SEGMENT as usize,
        );
        let first: Vec<u8> = swapped[a..b].to_vec();
        swapped.copy_within(b..b + SEALED_SEGMENT as usize, a);
        swapped[b..b + SEALED_SEGMENT as usize].copy_from_slice(&first);
        let path = write(dir.path(), &swapped);
        assert!(read_range(&key(1), &path, 0, 10).is_err());
    }

    #[test]
    fn the_image_bytes_are_not_in_the_file() {
        let plain = b"\xff\xd8\xff\xe0 Exif GPS 48.137154 13800138000".repeat(100);
        let sealed = seal(&key(1), &plain).unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"13800138000"));
    }
}
