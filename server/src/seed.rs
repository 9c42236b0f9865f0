//! Demo data: open cargo offers around the Yangtze River Delta, where the TMS app of seed
//! 002 operates. Pickups are depots and docks, not homes; offers carry no contact data.

use chrono::{TimeZone, Utc};
use rusqlite::Connection;
use waybill_protocol::{LatLon, Order, OrderContact, OrderStatus, Stop, StopKind};

use crate::store::{self, StoreResult};

/// One demo offer; fee in fen (CNY minor units).
struct Offer {
    id: &'static str,
    pickup: &'static str,
    lat: f64,
    lon: f64,
    dropoff: &'static str,
    goods: &'static str,
    kg: f64,
    fee: i64,
}

#[rustfmt::skip]
const OFFERS: &[Offer] = &[
    Offer { id: "ord-sh-0001", pickup: "Shanghai Pudong, Waigaoqiao bonded depot", lat: 31.3520, lon: 121.5920, dropoff: "Suzhou Industrial Park", goods: "18 pallets of bottled water", kg: 9_200.0, fee: 145_000 },
    Offer { id: "ord-sh-0002", pickup: "Shanghai Minhang, Xinzhuang DC", lat: 31.1110, lon: 121.3800, dropoff: "Hangzhou Xiaoshan", goods: "Flat-pack furniture, 42 cartons", kg: 3_100.0, fee: 238_000 },
    Offer { id: "ord-sh-0003", pickup: "Shanghai Jiading, auto-parts park", lat: 31.3760, lon: 121.2500, dropoff: "Ningbo Beilun port", goods: "Brake assemblies, 6 crates", kg: 4_800.0, fee: 312_000 },
    Offer { id: "ord-sh-0004", pickup: "Shanghai Baoshan, steel yard gate 3", lat: 31.4050, lon: 121.4890, dropoff: "Nantong Chongchuan", goods: "Coiled steel, 2 coils", kg: 21_000.0, fee: 420_000 },
    Offer { id: "ord-sh-0005", pickup: "Shanghai Songjiang, e-commerce hub", lat: 31.0320, lon: 121.2270, dropoff: "Jiaxing Nanhu", goods: "Parcels, 310 pieces", kg: 1_450.0, fee: 98_000 },
    Offer { id: "ord-sz-0001", pickup: "Suzhou Wuzhong, cold-chain depot", lat: 31.2620, lon: 120.6310, dropoff: "Shanghai Qingpu", goods: "Chilled dairy, 12 pallets", kg: 6_600.0, fee: 176_000 },
    Offer { id: "ord-hz-0001", pickup: "Hangzhou Xiaoshan, airport cargo", lat: 30.2350, lon: 120.4320, dropoff: "Shaoxing Keqiao", goods: "Textile rolls, 80 pieces", kg: 7_900.0, fee: 134_000 },
    Offer { id: "ord-hz-0002", pickup: "Hangzhou Yuhang, logistics park", lat: 30.4190, lon: 120.2990, dropoff: "Huzhou Wuxing", goods: "Small appliances, 55 cartons", kg: 2_200.0, fee: 88_000 },
    Offer { id: "ord-nb-0001", pickup: "Ningbo Beilun, container yard", lat: 29.9330, lon: 121.8450, dropoff: "Shanghai Pudong", goods: "One 40ft container, general cargo", kg: 18_500.0, fee: 520_000 },
    Offer { id: "ord-nj-0001", pickup: "Nanjing Jiangning, pharma DC", lat: 31.9530, lon: 118.8400, dropoff: "Hefei Shushan", goods: "Pharmaceuticals, 9 pallets (GDP)", kg: 2_700.0, fee: 265_000 },
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
    for (index, offer) in OFFERS.iter().enumerate() {
        store::insert_open_order(
            conn,
            &Order {
                id: offer.id.into(),
                status: OrderStatus::Open,
                pickup_label: offer.pickup.into(),
                pickup: LatLon {
                    lat: offer.lat,
                    lon: offer.lon,
                },
                dropoff_label: offer.dropoff.into(),
                goods: offer.goods.into(),
                weight_kg: offer.kg,
                fee_minor: offer.fee,
                currency: "CNY".into(),
                assigned_to: None,
                shipper_id: None,
                stops: demo_stops(index, offer),
                appointment_at: None,
                waybill_no: None,
                revision: 1,
                updated_at: at,
            },
        )?;
        store::insert_contact(conn, offer.id, &demo_contact(index, offer))?;
    }
    Ok(OFFERS.len())
}

/// The route of a demo offer: load within a morning window three days after seeding,
/// deliver within the afternoon window.
fn demo_stops(index: usize, offer: &Offer) -> Vec<Stop> {
    let day = Utc
        .with_ymd_and_hms(2026, 11, 4 + (index % 3) as u32, 0, 0, 0)
        .single()
        .unwrap_or_default();
    vec![
        Stop {
            kind: StopKind::Pickup,
            label: offer.pickup.into(),
            point: Some(LatLon {
                lat: offer.lat,
                lon: offer.lon,
            }),
            window_start: Some(day + chrono::Duration::hours(8)),
            window_end: Some(day + chrono::Duration::hours(12)),
        },
        Stop {
            kind: StopKind::Dropoff,
            label: offer.dropoff.into(),
            point: None,
            window_start: Some(day + chrono::Duration::hours(14)),
            window_end: Some(day + chrono::Duration::hours(20)),
        },
    ]
}

/// Made-up parties for a demo offer: names from common surnames, phone numbers in the
/// mobile format (11 digits from 13x), an address at the drop-off city.
fn demo_contact(index: usize, offer: &Offer) -> OrderContact {
    const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    const GIVEN: [&str; 8] = ["建国", "秀英", "伟", "芳", "磊", "静", "洋", "敏"];
    let person = |n: usize| format!("{}{}", SURNAMES[n % 8], GIVEN[(n * 3 + 1) % 8]);
    let phone = |n: usize| format!("13{}{:08}", n % 10, 20_260_000 + n * 7_919);
    OrderContact {
        consignor_name: person(index * 2),
        consignor_phone: phone(index * 2),
        consignee_name: person(index * 2 + 1),
        consignee_phone: phone(index * 2 + 1),
        consignee_address: format!(
            "{}, No. {} Logistics Road, gate {}",
            offer.dropoff,
            100 + index * 11,
            index % 4 + 1
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_adds_every_offer_once() {
        let dir = tempfile::tempdir().unwrap();
        let conn = store::open(&dir.path().join("s.sqlite3")).unwrap();
        assert_eq!(seed_demo(&conn).unwrap(), OFFERS.len());
        assert!(OFFERS.len() >= 10);
        assert_eq!(seed_demo(&conn).unwrap(), 0, "a seeded store is left alone");
        let shanghai = LatLon {
            lat: 31.23,
            lon: 121.47,
        };
        let near = store::open_orders_near(&conn, shanghai, 60_000.0, 100).unwrap();
        assert!(near.len() >= 5, "{near:?}");
        let distances_grow = near.windows(2).all(|w| {
            let d = |o: &Order| (o.pickup.lat - shanghai.lat).hypot(o.pickup.lon - shanghai.lon);
            d(&w[0]) <= d(&w[1]) + 1e-3
        });
        assert!(distances_grow, "nearest first");
    }
}
