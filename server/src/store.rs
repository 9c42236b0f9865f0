//! The server's SQLite store: accounts, orders, their event history, and the idempotency
//! ledger that makes every mutating request apply at most once.

use std::path::Path;

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use waybill_protocol::{ErrorCode, LatLon, Order, OrderEvent, OrderStatus};

/// A failure the API layer turns into an HTTP reply.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A contract-level refusal with its code.
    #[error("{code:?}: {message}")]
    Refused {
        /// Machine-readable code.
        code: ErrorCode,
        /// Explanation.
        message: String,
    },
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file or the blocking pool failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

fn refused(code: ErrorCode, message: impl Into<String>) -> StoreError {
    StoreError::Refused {
        code,
        message: message.into(),
    }
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orders (
    id            TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL,
    pickup_label  TEXT NOT NULL,
    pickup_lat    REAL NOT NULL,
    pickup_lon    REAL NOT NULL,
    dropoff_label TEXT NOT NULL,
    goods         TEXT NOT NULL,
    weight_kg     REAL NOT NULL,
    fee_minor     INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    assigned_to   TEXT REFERENCES accounts (id),
    revision      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    -- Shipper account that placed it (NULL for seeded offers).
    shipper_id    TEXT REFERENCES accounts (id),
    -- The route (JSON list of stops with time windows) and the agreed delivery time.
    stops         TEXT NOT NULL DEFAULT '[]',
    appointment_at TEXT,
    -- Position in the change feed: set from a store-wide counter at every change.
    change_seq    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS orders_by_change ON orders (change_seq);
CREATE TABLE IF NOT EXISTS order_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders (id),
    kind     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL,
    -- When the actor did it (device clock), and their note (exception reports).
    client_at TEXT,
    note     TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS order_events_by_actor ON order_events (actor, order_id);
-- One row per (account, key): the request it named and the reply it got, replayed verbatim.
CREATE TABLE IF NOT EXISTS idempotency (
    account_id  TEXT NOT NULL,
    key         TEXT NOT NULL,
    request     TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
) STRICT;
-- Party contact of each order, disclosed only to the driver who holds it.
CREATE TABLE IF NOT EXISTS order_contacts (
    order_id          TEXT PRIMARY KEY NOT NULL REFERENCES orders (id),
    consignor_name    TEXT NOT NULL,
    consignor_phone   TEXT NOT NULL,
    consignee_name    TEXT NOT NULL,
    consignee_phone   TEXT NOT NULL,
    consignee_address TEXT NOT NULL
) STRICT;
-- Data-subject requests, keyed by the id the device made (a retry files once).
CREATE TABLE IF NOT EXISTS rights_requests (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    status      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    answer      TEXT,
    PRIMARY KEY (account_id, id)
) STRICT;
-- Trajectory points per order, one per instant: retried batches deduplicate here.
CREATE TABLE IF NOT EXISTS trajectory_points (
    order_id TEXT NOT NULL REFERENCES orders (id),
    t_ms     INTEGER NOT NULL,
    lat      REAL NOT NULL,
    lon      REAL NOT NULL,
    PRIMARY KEY (order_id, t_ms)
) STRICT, WITHOUT ROWID;
-- Gaps, stops and arrivals of a trajectory, one per kind and start: retries deduplicate.
CREATE TABLE IF NOT EXISTS trajectory_events (
    order_id TEXT NOT NULL REFERENCES orders (id),
    kind     TEXT NOT NULL,
    from_ms  INTEGER NOT NULL,
    event    TEXT NOT NULL,
    PRIMARY KEY (order_id, kind, from_ms)
) STRICT, WITHOUT ROWID;
-- Consent receipts as devices sent them; the proof of each decision (P-08).
CREATE TABLE IF NOT EXISTS consent_receipts (
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    hash           TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    purpose        TEXT,
    asked_via      TEXT NOT NULL,
    at             TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    PRIMARY KEY (account_id, hash)
) STRICT;
";

/// Opens the store, creating the schema if needed.
pub fn open(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted personal data is overwritten, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    // A file from before hashed tokens cannot be upgraded in place (the tokens it holds
    // are in clear): the reference server refuses it rather than serve it half-migrated.
    let old_tokens: bool = conn
        .prepare(
            "SELECT 1 FROM pragma_table_info('accounts')
             WHERE name IN ('token', 'installation_id')",
        )?
        .exists([])?;
    if old_tokens {
        return Err(StoreError::Refused {
            code: ErrorCode::Internal,
            message: "this database is from an older reference server (tokens in clear, \
                      or accounts that are installations): delete it and start again"
                .into(),
        });
    }
    conn.execute_batch(crate::devices::SCHEMA)?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(crate::tus::SCHEMA)?;
    conn.execute_batch(crate::sign_in::SCHEMA)?;
    conn.execute_batch(crate::real_name::SCHEMA)?;
    conn.execute_batch(crate::service_log::SCHEMA)?;
    conn.execute_batch(crate::push::SCHEMA)?;
    conn.execute_batch(crate::notices::SCHEMA)?;
    conn.execute_batch(crate::waybills::SCHEMA)?;
    conn.execute_batch(crate::marketing::SCHEMA)?;
    crate::waybills::backfill(&conn)?;
    Ok(conn)
}

/// Columns `order_from_row` reads, in its order.
pub(crate) const ORDER_COLUMNS: &str = "SELECT id, status, pickup_label, pickup_lat, pickup_lon,
    dropoff_label, goods, weight_kg, fee_minor, currency, assigned_to, revision, updated_at,
    shipper_id, stops, appointment_at,
    (SELECT w.number FROM waybills w WHERE w.order_id = orders.id)";
const SELECT_ORDER: &str = "SELECT id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label,
    goods, weight_kg, fee_minor, currency, assigned_to, revision, updated_at, shipper_id, stops,
    appointment_at, (SELECT w.number FROM waybills w WHERE w.order_id = orders.id) FROM orders";

pub(crate) fn order_from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let status: String = r.get(1)?;
    let updated_at: String = r.get(12)?;
    Ok(Order {
        id: r.get(0)?,
        status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Cancelled),
        pickup_label: r.get(2)?,
        pickup: LatLon {
            lat: r.get(3)?,
            lon: r.get(4)?,
        },
        dropoff_label: r.get(5)?,
        goods: r.get(6)?,
        weight_kg: r.get(7)?,
        fee_minor: r.get(8)?,
        currency: r.get(9)?,
        assigned_to: r.get(10)?,
        shipper_id: r.get(13)?,
        stops: serde_json::from_str(&r.get::<_, String>(14)?).unwrap_or_default(),
        appointment_at: r
            .get::<_, Option<String>>(15)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)),
        waybill_no: r.get(16)?,
        revision: r.get(11)?,
        updated_at: DateTime::parse_from_rfc3339(&updated_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
    })
}

