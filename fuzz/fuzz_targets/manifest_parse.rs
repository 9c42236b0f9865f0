//! A privacy manifest comes from the server (policy updates): any text must parse into a
//! valid manifest or a precise error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill_core::privacy::manifest::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Manifest::parse(text);
    }
});
