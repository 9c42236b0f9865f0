//! Scan to find (seed 002: "扫码用于查询订单信息"): the shell's scanner decodes a parcel's
//! waybill label and hands the text over; the core finds the order in the cache, offline,
//! and checks that a parcel about to be picked up is the one the order names. A label
//! carries the order's waybill number (or, printed before numbers, its id). A code that names no order of this device is an answer
//! (`NoOrder`), not an error; nothing scanned is stored or sent.

use rusqlite::Connection;
use waybill_protocol::{OrderStatus, limits};

use super::Order;
use crate::error::{Error, Result};

/// Longest text a scanner may hand over (a QR code with a URL around the number).
pub const MAX_SCANNED: usize = 512;

/// What a scanned waybill code names on this device.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanMatch {
    /// An order this driver holds, or an errand this shipper placed.
    Mine(Order),
    /// An open offer in the cache, not accepted yet.
    Offer(Order),
    /// No order of this device (another driver's parcel, a foreign label, a misread): the
    /// number, as read.
    NoOrder {
        /// The waybill number read from the code.
        number: String,
    },
}

/// Whether the scanned parcel is the one an order names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParcelCheck {
    /// It is: go on (pick up, sign off).
    Matches,
    /// It is the parcel of another order of this device (two parcels mixed up at a dock).
    OtherOrder {
        /// The order the parcel belongs to.
        order_id: String,
    },
    /// It names no order of this device.
    NoOrder {
        /// The waybill number read from the code.
        number: String,
    },
}

/// The waybill number in what a scanner read: the text itself, or the last path segment
/// of a URL printed as a QR code (`https://…/w/NUMBER?x=y`). Control characters, an empty
/// or over-long text, or a number that cannot be an id are `InvalidInput`.
pub fn waybill_number(scanned: &str) -> Result<String> {
    let invalid = |reason: &str| Error::InvalidInput {
        reason: format!("scanned code: {reason}"),
    };
    if scanned.len() > MAX_SCANNED {
        return Err(invalid("longer than a waybill label holds"));
    }
    let text = scanned.trim();
    if text.chars().any(char::is_control) {
        return Err(invalid("control characters"));
    }
    let number = match text.split_once("://") {
        Some((_, rest)) => {
            // The host is not a number: only the path after it counts.
            let rest = rest.split(['?', '#']).next().unwrap_or_default();
            let path = rest
                .split_once('/')
                .map(|(_, path)| path)
                .unwrap_or_default();
            path.rsplit('/').find(|s| !s.is_empty()).unwrap_or_default()
        }
        None => text,
    };
    if number.is_empty() || !limits::is_valid_id(number) {
        return Err(invalid("no waybill number"));
    }
    Ok(number.to_string())
}

/// The order `scanned` names in the cache.
pub fn find(conn: &Connection, scanned: &str) -> Result<ScanMatch> {
    let number = waybill_number(scanned)?;
    Ok(match super::by_waybill(conn, &number)? {
        Some(order) if order.assigned_to_me || order.placed_by_me => ScanMatch::Mine(order),
        Some(order) if order.status == OrderStatus::Open => ScanMatch::Offer(order),
        // Held by someone else: the cache says nothing about it to this driver.
        _ => ScanMatch::NoOrder { number },
    })
}

/// Whether the parcel `scanned` is the one `order_id` names.
pub fn check(conn: &Connection, order_id: &str, scanned: &str) -> Result<ParcelCheck> {
    Ok(match find(conn, scanned)? {
        ScanMatch::Mine(order) if order.id == order_id => ParcelCheck::Matches,
        ScanMatch::Mine(order) => ParcelCheck::OtherOrder { order_id: order.id },
        ScanMatch::Offer(order) => ParcelCheck::NoOrder { number: order.id },
        ScanMatch::NoOrder { number } => ParcelCheck::NoOrder { number },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_is_read_from_a_bare_label_or_a_qr_url_and_garbage_is_refused() {
        assert_eq!(waybill_number("  ord-123\n").unwrap(), "ord-123");
        assert_eq!(
            waybill_number("https://wb.example/w/ord-123?src=label#x").unwrap(),
            "ord-123"
        );
        assert_eq!(
            waybill_number("https://wb.example/w/ord-123/").unwrap(),
            "ord-123"
        );
        for bad in [
            "",
            "   ",
            "ord\u{0}1",
            "https://wb.example/",
            "https://wb.example?w=1",
            "has space",
            &"x".repeat(600),
        ] {
            assert!(
                matches!(waybill_number(bad), Err(Error::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }
}
