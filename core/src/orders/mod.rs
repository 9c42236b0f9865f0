//! Order cache: orders as last seen from the server, plus the optimistic effect of local
//! actions still in the outbox. The effective status is derived from both at read time,
//! so rolling back a refused action is deleting its outbox entry, not undoing a write.

pub mod actions;
pub mod courier;
pub mod engine;
pub mod entry;
pub mod export;
pub mod history;
pub mod outbox;
pub mod parties;
pub mod rejections;
pub mod scan;
pub mod sync;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use waybill_protocol::{LatLon, OrderStatus, Stop};

use crate::db::StorageResult;
use crate::db::meta::{self, MetaKey};
use crate::privacy::holdings::{Clock, Held, Holding, OrderClock, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::privacy::transparency::{self, DataAction, DataEvent};
use crate::purpose::Purpose;

/// An order as the UI sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Server id.
    pub id: String,
    /// Effective status: the server's, or the one a queued local action will produce.
    pub status: OrderStatus,
    /// Whether a local action on this order still waits for the server.
    pub sync_state: SyncState,
    /// Whether this driver holds the order.
    pub assigned_to_me: bool,
    /// Whether this shipper placed it.
    pub placed_by_me: bool,
    /// The route: pickup first, then drop-offs, each with its time window.
    pub stops: Vec<Stop>,
    /// The delivery time agreed with the consignee, if any.
    pub appointment_at: Option<DateTime<Utc>>,
    /// The waybill number on the parcel's label, once the server gave it (the shipper
    /// shares it with the consignee; anyone holding it sees the public status only).
    pub waybill_no: Option<String>,
    /// Pickup, city-level label.
    pub pickup_label: String,
    /// Pickup coordinates (a dock or warehouse).
    pub pickup: LatLon,
    /// Drop-off, city-level label.
    pub dropoff_label: String,
    /// What is carried.
    pub goods: String,
    /// Weight in kilograms.
    pub weight_kg: f64,
    /// Fee in minor currency units.
    pub fee_minor: i64,
    /// ISO 4217 currency of the fee.
    pub currency: String,
    /// Server revision last seen.
    pub revision: i64,
    /// When the server last changed it.
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// An offer as a guest sees it: not stored, nobody's.
    pub fn from_offer(offer: &waybill_protocol::Order) -> Order {
        Order {
            id: offer.id.clone(),
            status: offer.status,
            sync_state: SyncState::Synced,
            assigned_to_me: false,
            placed_by_me: false,
            stops: offer.stops.clone(),
            appointment_at: offer.appointment_at,
            waybill_no: None,
            pickup_label: offer.pickup_label.clone(),
            pickup: offer.pickup,
            dropoff_label: offer.dropoff_label.clone(),
            goods: offer.goods.clone(),
            weight_kg: offer.weight_kg,
            fee_minor: offer.fee_minor,
            currency: offer.currency.clone(),
            revision: offer.revision,
            updated_at: offer.updated_at,
        }
    }

    /// The one rule of "may this driver track this order now": held by this driver and in
    /// transit, from pickup to sign-off (P-16), on the order's effective status.
    pub fn in_transit(&self) -> bool {
        self.assigned_to_me && self.status == OrderStatus::PickedUp
    }

    /// Held by this driver and not over: the order's steps may still be proved.
    pub fn held_open(&self) -> bool {
        self.assigned_to_me && !self.status.is_closed()
    }

    /// The point of the route's last drop-off stop, if it has one (the sign-off geofence).
    pub fn final_dropoff(&self) -> Option<LatLon> {
        self.stops
            .iter()
            .rev()
            .find(|s| s.kind == waybill_protocol::StopKind::Dropoff)
            .and_then(|s| s.point)
    }

    /// The drop-off stops with a known point, with their index in the route.
    pub fn dropoff_points(&self) -> impl Iterator<Item = (u32, LatLon)> + '_ {
        self.stops.iter().enumerate().filter_map(|(i, s)| {
            (s.kind == waybill_protocol::StopKind::Dropoff)
                .then_some(s.point)
                .flatten()
                .map(|p| (i as u32, p))
        })
    }
}

/// Whether an order's local state is confirmed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// The cache matches the server's last word.
    Synced,
    /// A local action is queued in the outbox.
    Pending,
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderList {
    /// Offers this driver can still accept.
    Open,
    /// Orders this driver holds or has accepted offline.
    Mine,
}

