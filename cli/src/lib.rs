//! The `waybill` developer CLI as a library: the demo, database inspection, trace replay,
//! and the pieces the end-to-end suites share with them (the simulated mobile link, trace
//! readers, generated test images).
#![forbid(unsafe_code)]

pub mod demo;
pub mod images;
pub mod inspect;
pub mod link;
pub mod replay;
pub mod report;
pub mod trace_file;
