//! Driver actions (accept, pick up, deliver, report an exception), applied at most once per
//! idempotency key, one batch per transaction; the change feed; shippers' errands.
//! The transition table is `ActionKind::next_status`, shared with the device.

use chrono::Utc;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use waybill_protocol::{
    ActionBatch, ActionKind, ActionResult, ActionResults, ApiError, Changes, ErrorCode, NewErrand,
    Order, OrderAction, OrderStatus, Outcome, Role, Stop, StopKind,
};

use crate::access::{self, Caller};
use crate::store::{self, StoreError, StoreResult, get_order};

fn refused(code: ErrorCode, message: &str) -> StoreError {
    StoreError::Refused {
        code,
        message: message.to_string(),
    }
}

/// Moves the order to the next change-feed position, and queues a push to its parties but
/// `actor` (P-23).
pub(crate) fn bump(tx: &Transaction<'_>, order_id: &str, actor: &str) -> StoreResult<()> {
    tx.execute(
        "UPDATE orders SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM orders),
             revision = revision + 1, updated_at = ?2
         WHERE id = ?1",
        params![order_id, Utc::now().to_rfc3339()],
    )?;
    crate::push::queue_order_change(tx, order_id, actor)?;
    crate::waybills::queue_followers(tx, order_id, actor)
}

/// Applies one action for `caller`, or refuses it with the contract's code. Applying
/// an acceptance the account already holds is a no-op success.
pub fn apply(tx: &Transaction<'_>, caller: &Caller, action: &OrderAction) -> StoreResult<Order> {
    let account_id = caller.account.as_str();
    let shipper_action = matches!(action.kind, ActionKind::Place | ActionKind::Cancel);
    caller.require(if shipper_action {
        Role::Shipper
    } else {
        Role::Driver
    })?;
    match action.kind {
        ActionKind::Place => {
            let errand = action
                .errand
                .as_ref()
                .ok_or_else(|| refused(ErrorCode::BadRequest, "place needs an errand"))?;
            if !errand.is_valid() {
                return Err(refused(
                    ErrorCode::BadRequest,
                    waybill_protocol::ERRAND_RULES,
                ));
            }
            return insert_errand(tx, account_id, &action.order_id, errand);
        }
        ActionKind::Cancel => return cancel_in(tx, account_id, &action.order_id),
        _ => {}
    }
    // Only the holder learns anything about an order it acts on; an acceptance may
    // learn that an offer it saw was taken or withdrawn meanwhile.
    let order = get_order(tx, &action.order_id)?.ok_or_else(access::not_yours)?;
    let mine = order.assigned_to.as_deref() == Some(account_id);
    if action.kind != ActionKind::Accept && !mine {
        return Err(access::not_yours());
    }
    if order.status == OrderStatus::Cancelled {
        return Err(refused(
            ErrorCode::OrderCancelled,
            "the shipper cancelled this order",
        ));
    }
    if order.assigned_to.is_some() && !mine {
        return Err(refused(
            ErrorCode::OrderTaken,
            "another driver holds this order",
        ));
    }
    if action.kind == ActionKind::Accept && mine {
        return Ok(order);
    }
    let next = action.kind.next_status(order.status).ok_or_else(|| {
        refused(
            ErrorCode::InvalidTransition,
            &format!(
                "{} is not possible while the order is {}",
                action.kind.as_str(),
                order.status.as_str()
            ),
        )
    })?;
    let mut note = action.note.clone();
    match action.kind {
        ActionKind::Arrive => {
            let stop = action
                .stop
                .and_then(|i| order.stops.get(i as usize))
                .ok_or_else(|| {
                    refused(ErrorCode::BadRequest, "arrive needs a stop of the order")
                })?;
            // The driver's own words (e.g. how the arrival was detected) stay after the
            // stop's name.
            let said = action
                .note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            note = Some(format!("{}: {}{said}", stop_name(stop.kind), stop.label));
        }
        ActionKind::Appoint => {
            let at = action
                .appointment_at
                .ok_or_else(|| refused(ErrorCode::BadRequest, "appoint needs appointment_at"))?;
            tx.execute(
                "UPDATE orders SET appointment_at = ?2 WHERE id = ?1",
                params![order.id, at.to_rfc3339()],
            )?;
            note = Some(at.to_rfc3339());
        }
        _ => {}
    }
    tx.execute(
        "UPDATE orders SET status = ?2, assigned_to = ?3 WHERE id = ?1",
        params![order.id, next.as_str(), account_id],
    )?;
    bump(tx, &order.id, account_id)?;
    let kind = match action.kind {
        ActionKind::Accept => "accepted",
        ActionKind::PickUp => "picked_up",
        ActionKind::Deliver => "delivered",
        ActionKind::ReportException => "exception",
        ActionKind::Appoint => "appointment",
        ActionKind::Arrive => "arrived",
        ActionKind::Place | ActionKind::Cancel => unreachable!("handled above"),
    };
    tx.execute(
        "INSERT INTO order_events (order_id, kind, actor, at, client_at, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            order.id,
            kind,
            account_id,
            Utc::now().to_rfc3339(),
            action.at.to_rfc3339(),
            note
        ],
    )?;
    get_order(tx, &order.id)?.ok_or_else(|| refused(ErrorCode::Internal, "order vanished"))
}

