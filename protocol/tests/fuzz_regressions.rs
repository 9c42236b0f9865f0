//! Inputs the fuzzers found (`fuzz/regressions/<target>/`), kept as regression tests: each
//! must now give a typed result that honours the target's invariant.

use std::path::PathBuf;

use waybill_protocol::trajectory::{decode, decode_batch};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn trajectory_decode_findings_stay_fixed() {
    let found = inputs("trajectory_decode");
    assert!(
        !found.is_empty(),
        "the regression inputs are in the repository"
    );
    for (name, data) in found {
        if let Ok(points) = decode(&data) {
            assert!(
                points.windows(2).all(|w| w[0].t_ms < w[1].t_ms),
                "{name}: a decoded batch keeps time order"
            );
        }
        let _ = decode_batch(&data, |t| (t % 2 == 0).then_some((48.1, 11.5)));
    }
}
