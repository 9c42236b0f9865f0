//! Shared set-up of the core's integration tests.

use std::path::Path;

use waybill_core::{Config, Role};

/// A client configuration on `dir` for `role`; the server address is never contacted.
pub fn config(dir: &Path, role: Role) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        server_url: "http://127.0.0.1:9".into(),
        app_id: format!("com.example.waybill.{}", role.as_str()),
        app_version: "0.1.0".into(),
        role,
        pinned_keys: vec![],
    }
}