/// Open orders whose pickup lies within `radius_m` of `near`, nearest first, at most
/// `limit`, each as an offer ([`as_offer`]). A bounding box narrows the scan in SQL.
pub fn open_orders_near(
    conn: &Connection,
    near: LatLon,
    radius_m: f64,
    limit: usize,
) -> StoreResult<Vec<Order>> {
    let dlat = radius_m / 111_000.0;
    // Longitude degrees shrink with latitude; near the poles the box spans every meridian.
    let cos = near.lat.to_radians().cos().max(1e-6);
    let dlon = (radius_m / (111_000.0 * cos)).min(360.0);
    let mut stmt = conn.prepare(&format!(
        "{SELECT_ORDER} WHERE status = 'open' AND pickup_lat BETWEEN ?1 AND ?2
             AND (?5 OR pickup_lon BETWEEN ?3 AND ?4 OR pickup_lon BETWEEN ?3 + 360 AND ?4 + 360
                  OR pickup_lon BETWEEN ?3 - 360 AND ?4 - 360)"
    ))?;
    let here = Point::new(near.lon, near.lat);
    let rows = stmt.query_map(
        params![
            near.lat - dlat,
            near.lat + dlat,
            near.lon - dlon,
            near.lon + dlon,
            dlon >= 180.0
        ],
        order_from_row,
    )?;
    let mut found: Vec<(f64, Order)> = rows
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|o| {
            (
                Haversine.distance(here, Point::new(o.pickup.lon, o.pickup.lat)),
                o,
            )
        })
        .filter(|(d, _)| *d <= radius_m)
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    found.truncate(limit);
    Ok(found.into_iter().map(|(_, o)| as_offer(o)).collect())
}

