//! What an image proof may carry: the format is checked from its bytes (not its name), and
//! every metadata block the user did not consent to is dropped without re-encoding — EXIF
//! (GPS position, camera and lens serials, maker notes), XMP, IPTC, comments and PNG text
//! chunks. Only the EXIF orientation survives, rewritten alone, so the photo still shows
//! upright. Pixels are never touched: the compressed image data is copied as is.

use bytes::Bytes;
use img_parts::ImageEXIF;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::Png;

/// Smallest plausible image (a header and a few pixels).
pub const MIN_BYTES: usize = 100;
/// Largest proof accepted: a phone camera's full-resolution JPEG stays well below.
pub const MAX_BYTES: usize = 25 * 1024 * 1024;

/// Image formats recognised from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// HEIC/HEIF (ISO BMFF `ftyp` with a HEIF brand).
    Heic,
}

impl Format {
    /// File extension of the stored copy.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Heic => "heic",
        }
    }
}

/// Why bytes are not an acceptable image proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Fewer than [`MIN_BYTES`] or more than [`MAX_BYTES`].
    #[error("an image proof is {MIN_BYTES} B to {MAX_BYTES} B, this one is {0} B")]
    Size(usize),
    /// Not JPEG, PNG or HEIC by its header.
    #[error("not a JPEG, PNG or HEIC image")]
    NotAnImage,
    /// The header says JPEG or PNG but the structure is broken.
    #[error("corrupt {0:?} image: {1}")]
    Corrupt(Format, String),
    /// HEIC metadata cannot be removed on the device yet.
    #[error(
        "HEIC proofs are not accepted yet: their metadata cannot be stripped on the device; capture JPEG"
    )]
    HeicUnsupported,
}

/// The format of `bytes` from its header.
pub fn detect(bytes: &[u8]) -> Result<Format, ImageError> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        return Ok(Format::Png);
    }
    let heif_brand = bytes.get(4..8) == Some(b"ftyp")
        && matches!(
            bytes.get(8..12),
            Some(b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1")
        );
    if heif_brand {
        return Ok(Format::Heic);
    }
    Err(ImageError::NotAnImage)
}

/// Checks `bytes` and returns them without the metadata the user did not consent to, and
/// their format.
pub fn strip(bytes: Vec<u8>) -> Result<(Vec<u8>, Format), ImageError> {
    if !(MIN_BYTES..=MAX_BYTES).contains(&bytes.len()) {
        return Err(ImageError::Size(bytes.len()));
    }
    let format = detect(&bytes)?;
    let stripped = match format {
        Format::Jpeg => strip_jpeg(bytes)?,
        Format::Png => strip_png(bytes)?,
        Format::Heic => return Err(ImageError::HeicUnsupported),
    };
    Ok((stripped, format))
}

fn strip_jpeg(bytes: Vec<u8>) -> Result<Vec<u8>, ImageError> {
    let corrupt = |e: img_parts::Error| ImageError::Corrupt(Format::Jpeg, e.to_string());
    let mut jpeg = Jpeg::from_bytes(Bytes::from(bytes)).map_err(corrupt)?;
    let has_scan = jpeg.segments().iter().any(|s| s.marker() == markers::SOS);
    if !has_scan {
        return Err(ImageError::Corrupt(Format::Jpeg, "no image data".into()));
    }
    let orientation = jpeg.exif().and_then(|e| orientation(&e));
    // APP1 holds EXIF and XMP, APP13 IPTC, COM free text; APP0 (JFIF), APP2 (ICC colour
    // profile) and APP14 (Adobe colour transform) only describe how to show the pixels.
    // ICC segments stay where they are. (img-parts' own `set_exif`/`set_icc_profile`
    // insert at index 3 and panic on a file with fewer segments: found by fuzzing.)
    jpeg.segments_mut()
        .retain(|s| !matches!(s.marker(), markers::APP1 | markers::APP13 | markers::COM));
    if let Some(o) = orientation {
        let mut contents = b"Exif\0\0".to_vec();
        contents.extend(exif_with_orientation(o));
        // EXIF comes first, after a JFIF header if there is one.
        let segments = jpeg.segments_mut();
        let at = usize::from(
            segments
                .first()
                .is_some_and(|s| s.marker() == markers::APP0),
        );
        segments.insert(
            at,
            JpegSegment::new_with_contents(markers::APP1, Bytes::from(contents)),
        );
    }
    Ok(jpeg.encoder().bytes().to_vec())
}