/// Why an action cannot even be looked at, if it cannot: checked per entry, so one bad
/// entry is refused alone and never fails its batch.
fn malformed(action: &OrderAction) -> Option<&'static str> {
    use waybill_protocol::limits;
    if !limits::is_valid_id(&action.key) {
        Some("a key is 1..=128 bytes of [A-Za-z0-9-_.:]")
    } else if !limits::is_valid_id(&action.order_id) {
        Some("an order id is 1..=128 bytes of [A-Za-z0-9-_.:]")
    } else if action
        .note
        .as_ref()
        .is_some_and(|n| n.len() > limits::MAX_NOTE)
    {
        Some("a note is at most 2000 bytes")
    } else if action.stop.is_some_and(|s| s as usize >= limits::MAX_STOPS) {
        Some("no order has that many stops")
    } else if action.errand.as_ref().is_some_and(|e| !e.is_valid()) {
        Some(waybill_protocol::ERRAND_RULES)
    } else {
        None
    }
}

/// The fingerprint of an action as its key remembers it (everything but the key).
fn action_fingerprint(action: &OrderAction) -> String {
    let body = serde_json::to_string(&OrderAction {
        key: String::new(),
        ..action.clone()
    })
    .expect("actions serialize");
    store::fingerprint("action", &body)
}

/// Applies a batch in one transaction. Each action is looked up by key first (a retry
/// gets the first result back; the same key naming something else is refused for that
/// entry); after a refusal, the same order's later actions in the batch are skipped, so
/// the device can settle them without a hole in the order's history.
pub fn apply_batch(
    conn: &mut Connection,
    caller: &Caller,
    batch: &ActionBatch,
) -> StoreResult<ActionResults> {
    let account_id = caller.account.as_str();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(batch.actions.len());
    let mut refused_orders: Vec<&str> = vec![];
    for action in &batch.actions {
        if refused_orders.contains(&action.order_id.as_str()) {
            results.push(ActionResult {
                key: action.key.clone(),
                outcome: Outcome::Skipped,
                order: None,
                contact: None,
                error: None,
            });
            continue;
        }
        if let Some(why) = malformed(action) {
            refused_orders.push(&action.order_id);
            results.push(refusal(&action.key, ErrorCode::BadRequest, why));
            continue;
        }
        let request = action_fingerprint(action);
        if let Some(previous) = store::remembered(&tx, account_id, &action.key)? {
            let first = (previous.request == request)
                .then(|| serde_json::from_str::<ActionResult>(&previous.body).ok())
                .flatten();
            let result = match first {
                Some(mut first) => {
                    if first.outcome == Outcome::Applied {
                        first.outcome = Outcome::Replayed;
                    }
                    first
                }
                None => refusal(
                    &action.key,
                    ErrorCode::IdempotencyKeyReused,
                    store::KEY_REUSED,
                ),
            };
            if result.outcome == Outcome::Refused {
                refused_orders.push(&action.order_id);
            }
            results.push(result);
            continue;
        }
        let result = match apply(&tx, caller, action) {
            Ok(order) => ActionResult {
                key: action.key.clone(),
                outcome: Outcome::Applied,
                contact: if action.kind == ActionKind::Accept {
                    store::contact_of(&tx, &order.id)?
                } else {
                    None
                },
                order: Some(order),
                error: None,
            },
            Err(StoreError::Refused { code, message }) => {
                refused_orders.push(&action.order_id);
                refusal(&action.key, code, &message)
            }
            Err(e) => return Err(e),
        };
        store::remember(
            &tx,
            account_id,
            &action.key,
            &request,
            result
                .error
                .as_ref()
                .map_or(200, |e| store::status_of(e.code)),
            &serde_json::to_string(&result).expect("results serialize"),
        )?;
        results.push(result);
    }
    tx.commit()?;
    Ok(ActionResults { results })
}