/// Size of the cell an offer's drop-off is given in, degrees (about 1.1 km north-south).
pub const OFFER_DROPOFF_CELL_DEG: f64 = 0.01;

/// An order as a driver sees it before accepting: no shipper id, and the drop-off only
/// as the centre of its [`OFFER_DROPOFF_CELL_DEG`] cell with its distance from the
/// pickup, never the shipper's label (an errand's label is an address). The pickup stays
/// exact: it is where the driver goes first, and what the search is about.
pub fn as_offer(mut order: Order) -> Order {
    let cell = |v: f64| ((v / OFFER_DROPOFF_CELL_DEG).floor() + 0.5) * OFFER_DROPOFF_CELL_DEG;
    let pickup = Point::new(order.pickup.lon, order.pickup.lat);
    // Seeded offers (no shipper, other channels) carry a city-level label by contract; an
    // errand's labels are the shipper's words and may be an address.
    let placed = order.shipper_id.take().is_some();
    // The number is the parties' (and whoever they give it to): not an offer's.
    order.waybill_no = None;
    let mut area = None;
    for stop in &mut order.stops {
        if stop.kind != waybill_protocol::StopKind::Dropoff {
            continue;
        }
        stop.point = stop.point.map(|p| LatLon {
            lat: cell(p.lat).clamp(-90.0, 90.0),
            lon: cell(p.lon).clamp(-180.0, 180.0),
        });
        if !placed {
            continue;
        }
        stop.label = match stop.point {
            Some(p) => {
                let km = Haversine.distance(pickup, Point::new(p.lon, p.lat)) / 1_000.0;
                format!("drop-off area, about {km:.0} km from the pickup")
            }
            None => "drop-off given on acceptance".to_string(),
        };
        area.get_or_insert_with(|| stop.label.clone());
    }
    if placed {
        order.dropoff_label = area.unwrap_or_else(|| "drop-off given on acceptance".into());
    }
    order
}

/// A reply stored under an idempotency key: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// True when this is the stored reply of an earlier request with the same key.
    pub replayed: bool,
}

/// What the idempotency ledger remembers of a key: the request it named and its reply.
pub(crate) struct Remembered {
    /// The request's fingerprint ([`fingerprint`]).
    pub request: String,
    /// HTTP status of the reply.
    pub status: u16,
    /// JSON body of the reply.
    pub body: String,
}

/// The refusal of a key used before for another request.
pub(crate) const KEY_REUSED: &str = "this idempotency key was used for another request";