fn strip_png(bytes: Vec<u8>) -> Result<Vec<u8>, ImageError> {
    let mut png = Png::from_bytes(Bytes::from(bytes))
        .map_err(|e| ImageError::Corrupt(Format::Png, e.to_string()))?;
    // Image data is required (and keeps img-parts' `set_exif`, which inserts before the
    // last chunk, away from an empty list).
    if !png.chunks().iter().any(|c| &c.kind() == b"IDAT") {
        return Err(ImageError::Corrupt(Format::Png, "no image data".into()));
    }
    let orientation = png.exif().and_then(|e| orientation(&e));
    // Text chunks (tEXt, zTXt, iTXt: XMP lives in iTXt), EXIF (eXIf) and time (tIME).
    png.chunks_mut()
        .retain(|c| !matches!(&c.kind(), b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"tIME"));
    if let Some(o) = orientation {
        png.set_exif(Some(Bytes::from(exif_with_orientation(o))));
    }
    Ok(png.encoder().bytes().to_vec())
}

/// The Orientation (tag 0x0112) of IFD0 of a TIFF-structured EXIF block, if any.
fn orientation(exif: &[u8]) -> Option<u16> {
    let big = match exif.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = exif.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = exif.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd0 = u32_at(4)? as usize;
    let entries = u16_at(ifd0)? as usize;
    (0..entries.min(512))
        .map(|i| ifd0 + 2 + 12 * i)
        .find(|&e| u16_at(e) == Some(0x0112) && u16_at(e + 2) == Some(3))
        .and_then(|e| u16_at(e + 8))
        .filter(|o| (1..=8).contains(o))
}

/// A minimal big-endian TIFF block whose IFD0 holds only Orientation.
fn exif_with_orientation(o: u16) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend(b"MM\0\x2a");
    t.extend(8u32.to_be_bytes()); // IFD0 right after the header
    t.extend(1u16.to_be_bytes()); // one entry
    t.extend(0x0112u16.to_be_bytes()); // Orientation
    t.extend(3u16.to_be_bytes()); // SHORT
    t.extend(1u32.to_be_bytes()); // count
    t.extend(o.to_be_bytes());
    t.extend([0, 0]); // value padding
    t.extend(0u32.to_be_bytes()); // no next IFD
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_bytes() {
        assert_eq!(detect(&[0xff, 0xd8, 0xff, 0xe0]), Ok(Format::Jpeg));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n...."), Ok(Format::Png));
        assert_eq!(detect(b"\0\0\0\x18ftypheic...."), Ok(Format::Heic));
        assert_eq!(detect(b"GIF89a"), Err(ImageError::NotAnImage));
        assert_eq!(strip(vec![0xff; 10]), Err(ImageError::Size(10)));
        let fake = [&[0xff, 0xd8, 0xff, 0xe0][..], &[0u8; 200]].concat();
        assert!(matches!(
            strip(fake),
            Err(ImageError::Corrupt(Format::Jpeg, _))
        ));
    }

    #[test]
    fn orientation_is_read_in_both_byte_orders_and_written_alone() {
        for o in 1..=8 {
            assert_eq!(orientation(&exif_with_orientation(o)), Some(o));
        }
        // Little-endian IFD0 with ImageWidth then Orientation 6.
        let mut le = b"II\x2a\0\x08\0\0\0\x02\0".to_vec();
        le.extend([0x00, 0x01, 3, 0, 1, 0, 0, 0, 0x40, 0, 0, 0]);
        le.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        assert_eq!(orientation(&le), Some(6));
        assert_eq!(orientation(b"garbage"), None);
    }
}