fn stop_name(kind: StopKind) -> &'static str {
    match kind {
        StopKind::Pickup => "pickup",
        StopKind::Dropoff => "drop-off",
    }
}

fn refusal(key: &str, code: ErrorCode, message: &str) -> ActionResult {
    ActionResult {
        key: key.to_string(),
        outcome: Outcome::Refused,
        order: None,
        contact: None,
        error: Some(ApiError {
            code,
            message: message.to_string(),
        }),
    }
}

/// Orders this account holds, placed, or acted on, changed after `after`, oldest change
/// first, at most `limit`.
pub fn changes(
    conn: &Connection,
    account_id: &str,
    after: i64,
    limit: u32,
) -> StoreResult<Changes> {
    let mut stmt = conn.prepare(&format!(
        "{}, change_seq FROM orders
         WHERE change_seq > ?2
           AND (assigned_to = ?1 OR shipper_id = ?1
                OR EXISTS (SELECT 1 FROM order_events e WHERE e.actor = ?1 AND e.order_id = orders.id))
         ORDER BY change_seq LIMIT ?3",
        store::ORDER_COLUMNS
    ))?;
    let rows = stmt.query_map(params![account_id, after, i64::from(limit) + 1], |r| {
        Ok((store::order_from_row(r)?, r.get::<_, i64>(17)?))
    })?;
    let mut rows: Vec<(Order, i64)> = rows.collect::<Result<_, _>>()?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let mut contacts = vec![];
    for (order, _) in &rows {
        let held = order.assigned_to.as_deref() == Some(account_id) && !order.status.is_closed();
        if let Some(contact) = held
            .then(|| store::contact_of(conn, &order.id))
            .transpose()?
            .flatten()
        {
            contacts.push(waybill_protocol::HeldContact {
                order_id: order.id.clone(),
                contact,
            });
        }
    }
    Ok(Changes {
        contacts,
        cursor: rows.last().map_or(after, |(_, seq)| *seq),
        orders: rows
            .into_iter()
            .map(|(o, _)| as_seen_by(o, account_id))
            .collect(),
        more,
    })
}

/// An order as the change feed shows it to `account_id`: in full to its driver and its
/// shipper; to a driver who held it before, only that it is someone else's now (as an
/// offer would show it, without the new holder's account id).
fn as_seen_by(order: Order, account_id: &str) -> Order {
    let mine = order.assigned_to.as_deref() == Some(account_id);
    let placed = order.shipper_id.as_deref() == Some(account_id);
    if mine || placed {
        return order;
    }
    let taken = order.assigned_to.is_some();
    Order {
        assigned_to: taken.then(|| waybill_protocol::ANOTHER_ACCOUNT.to_string()),
        ..store::as_offer(order)
    }
}