/// Effective status and sync state are derived from the outbox in SQL, in one place: the
/// status is the target of the latest queued status-changing action, else the server's.
const SELECT_ORDER: &str = "
    SELECT o.id,
           coalesce((SELECT x.target_status FROM outbox x
                     WHERE x.order_id = o.id AND x.target_status IS NOT NULL
                     ORDER BY x.seq DESC LIMIT 1), o.status),
           EXISTS (SELECT 1 FROM outbox x WHERE x.order_id = o.id),
           o.assigned_to_me
               OR EXISTS (SELECT 1 FROM outbox x WHERE x.order_id = o.id AND x.action = 'accept'),
           unseal(o.pickup_label, 'orders.pickup_label', o.id),
           unseal(o.pickup_lat, 'orders.pickup_lat', o.id),
           unseal(o.pickup_lon, 'orders.pickup_lon', o.id),
           unseal(o.dropoff_label, 'orders.dropoff_label', o.id), o.goods,
           o.weight_kg, o.fee_minor, o.currency, o.revision, o.updated_at, o.placed_by_me,
           unseal(o.stops_json, 'orders.stops_json', o.id), o.appointment_at, o.waybill_no
    FROM orders o";

fn order_from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let status: String = r.get(1)?;
    let updated_at: String = r.get(13)?;
    Ok(Order {
        id: r.get(0)?,
        status: OrderStatus::parse(&status).ok_or_else(|| bad_text(1, &status))?,
        sync_state: if r.get(2)? {
            SyncState::Pending
        } else {
            SyncState::Synced
        },
        assigned_to_me: r.get(3)?,
        placed_by_me: r.get(14)?,
        stops: serde_json::from_str(&r.get::<_, String>(15)?).unwrap_or_default(),
        appointment_at: r
            .get::<_, Option<String>>(16)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)),
        waybill_no: r.get(17)?,
        pickup_label: r.get(4)?,
        pickup: LatLon {
            lat: r.get(5)?,
            lon: r.get(6)?,
        },
        dropoff_label: r.get(7)?,
        goods: r.get(8)?,
        weight_kg: r.get(9)?,
        fee_minor: r.get(10)?,
        currency: r.get(11)?,
        revision: r.get(12)?,
        updated_at: DateTime::parse_from_rfc3339(&updated_at)
            .map_err(|_| bad_text(13, &updated_at))?
            .with_timezone(&Utc),
    })
}

fn bad_text(column: usize, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unexpected value {value:?}").into(),
    )
}

/// One order by its waybill number (or its id: labels printed before numbers carry it).
pub fn by_waybill(conn: &Connection, number: &str) -> StorageResult<Option<Order>> {
    Ok(conn
        .query_row(
            &format!("{SELECT_ORDER} WHERE o.waybill_no = ?1 OR o.id = ?1 ORDER BY o.waybill_no = ?1 DESC LIMIT 1"),
            [number],
            order_from_row,
        )
        .optional()?)
}

/// One order by id.
pub fn get(conn: &Connection, id: &str) -> StorageResult<Option<Order>> {
    Ok(conn
        .query_row(
            &format!("{SELECT_ORDER} WHERE o.id = ?1"),
            [id],
            order_from_row,
        )
        .optional()?)
}

