//! Waybill query (seed 000's core function): every order gets a waybill number when it is
//! created; anyone holding the number gets the order's status and its public milestones
//! (what happened and when, never who, where or to whom), and a signed-in user can follow
//! a number to be told of its changes. The number is the only key, so it is drawn at
//! random from 10^17 (plus a check digit that catches a mistyped digit before any request).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::OrderStatus;

/// Digits of a waybill number: 17 random, then a Luhn check digit.
pub const WAYBILL_DIGITS: usize = 18;

/// Waybills one account may follow at a time.
pub const MAX_FOLLOWED: usize = 50;

/// Whether `number` is a waybill number: [`WAYBILL_DIGITS`] ASCII digits whose last is the
/// Luhn check digit of the others (any single mistyped digit and most swaps fail it).
pub fn is_waybill_number(number: &str) -> bool {
    number.len() == WAYBILL_DIGITS
        && number.bytes().all(|b| b.is_ascii_digit())
        && luhn_sum(number.as_bytes()).is_multiple_of(10)
}

/// The waybill number made of 17 digits `body` (`0`..`10^17`) and their check digit.
pub fn waybill_number_from(body: u64) -> String {
    let body = format!("{:017}", body % 100_000_000_000_000_000);
    let mut with_zero = body.clone().into_bytes();
    with_zero.push(b'0');
    let check = (10 - luhn_sum(&with_zero) % 10) % 10;
    format!("{body}{check}")
}

/// The Luhn sum of `digits`, the last one counted as the check position.
fn luhn_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum()
}

/// What happened to a waybill's order, as the public may know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// The order was placed.
    Placed,
    /// A driver took it.
    Accepted,
    /// The driver has the goods.
    PickedUp,
    /// The driver reached a stop of the route.
    Arrived,
    /// The driver reported a problem (a delay, a damaged parcel): its words are not public.
    Exception,
    /// The driver who held it gave it up; it is offered again.
    Released,
    /// Delivered (closed).
    Delivered,
    /// Cancelled by the shipper (closed).
    Cancelled,
}

impl MilestoneKind {
    /// The public milestone of an order event's kind, if the event is one.
    pub fn of_event(kind: &str) -> Option<MilestoneKind> {
        Some(match kind {
            "placed" => MilestoneKind::Placed,
            "accepted" => MilestoneKind::Accepted,
            "picked_up" => MilestoneKind::PickedUp,
            "arrived" => MilestoneKind::Arrived,
            "exception" => MilestoneKind::Exception,
            "released" => MilestoneKind::Released,
            "delivered" => MilestoneKind::Delivered,
            "cancelled" => MilestoneKind::Cancelled,
            _ => return None,
        })
    }
}

/// One public milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// What happened.
    pub kind: MilestoneKind,
    /// When the server recorded it.
    pub at: DateTime<Utc>,
}

/// `GET /v1/waybills/{number}`: a waybill's public status. No account, name, phone,
/// address, label, goods, fee or position: a number passed to a consignee, or read off a
/// parcel, tells its holder how far the parcel is and nothing about the people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WaybillStatus {
    /// The waybill number.
    pub number: String,
    /// The order's status now.
    pub status: OrderStatus,
    /// Its milestones, oldest first.
    pub milestones: Vec<Milestone>,
}

/// `GET /v1/waybill-subscriptions`: the waybills the account follows, each as the public
/// sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FollowedWaybills {
    /// The followed waybills, by number.
    pub waybills: Vec<WaybillStatus>,
}

/// `PUT /v1/waybill-follows`: the numbers the account follows from now on (the device's
/// list after the person forgot some, cleared them or withdrew the consent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FollowedNumbers {
    /// At most [`MAX_FOLLOWED`] waybill numbers.
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub numbers: Vec<String>,
}

impl FollowedNumbers {
    /// At most [`MAX_FOLLOWED`] numbers, each a waybill number.
    pub fn is_valid(&self) -> bool {
        self.numbers.len() <= MAX_FOLLOWED && self.numbers.iter().all(|n| is_waybill_number(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_carry_a_check_digit_that_catches_a_mistyped_digit() {
        for body in [0, 1, 42, 12_345_678_901_234_567, 99_999_999_999_999_999] {
            let number = waybill_number_from(body);
            assert_eq!(number.len(), WAYBILL_DIGITS);
            assert!(is_waybill_number(&number), "{number}");
            for i in 0..WAYBILL_DIGITS {
                let mut typo = number.clone().into_bytes();
                typo[i] = b'0' + (typo[i] - b'0' + 3) % 10;
                assert!(!is_waybill_number(std::str::from_utf8(&typo).unwrap()));
            }
        }
        // A known Luhn number (79927398713), zero-padded to 18 digits.
        assert!(is_waybill_number("000000079927398713"));
        for bad in [
            "",
            "12345",
            "00000007992739871x",
            "0000000799273987130",
            "ord-1",
        ] {
            assert!(!is_waybill_number(bad), "{bad}");
        }
    }
}
