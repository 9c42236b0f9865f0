//! tus headers arrive from any client (server side) and any server (client side):
//! `Upload-Metadata` and `Upload-Checksum` parse or fail typed; what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill_protocol::tus::{encode_checksum, encode_metadata, parse_checksum, parse_metadata};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pairs) = parse_metadata(text) {
        let borrowed: Vec<(&str, &str)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let again = parse_metadata(&encode_metadata(&borrowed)).expect("re-encoded metadata parses");
        // Keys with a space or comma cannot be written back unchanged; the rest must be.
        if pairs.iter().all(|(k, _)| !k.contains([' ', ','])) {
            assert_eq!(again, pairs);
        }
    }
    if let Ok((algorithm, digest)) = parse_checksum(text) {
        if !algorithm.contains(' ') {
            assert_eq!(
                parse_checksum(&encode_checksum(&algorithm, &digest)).expect("re-encoded"),
                (algorithm, digest)
            );
        }
    }
});