/// What `key` of `account` named and got, if it was used before.
pub(crate) fn remembered(
    conn: &Connection,
    account: &str,
    key: &str,
) -> StoreResult<Option<Remembered>> {
    Ok(conn
        .query_row(
            "SELECT request, status, body FROM idempotency WHERE account_id = ?1 AND key = ?2",
            params![account, key],
            |r| {
                Ok(Remembered {
                    request: r.get(0)?,
                    status: r.get(1)?,
                    body: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Records what `key` named and the reply it got, in the transaction of the effect.
pub(crate) fn remember(
    conn: &Connection,
    account: &str,
    key: &str,
    request: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO idempotency (account_id, key, request, status, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![account, key, request, status, body, Utc::now().to_rfc3339()],
    )?;
    Ok(())
}

/// Accepts `order_id` for `account_id`, at most once per idempotency key: a retry with
/// the same key gets the first reply back verbatim, whatever happened since; the same key
/// on a different request is refused.
pub fn accept(
    conn: &mut Connection,
    caller: &crate::access::Caller,
    key: &str,
    order_id: &str,
) -> StoreResult<StoredReply> {
    let account_id = caller.account.as_str();
    let request = fingerprint("accept", order_id);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(previous) = remembered(&tx, account_id, key)? {
        if previous.request != request {
            return Err(refused(ErrorCode::IdempotencyKeyReused, KEY_REUSED));
        }
        return Ok(StoredReply {
            status: previous.status,
            body: previous.body,
            replayed: true,
        });
    }
    let reply = match apply_accept(&tx, caller, order_id) {
        Ok(order) => StoredReply {
            replayed: false,
            status: 200,
            body: serde_json::to_string(&waybill_protocol::Accepted {
                contact: contact_of(&tx, &order.id)?,
                order,
            })
            .expect("orders serialize"),
        },
        Err(StoreError::Refused { code, message }) => StoredReply {
            replayed: false,
            status: status_of(code),
            body: serde_json::to_string(&waybill_protocol::ApiError { code, message })
                .expect("errors serialize"),
        },
        Err(e) => return Err(e),
    };
    remember(&tx, account_id, key, &request, reply.status, &reply.body)?;
    tx.commit()?;
    Ok(reply)
}

fn apply_accept(
    tx: &rusqlite::Transaction<'_>,
    caller: &crate::access::Caller,
    order_id: &str,
) -> StoreResult<Order> {
    crate::actions::apply(
        tx,
        caller,
        &waybill_protocol::OrderAction {
            key: String::new(),
            order_id: order_id.to_string(),
            kind: waybill_protocol::ActionKind::Accept,
            at: Utc::now(),
            note: None,
            errand: None,
            stop: None,
            appointment_at: None,
        },
    )
}

/// What an idempotency key is remembered as having named: the endpoint and a digest of
/// the request, so the same key on another endpoint or with another body is told apart
/// (a 422 for that request alone), never replayed as the wrong reply.
pub fn fingerprint(endpoint: &str, request: &str) -> String {
    use sha2::Digest;
    let digest = waybill_protocol::hex(&sha2::Sha256::digest(request.as_bytes()));
    format!("{endpoint}:{digest}")
}

/// How long an idempotency key is remembered. A device retries a queued action for far
/// less (its outbox is drained at every sync); after this the key may be reused.
pub const LEDGER_RETENTION: chrono::Duration = chrono::Duration::days(30);

/// What one sweep removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    /// Expired unfinished uploads (rows and files).
    pub uploads: usize,
    /// Idempotency entries older than [`LEDGER_RETENTION`].
    pub ledger: usize,
    /// One-time codes older than the rate-limit hour.
    pub codes: usize,
    /// Service events past their network-log retention.
    pub service_events: usize,
    /// Waybill follows of orders closed long enough ago.
    pub follows: usize,
}

/// Removes expired uploads, idempotency entries past their retention, old codes and
/// service events past theirs.
pub fn sweep(conn: &mut Connection, uploads: &Path, now: DateTime<Utc>) -> StoreResult<Swept> {
    let uploads = crate::tus::sweep_expired(conn, uploads, now)?;
    let ledger = conn.execute(
        "DELETE FROM idempotency WHERE created_at < ?1",
        [(now - LEDGER_RETENTION).to_rfc3339()],
    )?;
    let codes = crate::sign_in::sweep(conn, now)?;
    let service_events = crate::service_log::sweep(conn, now)?;
    let follows = crate::waybills::sweep(conn, now)?;
    Ok(Swept {
        follows,
        uploads,
        ledger,
        codes,
        service_events,
    })
}

/// HTTP status of a contract error code.
pub fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::Unauthorized => 401,
        ErrorCode::Forbidden => 403,
        ErrorCode::OrderNotFound => 404,
        ErrorCode::OrderTaken
        | ErrorCode::OrderCancelled
        | ErrorCode::RecentDelivery
        | ErrorCode::InvalidTransition
        | ErrorCode::AnchorUnknown => 409,
        ErrorCode::BadRequest => 400,
        ErrorCode::IdempotencyKeyReused => 422,
        ErrorCode::AccountClosed => 410,
        ErrorCode::AccountSuspended | ErrorCode::CodeRequired | ErrorCode::StepUpRequired => 403,
        ErrorCode::CodeInvalid | ErrorCode::AgeRequired => 422,
        ErrorCode::DeviceNotFound => 404,
        ErrorCode::RateLimited => 429,
        ErrorCode::Internal => 500,
    }
}

/// One order by id.
pub fn get_order(conn: &Connection, order_id: &str) -> StoreResult<Option<Order>> {
    Ok(conn
        .query_row(
            &format!("{SELECT_ORDER} WHERE id = ?1"),
            [order_id],
            order_from_row,
        )
        .optional()?)
}

/// The orders `account` took part in that were delivered (as their driver or their
/// shipper), with when, oldest delivery first: the real-name hold and the legal hold of
/// transaction records both start there.
pub fn deliveries_of(
    conn: &Connection,
    account: &str,
) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, max(e.at) FROM orders o JOIN order_events e ON e.order_id = o.id
         WHERE e.kind = 'delivered' AND (e.actor = ?1 OR o.shipper_id = ?1)
         GROUP BY o.id ORDER BY 2",
    )?;
    let rows = stmt.query_map([account], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at) = row?;
        if let Ok(at) = DateTime::parse_from_rfc3339(&at) {
            out.push((id, at.with_timezone(&Utc)));
        }
    }
    Ok(out)
}

