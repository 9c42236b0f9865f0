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
        control_key: None,
    }
}

/// The account the planted orders are assigned to.
#[allow(dead_code)] // each suite uses its own part
pub const ME: &str = "acct_me";

/// An order as the server would send it, held by [`ME`], for planting in a database.
#[allow(dead_code)]
pub fn held_order(
    id: &str,
    status: waybill_core::OrderStatus,
    revision: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> waybill_protocol::Order {
    waybill_protocol::Order {
        id: id.into(),
        status,
        pickup_label: "Shanghai Baoshan".into(),
        pickup: waybill_core::LatLon {
            lat: 31.4,
            lon: 121.49,
        },
        dropoff_label: "Nantong".into(),
        goods: "steel".into(),
        weight_kg: 1.0,
        fee_minor: 1,
        currency: "CNY".into(),
        assigned_to: Some(ME.into()),
        shipper_id: None,
        stops: vec![],
        appointment_at: None,
        waybill_no: None,
        revision,
        updated_at: at,
    }
}
