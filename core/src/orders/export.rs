//! The order engine's part of the personal-data export: the driver's orders, with the
//! parties' contact masked (a copy for the user must not disclose others).

use rusqlite::Connection;
use serde_json::json;

use super::{OrderList, list, parties};
use crate::error::Result;
use crate::privacy::export::Sections;

/// The `orders` section.
pub(crate) fn sections(conn: &Connection) -> Result<Sections> {
    let mut mine = vec![];
    for o in list(conn, OrderList::Mine)? {
        let contact = parties::for_display(conn, &o.id, false)?.map(|c| {
            json!({
                "consignor_name": c.consignor_name, "consignor_phone": c.consignor_phone,
                "consignee_name": c.consignee_name, "consignee_phone": c.consignee_phone,
                "consignee_address": c.consignee_address, "masked": c.masked,
            })
        });
        mine.push(json!({
            "id": o.id, "status": o.status.as_str(), "pickup": o.pickup_label,
            "dropoff": o.dropoff_label, "goods": o.goods, "weight_kg": o.weight_kg,
            "fee_minor": o.fee_minor, "currency": o.currency,
            "updated_at": o.updated_at.to_rfc3339(), "contact": contact,
        }));
    }
    Ok(vec![("orders", json!(mine))])
}
