//! The tus 1.0 header values both sides write and read: `Upload-Metadata` (comma-separated
//! `key base64(value)` pairs) and `Upload-Checksum` (`algorithm base64(digest)`). Kept here
//! so the client that writes them and the server that parses them cannot drift, and so
//! the parsers of untrusted headers can be fuzzed without a server.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// A header value that is not what tus says it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TusHeaderError {
    /// A metadata value that is not base64 of UTF-8 text.
    #[error("metadata {key}: not base64 UTF-8")]
    Metadata {
        /// The key whose value is broken.
        key: String,
    },
    /// A metadata key that is empty or holds spaces or commas.
    #[error("metadata key {0:?}: empty, or with a space or a comma")]
    Key(String),
    /// `Upload-Checksum` is not `<algorithm> <base64>`.
    #[error("Upload-Checksum: <algorithm> <base64> expected")]
    Checksum,
}

/// `Upload-Metadata` for `pairs`.
pub fn encode_metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", BASE64.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `Upload-Metadata`; a key without a value has the empty value.
pub fn parse_metadata(raw: &str) -> Result<Vec<(String, String)>, TusHeaderError> {
    raw.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let mut it = pair.trim().splitn(2, ' ');
            let key = it.next().unwrap_or_default().to_string();
            if key.is_empty() {
                return Err(TusHeaderError::Key(key));
            }
            let value = BASE64
                .decode(it.next().unwrap_or_default().trim())
                .ok()
                .and_then(|v| String::from_utf8(v).ok())
                .ok_or_else(|| TusHeaderError::Metadata { key: key.clone() })?;
            Ok((key, value))
        })
        .collect()
}

/// `Upload-Checksum` for a digest computed with `algorithm`.
pub fn encode_checksum(algorithm: &str, digest: &[u8]) -> String {
    format!("{algorithm} {}", BASE64.encode(digest))
}

/// Parses `Upload-Checksum` into its algorithm name and digest bytes.
pub fn parse_checksum(value: &str) -> Result<(String, Vec<u8>), TusHeaderError> {
    let (algorithm, digest) = value.split_once(' ').ok_or(TusHeaderError::Checksum)?;
    let digest = BASE64
        .decode(digest.trim())
        .map_err(|_| TusHeaderError::Checksum)?;
    Ok((algorithm.to_string(), digest))
}

/// What a proof may show: the `kind` of its `Upload-Metadata`, one of these.
pub const PROOF_KINDS: &[&str] = &[
    "pickup",
    "delivery",
    "signature",
    "damage",
    "receipt",
    "scan",
];

/// Parses `Upload-Length` / `Upload-Offset`: 1 to 20 ASCII digits and nothing else (Rust's
/// integer parser would also take a leading `+`, which tus does not allow).
pub fn parse_size(value: &str) -> Option<u64> {
    let digits =
        !value.is_empty() && value.len() <= 20 && value.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| value.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_plain_digits() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("26214400"), Some(26_214_400));
        for bad in [
            "+1",
            "-1",
            " 1",
            "1 ",
            "",
            "0x10",
            "1e3",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn metadata_round_trips_and_broken_values_are_typed() {
        let pairs = [("order", "ord-1"), ("note", "王芳, floor 2")];
        let raw = encode_metadata(&pairs);
        let parsed = parse_metadata(&raw).unwrap();
        assert_eq!(parsed[1], ("note".to_string(), "王芳, floor 2".to_string()));
        assert_eq!(
            parse_metadata("empty").unwrap(),
            vec![("empty".into(), "".into())]
        );
        assert_eq!(
            parse_metadata("k %%%"),
            Err(TusHeaderError::Metadata { key: "k".into() })
        );
        assert_eq!(parse_metadata(" , ,").unwrap(), vec![]);
    }

    #[test]
    fn checksums_round_trip_and_garbage_is_refused() {
        let (algorithm, digest) = parse_checksum(&encode_checksum("sha1", &[1, 2, 3])).unwrap();
        assert_eq!(
            (algorithm.as_str(), digest.as_slice()),
            ("sha1", &[1u8, 2, 3][..])
        );
        assert_eq!(parse_checksum("sha1"), Err(TusHeaderError::Checksum));
        assert_eq!(parse_checksum("sha1 ***"), Err(TusHeaderError::Checksum));
    }
}