/// An order's history, oldest first.
pub fn events(conn: &Connection, order_id: &str) -> StoreResult<Vec<OrderEvent>> {
    let mut stmt = conn.prepare(
        "SELECT kind, actor, at, note FROM order_events WHERE order_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([order_id], |r| {
        let at: String = r.get(2)?;
        Ok(OrderEvent {
            kind: r.get(0)?,
            actor: r.get(1)?,
            at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            note: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores consent receipts after checking each one's seal; idempotent on the hash.
pub fn store_receipts(
    conn: &mut Connection,
    account_id: &str,
    receipts: &[waybill_protocol::consent::ConsentReceipt],
) -> StoreResult<waybill_protocol::consent::ReceiptsStored> {
    if let Some(bad) = receipts.iter().find(|r| !r.is_sealed()) {
        return Err(refused(
            ErrorCode::BadRequest,
            format!("receipt {} does not match its hash", bad.seq),
        ));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = Utc::now().to_rfc3339();
    let mut stored = 0;
    for r in receipts {
        stored += tx.execute(
            "INSERT OR IGNORE INTO consent_receipts (account_id, hash, seq, kind, policy_version,
                 purpose, asked_via, at, prev_hash, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                account_id,
                r.hash,
                r.seq,
                r.kind,
                r.policy_version,
                r.purpose,
                r.asked_via,
                r.at,
                r.prev_hash,
                now
            ],
        )?;
    }
    tx.commit()?;
    let stored = u32::try_from(stored).unwrap_or(u32::MAX);
    Ok(waybill_protocol::consent::ReceiptsStored {
        stored,
        already_stored: u32::try_from(receipts.len()).unwrap_or(u32::MAX) - stored,
    })
}

/// The receipts an account has sent, in ledger order.
pub fn receipts(
    conn: &Connection,
    account_id: &str,
) -> StoreResult<Vec<waybill_protocol::consent::ConsentReceipt>> {
    let mut stmt = conn.prepare(
        "SELECT seq, kind, policy_version, purpose, asked_via, at, prev_hash, hash
         FROM consent_receipts WHERE account_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([account_id], |r| {
        Ok(waybill_protocol::consent::ConsentReceipt {
            seq: r.get(0)?,
            kind: r.get(1)?,
            policy_version: r.get(2)?,
            purpose: r.get(3)?,
            asked_via: r.get(4)?,
            at: r.get(5)?,
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Inserts an open order (seeding and tests).
pub fn insert_open_order(conn: &Connection, order: &Order) -> StoreResult<()> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO orders (id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label,
             goods, weight_kg, fee_minor, currency, assigned_to, revision, updated_at, stops)
         VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, 1, ?10, ?11)",
        params![
            order.id,
            order.pickup_label,
            order.pickup.lat,
            order.pickup.lon,
            order.dropoff_label,
            order.goods,
            order.weight_kg,
            order.fee_minor,
            order.currency,
            order.updated_at.to_rfc3339(),
            serde_json::to_string(&order.stops).expect("stops serialize")
        ],
    )?;
    if inserted == 1 {
        crate::waybills::assign(conn, &order.id)?;
    }
    Ok(())
}

/// Stores the party contact of an order (seeding and tests).
pub fn insert_contact(
    conn: &Connection,
    order_id: &str,
    contact: &waybill_protocol::OrderContact,
) -> StoreResult<()> {
    conn.execute(
        "INSERT OR IGNORE INTO order_contacts (order_id, consignor_name, consignor_phone,
             consignee_name, consignee_phone, consignee_address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            order_id,
            contact.consignor_name,
            contact.consignor_phone,
            contact.consignee_name,
            contact.consignee_phone,
            contact.consignee_address
        ],
    )?;
    Ok(())
}

pub(crate) fn contact_of(
    conn: &Connection,
    order_id: &str,
) -> StoreResult<Option<waybill_protocol::OrderContact>> {
    Ok(conn
        .query_row(
            "SELECT consignor_name, consignor_phone, consignee_name, consignee_phone,
                    consignee_address
             FROM order_contacts WHERE order_id = ?1",
            [order_id],
            |r| {
                Ok(waybill_protocol::OrderContact {
                    consignor_name: r.get(0)?,
                    consignor_phone: r.get(1)?,
                    consignee_name: r.get(2)?,
                    consignee_phone: r.get(3)?,
                    consignee_address: r.get(4)?,
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_removes_expired_uploads_old_keys_codes_past_the_hour_and_old_service_events_only()
    {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("s.sqlite3")).unwrap();
        let uploads = dir.path().join("uploads");
        std::fs::create_dir_all(&uploads).unwrap();
        let now = Utc::now();
        for (id, expires) in [
            ("old", now - chrono::Duration::hours(1)),
            ("live", now + chrono::Duration::hours(1)),
        ] {
            conn.execute(
                "INSERT INTO uploads (id, account_id, order_id, kind, sha256, length, created_at, expires_at)
                 VALUES (?1, 'a', 'o', 'delivery', 'h', 10, ?2, ?3)",
                params![id, now.to_rfc3339(), expires.to_rfc3339()],
            )
            .unwrap();
            std::fs::write(uploads.join(id), b"part").unwrap();
        }
        for (key, at) in [
            ("stale", now - LEDGER_RETENTION - chrono::Duration::days(1)),
            ("fresh", now),
        ] {
            conn.execute(
                "INSERT INTO idempotency (account_id, key, request, status, body, created_at)
                 VALUES ('a', ?1, 'r', 200, '{}', ?2)",
                params![key, at.to_rfc3339()],
            )
            .unwrap();
        }
        for (phone, at) in [
            ("+15550000001", now - chrono::Duration::minutes(61)),
            ("+15550000002", now),
        ] {
            conn.execute(
                "INSERT INTO sign_in_codes (phone, installation_id, purpose, salt, code_hash,
                     attempts, created_ms, expires_ms)
                 VALUES (?1, 'i', 'sign_in', 's', 'h', 0, ?2, ?2 + 300000)",
                params![phone, at.timestamp_millis()],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO accounts (id, role, phone, age, created_at)
             VALUES ('a', 'driver', '+15550000003', 'adult', ?1)",
            [now.to_rfc3339()],
        )
        .unwrap();
        let kept = chrono::Duration::days(i64::from(waybill_protocol::service_log::RETENTION_DAYS));
        for (event, received) in [
            ("past", now - kept - chrono::Duration::minutes(1)),
            ("within", now - kept + chrono::Duration::minutes(1)),
        ] {
            conn.execute(
                "INSERT INTO service_events (account_id, event_id, kind, at, received_ms)
                 VALUES ('a', ?1, 'pick_up', ?2, ?3)",
                params![event, received.to_rfc3339(), received.timestamp_millis()],
            )
            .unwrap();
        }
        let swept = sweep(&mut conn, &uploads, now).unwrap();
        assert_eq!(
            swept,
            Swept {
                uploads: 1,
                ledger: 1,
                codes: 1,
                service_events: 1,
                follows: 0,
            }
        );
        let left: String = conn
            .query_row("SELECT event_id FROM service_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, "within", "six months at least, then gone");
        assert!(!uploads.join("old").exists());
        assert!(uploads.join("live").exists());
        let keys: i64 = conn
            .query_row(
                "SELECT count(*) FROM idempotency WHERE key = 'fresh'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(keys, 1);
    }
}
