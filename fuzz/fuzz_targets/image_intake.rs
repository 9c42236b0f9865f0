//! Photo intake reads whatever the camera or the gallery hands over: any bytes must be
//! refused with a typed error or come out as an image without metadata, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill_core::proof::{ProofSource, prepare};

fuzz_target!(|data: &[u8]| {
    if let Ok((bytes, sha256, _name)) = prepare(&ProofSource::Bytes(data.to_vec())) {
        assert_eq!(sha256.len(), 64);
        assert!(!bytes.is_empty());
    }
});
