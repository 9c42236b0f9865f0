//! The server decodes trajectory batches from any device: every byte string must give a
//! batch or a typed error, never a panic, an overflow or a huge allocation; a decoded
//! batch keeps its points strictly in time order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill_protocol::trajectory::{decode, decode_batch};

fuzz_target!(|data: &[u8]| {
    if let Ok(points) = decode(data) {
        assert!(points.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
    }
    // Anchored batches: the anchor is found for even times only.
    let _ = decode_batch(data, |t_ms| (t_ms % 2 == 0).then_some((48.1, 11.5)));
});
