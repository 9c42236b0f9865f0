//! Accepting an offer, online or not: the check, the optimistic effect and the outbox
//! entry are one transaction, durable when the call returns.

use rusqlite::Transaction;
use waybill_protocol::OrderStatus;

use super::outbox::{self, Action};
use super::{Order, get};
use crate::error::{Error, Result, Unavailable};
use crate::privacy::Ticket;

/// Queues the acceptance of `order_id` after checking, against the cache, that it can
/// still be taken. Returns the order with its new effective state.
pub fn accept_locally(tx: &Transaction<'_>, _basis: &Ticket, order_id: &str) -> Result<Order> {
    let order = get(tx, order_id)?.ok_or_else(|| Error::OrderNotFound {
        order_id: order_id.to_string(),
    })?;
    let unavailable = |reason| Error::OrderNotAvailable {
        order_id: order_id.to_string(),
        reason,
    };
    if order.assigned_to_me || outbox::has_pending(tx, order_id, Action::Accept)? {
        return Err(unavailable(Unavailable::AlreadyAccepted));
    }
    match order.status {
        OrderStatus::Open => {}
        OrderStatus::Accepted => return Err(unavailable(Unavailable::TakenByAnotherDriver)),
        OrderStatus::Cancelled => return Err(unavailable(Unavailable::Cancelled)),
    }
    outbox::enqueue(tx, order_id, Action::Accept)?;
    get(tx, order_id)?.ok_or_else(|| Error::Internal {
        reason: "order vanished inside its own transaction".into(),
    })
}
