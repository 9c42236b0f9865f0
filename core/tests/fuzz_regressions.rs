//! Inputs the fuzzers found (`fuzz/regressions/<target>/`), kept as regression tests.

use std::path::PathBuf;

use waybill_core::proof::{ProofSource, prepare};

#[test]
fn image_intake_findings_stay_fixed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/image_intake");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        // JPEGs with an orientation and fewer than three segments made img-parts panic.
        let _ = prepare(&ProofSource::Bytes(std::fs::read(entry.path()).unwrap()));
        n += 1;
    }
    assert!(n > 0, "the regression inputs are in the repository");
}
