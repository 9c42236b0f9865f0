//! The driver's actions on an order, online or not: the legality check against the
//! effective status, the optimistic effect and the outbox entry are one transaction,
//! durable when the call returns. The transition table is `ActionKind::next_status`,
//! shared with the server.

use rusqlite::Transaction;
use waybill_protocol::{ActionKind, OrderStatus};

use super::outbox::{self, Extras};
use super::{Order, get};
use crate::error::{Error, Result, Unavailable};
use crate::ticket::Ticket;

/// Longest exception note.
pub const MAX_NOTE_BYTES: usize = 2_000;

/// Queues `kind` on `order_id` after checking it is legal from the order's effective
/// status (the server's, or the one queued actions lead to). Returns the order with its
/// new effective state.
pub fn take(
    tx: &Transaction<'_>,
    _basis: &Ticket,
    order_id: &str,
    kind: ActionKind,
    note: Option<&str>,
    extras: Option<Extras>,
) -> Result<Order> {
    let order = get(tx, order_id)?.ok_or_else(|| Error::OrderNotFound {
        order_id: order_id.to_string(),
    })?;
    if let Some(note) = note {
        check_note(note)?;
    }
    let allowed_actor = match kind {
        ActionKind::Accept => {
            check_acceptable(tx, &order)?;
            true
        }
        ActionKind::Cancel => order.placed_by_me,
        ActionKind::Place => false, // placing creates the order: `orders::place_errand`
        ActionKind::PickUp
        | ActionKind::Deliver
        | ActionKind::ReportException
        | ActionKind::Appoint
        | ActionKind::Arrive => order.assigned_to_me,
    };
    if !allowed_actor {
        return Err(Error::InvalidTransition {
            order_id: order_id.to_string(),
            action: kind.as_str().to_string(),
            status: order.status,
        });
    }
    let target = kind
        .next_status(order.status)
        .ok_or_else(|| Error::InvalidTransition {
            order_id: order_id.to_string(),
            action: kind.as_str().to_string(),
            status: order.status,
        })?;
    let extras = extras.unwrap_or_default();
    check_extras(&order, kind, &extras)?;
    let changes_status = target != order.status;
    let payload =
        matches!(kind, ActionKind::Arrive | ActionKind::Appoint).then(|| extras.to_json());
    outbox::enqueue_with_payload(
        tx,
        order_id,
        kind,
        changes_status.then_some(target),
        note,
        payload.as_deref(),
    )?;
    get(tx, order_id)?.ok_or_else(|| Error::Internal {
        reason: "order vanished inside its own transaction".into(),
    })
}

/// `arrive` names one of the order's stops; `appoint` a time from a day ago to 90 days
/// ahead.
fn check_extras(order: &Order, kind: ActionKind, extras: &Extras) -> Result<()> {
    let ok = match kind {
        ActionKind::Arrive => extras
            .stop
            .is_some_and(|i| (i as usize) < order.stops.len()),
        ActionKind::Appoint => extras.appointment_at.is_some_and(|at| {
            let now = chrono::Utc::now();
            at > now - chrono::Duration::days(1) && at < now + chrono::Duration::days(90)
        }),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput {
            reason: format!(
                "{}: a stop of the order for arrive, a time within 90 days for appoint",
                kind.as_str()
            ),
        })
    }
}

/// A note is at most [`MAX_NOTE_BYTES`] without control characters (newlines allowed).
pub fn check_note(note: &str) -> Result<()> {
    if note.len() > MAX_NOTE_BYTES || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::InvalidInput {
            reason: format!("a note is at most {MAX_NOTE_BYTES} bytes without control characters"),
        });
    }
    Ok(())
}

/// Whether `kind` would be accepted on `order` as it stands now (offered as "try again"
/// on a rejection only when it is).
pub fn is_possible(order: &Order, kind: ActionKind) -> bool {
    let actor = match kind {
        ActionKind::Accept => !order.assigned_to_me && order.status == OrderStatus::Open,
        ActionKind::Cancel => order.placed_by_me,
        // Placing creates an order; arrivals and appointments carry details a retry
        // without them cannot repeat.
        ActionKind::Place | ActionKind::Arrive | ActionKind::Appoint => false,
        ActionKind::PickUp | ActionKind::Deliver | ActionKind::ReportException => {
            order.assigned_to_me
        }
    };
    actor && kind.next_status(order.status).is_some()
}

fn check_acceptable(tx: &Transaction<'_>, order: &Order) -> Result<()> {
    let unavailable = |reason| Error::OrderNotAvailable {
        order_id: order.id.clone(),
        reason,
    };
    if order.assigned_to_me || outbox::has_pending(tx, &order.id, ActionKind::Accept)? {
        return Err(unavailable(Unavailable::AlreadyAccepted));
    }
    match order.status {
        OrderStatus::Open => Ok(()),
        OrderStatus::Cancelled => Err(unavailable(Unavailable::Cancelled)),
        OrderStatus::Accepted | OrderStatus::PickedUp | OrderStatus::Delivered => {
            Err(unavailable(Unavailable::TakenByAnotherDriver))
        }
    }
}