/// Orders whose id, places or goods contain `text` (case-insensitive for ASCII), newest
/// change first, at most 100.
pub fn search(conn: &Connection, text: &str) -> StorageResult<Vec<Order>> {
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut stmt = conn.prepare(&format!(
        "{SELECT_ORDER} WHERE o.id LIKE ?1 ESCAPE '\\' OR unseal(o.pickup_label, 'orders.pickup_label', o.id) LIKE ?1 ESCAPE '\\'
             OR unseal(o.dropoff_label, 'orders.dropoff_label', o.id) LIKE ?1 ESCAPE '\\' OR o.goods LIKE ?1 ESCAPE '\\'
         ORDER BY o.updated_at DESC, o.id LIMIT 100"
    ))?;
    let rows = stmt.query_map([pattern], order_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A list for the UI, newest change first.
pub fn list(conn: &Connection, which: OrderList) -> StorageResult<Vec<Order>> {
    let filter = match which {
        OrderList::Open => {
            "o.status = 'open' AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.order_id = o.id)"
        }
        OrderList::Mine => {
            "o.assigned_to_me = 1 OR o.placed_by_me = 1
             OR EXISTS (SELECT 1 FROM outbox x WHERE x.order_id = o.id AND x.action = 'accept')"
        }
    };
    let mut stmt = conn.prepare(&format!(
        "{SELECT_ORDER} WHERE {filter} ORDER BY o.updated_at DESC, o.id"
    ))?;
    let rows = stmt.query_map([], order_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether this driver holds an order that is not closed ([`Order::held_open`] for any
/// order), answered without reading a personal column.
pub fn holds_open_order(conn: &Connection) -> StorageResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM orders WHERE assigned_to_me = 1 AND closed_at IS NULL)",
        [],
        |r| r.get(0),
    )?)
}

/// Writes the server's view of an order. Server truth wins for every field it owns;
/// a stale revision never overwrites a newer one.
pub fn upsert_from_server(
    tx: &Transaction<'_>,
    order: &waybill_protocol::Order,
    my_account_id: &str,
) -> StorageResult<()> {
    let mine = order.assigned_to.as_deref() == Some(my_account_id);
    let placed = order.shipper_id.as_deref() == Some(my_account_id);
    let previous: Option<(String, i64)> = tx
        .query_row(
            "SELECT status, revision FROM orders WHERE id = ?1",
            [&order.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let status_changed = previous.as_ref().is_none_or(|(status, revision)| {
        status != order.status.as_str() && order.revision > *revision
    });
    if (mine || placed) && status_changed {
        history::record_server(tx, &order.id, order.status, order.updated_at)?;
    }
    // A closed order's retention clock starts when the server closed it.
    let closed_at = is_closed(order.status).then(|| order.updated_at.to_rfc3339());
    tx.execute(
        "INSERT INTO orders (id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label,
             goods, weight_kg, fee_minor, currency, assigned_to_me, revision, updated_at, fetched_at,
             closed_at, placed_by_me, stops_json, appointment_at, waybill_no)
         VALUES (?1, ?2, seal(?3, 'orders.pickup_label', ?1), seal(?4, 'orders.pickup_lat', ?1),
             seal(?5, 'orders.pickup_lon', ?1), seal(?6, 'orders.dropoff_label', ?1), ?7, ?8, ?9,
             ?10, ?11, ?12, ?13, ?14, ?15, ?16, seal(?17, 'orders.stops_json', ?1), ?18, ?19)
         ON CONFLICT (id) DO UPDATE SET
             status = excluded.status, pickup_label = excluded.pickup_label,
             pickup_lat = excluded.pickup_lat, pickup_lon = excluded.pickup_lon,
             dropoff_label = excluded.dropoff_label, goods = excluded.goods,
             weight_kg = excluded.weight_kg, fee_minor = excluded.fee_minor,
             currency = excluded.currency, assigned_to_me = excluded.assigned_to_me,
             revision = excluded.revision, updated_at = excluded.updated_at,
             fetched_at = excluded.fetched_at,
             closed_at = COALESCE(orders.closed_at, excluded.closed_at),
             placed_by_me = max(orders.placed_by_me, excluded.placed_by_me),
             stops_json = excluded.stops_json, appointment_at = excluded.appointment_at,
             waybill_no = coalesce(excluded.waybill_no, orders.waybill_no)
         WHERE excluded.revision >= orders.revision",
        params![
            order.id,
            order.status.as_str(),
            order.pickup_label,
            order.pickup.lat,
            order.pickup.lon,
            order.dropoff_label,
            order.goods,
            order.weight_kg,
            order.fee_minor,
            order.currency,
            mine,
            order.revision,
            order.updated_at.to_rfc3339(),
            Utc::now().to_rfc3339(),
            closed_at,
            placed,
            serde_json::to_string(&order.stops).expect("stops serialize"),
            order.appointment_at.map(|t| t.to_rfc3339()),
            order.waybill_no.as_deref().filter(|_| mine || placed),
        ],
    )?;
    if !mine && !placed {
        let forgotten = parties::forget(tx, &order.id)?;
        if forgotten > 0 {
            transparency::record(
                tx,
                &DataEvent::new(
                    DataAction::Expired,
                    crate::purpose::Purpose::OrderFulfilment.id(),
                    &["consignee_contact"],
                    None,
                    forgotten,
                    Utc::now(),
                ),
            )?;
        }
    }
    Ok(())
}

/// Whether an order is over (its data's retention clock runs from then).
pub fn is_closed(status: OrderStatus) -> bool {
    status.is_closed()
}

/// Applies a fresh list of open offers: upserts them, and forgets cached offers that are
/// no longer open nearby, unless this driver holds them or has an action queued on them.
pub fn replace_open_offers(
    tx: &Transaction<'_>,
    offers: &[waybill_protocol::Order],
    my_account_id: &str,
) -> StorageResult<()> {
    for offer in offers {
        upsert_from_server(tx, offer, my_account_id)?;
    }
    let fresh_ids = serde_json::to_string(&offers.iter().map(|o| &o.id).collect::<Vec<_>>())
        .expect("a list of strings always serializes");
    tx.execute(
        "DELETE FROM orders
         WHERE status = 'open' AND assigned_to_me = 0
           AND id NOT IN (SELECT value FROM json_each(?1))
           AND id NOT IN (SELECT order_id FROM outbox)",
        [fresh_ids],
    )?;
    Ok(())
}

/// After the server refused an acceptance for good, records what the refusal says about
/// the order (taken, cancelled, gone) so the UI stops offering it.
pub fn apply_refusal(
    tx: &Transaction<'_>,
    order_id: &str,
    status: Option<OrderStatus>,
) -> StorageResult<()> {
    let now = Utc::now();
    match status {
        Some(status) => {
            // "Taken" means another driver holds it; a cancelled order stays in my list.
            let changed = tx.execute(
                "UPDATE orders SET status = ?2,
                     assigned_to_me = CASE WHEN ?2 = 'accepted' THEN 0 ELSE assigned_to_me END,
                     closed_at = COALESCE(closed_at, CASE WHEN ?3 THEN ?4 END)
                 WHERE id = ?1 AND status != ?2",
                params![
                    order_id,
                    status.as_str(),
                    is_closed(status),
                    now.to_rfc3339()
                ],
            )?;
            if changed > 0 {
                history::record_server(tx, order_id, status, now)?;
            }
        }
        None => {
            tx.execute("DELETE FROM orders WHERE id = ?1", [order_id])?;
        }
    }
    Ok(())
}

/// Where the change feed was read up to (0 before the first pull).
pub fn changes_cursor(conn: &Connection) -> StorageResult<i64> {
    let value = meta::get(conn, MetaKey::ChangesCursor)?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Stores the change-feed cursor, in the transaction that applied the page.
pub fn set_changes_cursor(tx: &Transaction<'_>, cursor: i64) -> StorageResult<()> {
    meta::set(tx, MetaKey::ChangesCursor, &cursor.to_string())
}

/// A shipper's new errand, before the server has it: the order (id made here), the
/// parties' contact under the placement ticket, and the outbox entry, in one transaction.
pub fn place_errand(
    tx: &Transaction<'_>,
    basis: &crate::ticket::Ticket,
    errand: &waybill_protocol::NewErrand,
) -> crate::error::Result<Order> {
    let id = format!("ord-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let now = Utc::now();
    tx.execute(
        "INSERT INTO orders (id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label,
             goods, weight_kg, fee_minor, currency, revision, updated_at, fetched_at, placed_by_me,
             stops_json)
         VALUES (?1, 'open', seal(?2, 'orders.pickup_label', ?1), seal(?3, 'orders.pickup_lat', ?1),
             seal(?4, 'orders.pickup_lon', ?1), seal(?5, 'orders.dropoff_label', ?1), ?6, ?7, ?8,
             ?9, 0, ?10, ?10, 1, seal('[]', 'orders.stops_json', ?1))",
        params![
            id,
            errand.pickup_label,
            errand.pickup.lat,
            errand.pickup.lon,
            errand.dropoff_label,
            errand.goods,
            errand.weight_kg,
            errand.fee_minor,
            errand.currency,
            now.to_rfc3339()
        ],
    )?;
    parties::store(tx, basis, &id, "party_contact", &errand.contact, now)?;
    let payload = serde_json::to_string(errand).expect("errands serialize");
    outbox::enqueue_with_payload(
        tx,
        &id,
        waybill_protocol::ActionKind::Place,
        None,
        None,
        Some(&payload),
    )?;
    get(tx, &id)?.ok_or_else(|| crate::error::Error::Internal {
        reason: "errand vanished inside its own transaction".into(),
    })
}

/// Rows an open order still needs (PIPL Art. 47: a contract in performance): the driver's
/// order in hand, the shipper's errand not yet closed. Kept through an erasure.
const OPEN_ORDER: &str = "order_id IN (SELECT id FROM orders
     WHERE closed_at IS NULL AND (assigned_to_me = 1 OR placed_by_me = 1))";

/// The purposes the order engine writes its tables for.
const ORDER_PURPOSES: &[Purpose] = &[Purpose::OrderFulfilment, Purpose::ErrandPlacement];

/// The clock of rows kept for an order's purpose.
fn order_clock(from: RetentionStart, collected: &'static str) -> Option<Clock> {
    match from {
        RetentionStart::Collected => Some(Clock::Column(collected)),
        RetentionStart::OrderClosed => Some(Clock::OrderClosed),
        RetentionStart::Uploaded | RetentionStart::AccountClosed => None,
    }
}

/// The order engine's personal tables: the parties' contact, each order's history (notes
/// the user wrote), queued actions (an errand's contacts and notes), rejections, and the
/// order records themselves, all kept for the order's purpose and swept after its period
/// from the order's close. The records go last, and everything of an order with them.
pub const HOLDINGS: &[Holding] = &[
    Holding {
        table: "order_parties",
        categories: "category",
        purpose: "purpose",
        written_for: ORDER_PURPOSES,
        clock: |from| order_clock(from, "collected_at"),
        needed_for_open_order: Some(OPEN_ORDER),
        order_bound: true,
    },
    Holding {
        table: "order_history",
        categories: "'order_records'",
        purpose: "{order_purpose}",
        written_for: ORDER_PURPOSES,
        clock: |from| order_clock(from, "at"),
        needed_for_open_order: Some(OPEN_ORDER),
        order_bound: true,
    },
    Holding {
        table: "outbox",
        categories: "CASE action WHEN 'place' THEN 'party_contact' ELSE 'order_records' END",
        purpose: "{order_purpose}",
        written_for: ORDER_PURPOSES,
        clock: |from| order_clock(from, "created_at"),
        needed_for_open_order: Some(OPEN_ORDER),
        order_bound: true,
    },
    Holding {
        table: "rejections",
        categories: "'order_records'",
        purpose: "{order_purpose}",
        written_for: ORDER_PURPOSES,
        clock: |from| order_clock(from, "rejected_at"),
        needed_for_open_order: Some(OPEN_ORDER),
        order_bound: true,
    },
    Holding {
        table: "orders",
        categories: "CASE placed_by_me WHEN 1 THEN 'party_contact' ELSE 'order_records' END",
        purpose: "purpose",
        written_for: ORDER_PURPOSES,
        clock: |from| match from {
            RetentionStart::Collected => Some(Clock::Column("fetched_at")),
            RetentionStart::OrderClosed => Some(Clock::Column("closed_at")),
            RetentionStart::Uploaded | RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: Some(
            "closed_at IS NULL AND (assigned_to_me = 1 OR placed_by_me = 1)",
        ),
        order_bound: false,
    },
];

/// What the registry needs to know about orders to sweep order-bound rows.
pub const ORDER_CLOCK: OrderClock = OrderClock {
    table: "orders",
    closed_by: "SELECT id FROM orders WHERE closed_at <= ?2",
    closed_for_purpose_by: "SELECT id FROM orders WHERE closed_at <= ?2 AND +purpose = ?1",
    closed: "SELECT id FROM orders WHERE closed_at IS NOT NULL",
    purpose_of_row: "coalesce((SELECT o.purpose FROM orders o WHERE o.id = {table}.order_id), 'orphan')",
};

/// The order engine's tables, column by column.
pub const TABLES: &[TableDecl] = &[
    TableDecl {
        table: "orders",
        held: Held::ForPurpose,
        personal: &[
            "pickup_label",
            "pickup_lat",
            "pickup_lon",
            "dropoff_label",
            "stops_json",
            "appointment_at",
            "closed_at",
            "updated_at",
            "fetched_at",
        ],
        plain: &[
            "id",
            "status",
            "goods",
            "weight_kg",
            "fee_minor",
            "currency",
            "assigned_to_me",
            "revision",
            "placed_by_me",
            "purpose",
            "waybill_no",
        ],
        why_plain: "the order's id, state, load and fee: the offer as every driver sees it; \
                    its waybill number, a parcel's random key to a status without personal data",
    },
    TableDecl {
        table: "order_parties",
        held: Held::ForPurpose,
        personal: &[
            "consignor_name",
            "consignor_phone",
            "consignee_name",
            "consignee_phone",
            "consignee_address",
            "collected_at",
        ],
        plain: &["order_id", "purpose", "category"],
        why_plain: "which order and purpose the contact serves",
    },
    TableDecl {
        table: "order_history",
        held: Held::ForPurpose,
        personal: &["note", "at"],
        plain: &["seq", "order_id", "event", "source", "state", "action_key"],
        why_plain: "ids, the step taken and what became of it",
    },
    TableDecl {
        table: "outbox",
        held: Held::ForPurpose,
        personal: &["note", "payload", "created_at"],
        plain: &[
            "seq",
            "order_id",
            "action",
            "idempotency_key",
            "attempts",
            "last_error",
            "target_status",
            "next_attempt_at",
        ],
        why_plain: "the queue's ids, retry state and the server's error text (no personal value)",
    },
    TableDecl {
        table: "rejections",
        held: Held::ForPurpose,
        personal: &["taken_at", "rejected_at"],
        plain: &["id", "order_id", "action", "reason"],
        why_plain: "which action of which order the server refused, and its stable reason code",
    },
];
