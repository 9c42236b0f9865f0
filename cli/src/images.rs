//! Test images made on the fly: structurally valid PNGs of any size, different per seed,
//! so proof tests can upload megabytes without shipping them.

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG of about `size` bytes: a header, a text chunk carrying a phone number (which
/// intake must drop), one IDAT of noise from `seed`, the end.
pub fn noise_png(size: usize, seed: u64) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    chunk(b"IHDR", &[0, 0, 4, 0, 0, 0, 4, 0, 8, 2, 0, 0, 0]);
    chunk(
        b"tEXt",
        b"Comment\0taken by a driver, with a phone number 13800001111",
    );
    let mut x = seed.wrapping_mul(2).wrapping_add(1);
    let noise: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    chunk(b"IDAT", &noise);
    chunk(b"IEND", &[]);
    out
}
