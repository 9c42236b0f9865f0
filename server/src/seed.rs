//! Demo data: open cargo offers around the Yangtze River Delta, where the TMS app of seed
//! 002 operates. Pickups are depots and docks, not homes; offers carry no contact data.

use chrono::{TimeZone, Utc};
use rusqlite::Connection;
use waybill_protocol::{LatLon, Order, OrderStatus};

use crate::store::{self, StoreResult};

/// (id, pickup label, lat, lon, drop-off label, goods, kg, fee in fen)
const OFFERS: &[(&str, &str, f64, f64, &str, &str, f64, i64)] = &[
    (
        "ord-sh-0001",
        "Shanghai Pudong, Waigaoqiao bonded depot",
        31.3520,
        121.5920,
        "Suzhou Industrial Park",
        "18 pallets of bottled water",
        9_200.0,
        145_000,
    ),
    (
        "ord-sh-0002",
        "Shanghai Minhang, Xinzhuang DC",
        31.1110,
        121.3800,
        "Hangzhou Xiaoshan",
        "Flat-pack furniture, 42 cartons",
        3_100.0,
        238_000,
    ),
    (
        "ord-sh-0003",
        "Shanghai Jiading, auto-parts park",
        31.3760,
        121.2500,
        "Ningbo Beilun port",
        "Brake assemblies, 6 crates",
        4_800.0,
        312_000,
    ),
    (
        "ord-sh-0004",
        "Shanghai Baoshan, steel yard gate 3",
        31.4050,
        121.4890,
        "Nantong Chongchuan",
        "Coiled steel, 2 coils",
        21_000.0,
        420_000,
    ),
    (
        "ord-sh-0005",
        "Shanghai Songjiang, e-commerce hub",
        31.0320,
        121.2270,
        "Jiaxing Nanhu",
        "Parcels, 310 pieces",
        1_450.0,
        98_000,
    ),
    (
        "ord-sz-0001",
        "Suzhou Wuzhong, cold-chain depot",
        31.2620,
        120.6310,
        "Shanghai Qingpu",
        "Chilled dairy, 12 pallets",
        6_600.0,
        176_000,
    ),
    (
        "ord-hz-0001",
        "Hangzhou Xiaoshan, airport cargo",
        30.2350,
        120.4320,
        "Shaoxing Keqiao",
        "Textile rolls, 80 pieces",
        7_900.0,
        134_000,
    ),
    (
        "ord-hz-0002",
        "Hangzhou Yuhang, logistics park",
        30.4190,
        120.2990,
        "Huzhou Wuxing",
        "Small appliances, 55 cartons",
        2_200.0,
        88_000,
    ),
    (
        "ord-nb-0001",
        "Ningbo Beilun, container yard",
        29.9330,
        121.8450,
        "Shanghai Pudong",
        "One 40ft container, general cargo",
        18_500.0,
        520_000,
    ),
    (
        "ord-nj-0001",
        "Nanjing Jiangning, pharma DC",
        31.9530,
        118.8400,
        "Hefei Shushan",
        "Pharmaceuticals, 9 pallets (GDP)",
        2_700.0,
        265_000,
    ),
];

/// Inserts the demo offers if the store has no orders yet. Returns how many it added.
pub fn seed_demo(conn: &Connection) -> StoreResult<usize> {
    let existing: i64 = conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
    if existing > 0 {
        return Ok(0);
    }
    let at = Utc
        .with_ymd_and_hms(2026, 11, 1, 8, 0, 0)
        .single()
        .unwrap_or_default();
    for &(id, pickup, lat, lon, dropoff, goods, kg, fee) in OFFERS {
        store::insert_open_order(
            conn,
            &Order {
                id: id.into(),
                status: OrderStatus::Open,
                pickup_label: pickup.into(),
                pickup: LatLon { lat, lon },
                dropoff_label: dropoff.into(),
                goods: goods.into(),
                weight_kg: kg,
                fee_minor: fee,
                currency: "CNY".into(),
                assigned_to: None,
                revision: 1,
                updated_at: at,
            },
        )?;
    }
    Ok(OFFERS.len())
}