/// A shipper places an errand: a new open order with its parties' contact. Idempotent on
/// `key`: a retry returns the order the first attempt created.
pub fn create_errand(
    conn: &mut Connection,
    shipper_id: &str,
    key: &str,
    errand: &NewErrand,
) -> StoreResult<Order> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let request = store::fingerprint(
        "errand",
        &serde_json::to_string(errand).expect("errands serialize"),
    );
    if let Some(previous) = store::remembered(&tx, shipper_id, key)? {
        if previous.request != request {
            return Err(refused(ErrorCode::IdempotencyKeyReused, store::KEY_REUSED));
        }
        return serde_json::from_str(&previous.body)
            .map_err(|_| refused(ErrorCode::Internal, "stored reply unreadable"));
    }
    let id = format!("ord-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let order = insert_errand(&tx, shipper_id, &id, errand)?;
    store::remember(
        &tx,
        shipper_id,
        key,
        &request,
        200,
        &serde_json::to_string(&order).expect("orders serialize"),
    )?;
    tx.commit()?;
    Ok(order)
}

/// Creates the open order of an errand under `id` (made by the device or the server). The
/// same shipper placing the same id again gets the order back.
fn insert_errand(
    tx: &Transaction<'_>,
    shipper_id: &str,
    id: &str,
    errand: &NewErrand,
) -> StoreResult<Order> {
    if let Some(existing) = get_order(tx, id)? {
        return if existing.shipper_id.as_deref() == Some(shipper_id) {
            Ok(existing)
        } else {
            Err(refused(ErrorCode::BadRequest, "this order id is taken"))
        };
    }
    let now = Utc::now();
    store::insert_open_order(
        tx,
        &Order {
            id: id.to_string(),
            status: OrderStatus::Open,
            pickup_label: errand.pickup_label.clone(),
            pickup: errand.pickup,
            dropoff_label: errand.dropoff_label.clone(),
            goods: errand.goods.clone(),
            weight_kg: errand.weight_kg,
            fee_minor: errand.fee_minor,
            currency: errand.currency.clone(),
            assigned_to: None,
            shipper_id: None,
            stops: vec![
                Stop {
                    kind: StopKind::Pickup,
                    label: errand.pickup_label.clone(),
                    point: Some(errand.pickup),
                    window_start: None,
                    window_end: None,
                },
                Stop {
                    kind: StopKind::Dropoff,
                    label: errand.dropoff_label.clone(),
                    point: errand.dropoff,
                    window_start: None,
                    window_end: None,
                },
            ],
            appointment_at: None,
            waybill_no: None,
            revision: 0,
            updated_at: now,
        },
    )?;
    tx.execute(
        "UPDATE orders SET shipper_id = ?2 WHERE id = ?1",
        params![id, shipper_id],
    )?;
    store::insert_contact(tx, id, &errand.contact)?;
    bump(tx, id, shipper_id)?;
    tx.execute(
        "INSERT INTO order_events (order_id, kind, actor, at) VALUES (?1, 'placed', ?2, ?3)",
        params![id, shipper_id, now.to_rfc3339()],
    )?;
    get_order(tx, id)?.ok_or_else(|| refused(ErrorCode::Internal, "lost"))
}

/// The shipper cancels an errand that is not delivered. Cancelling twice is a no-op.
pub fn cancel(conn: &mut Connection, shipper_id: &str, order_id: &str) -> StoreResult<Order> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let order = cancel_in(&tx, shipper_id, order_id)?;
    tx.commit()?;
    Ok(order)
}

fn cancel_in(tx: &Transaction<'_>, shipper_id: &str, order_id: &str) -> StoreResult<Order> {
    let order = get_order(tx, order_id)?.ok_or_else(access::not_yours)?;
    if order.shipper_id.as_deref() != Some(shipper_id) {
        return Err(access::not_yours());
    }
    match order.status {
        OrderStatus::Cancelled => return Ok(order),
        OrderStatus::Delivered => {
            return Err(refused(
                ErrorCode::InvalidTransition,
                "a delivered order cannot be cancelled",
            ));
        }
        _ => {}
    }
    tx.execute(
        "UPDATE orders SET status = 'cancelled' WHERE id = ?1",
        [order_id],
    )?;
    bump(tx, order_id, shipper_id)?;
    tx.execute(
        "INSERT INTO order_events (order_id, kind, actor, at) VALUES (?1, 'cancelled', ?2, ?3)",
        params![order_id, shipper_id, Utc::now().to_rfc3339()],
    )?;
    get_order(tx, order_id)?.ok_or_else(|| refused(ErrorCode::Internal, "lost"))
}
