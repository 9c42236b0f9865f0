//! The tracking lifecycle: the core tells the shell whether to run location updates, for
//! which order and at what accuracy and interval. Tracking belongs to an order in transit
//! (from pickup to sign-off, P-16) whose trajectory has a live basis; standing still it
//! asks for less (battery), and without consent or permission it says why it is off.

use crate::orders::Order;
use crate::privacy::PurposeState;
use crate::privacy::manifest::Permission;
use waybill_protocol::OrderStatus;

/// How precisely the shell should ask the OS for fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accuracy {
    /// GPS, for a moving vehicle.
    High,
    /// Network/low power, while the vehicle stands.
    Balanced,
}

/// Why tracking is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// No order in transit: nothing is recorded outside a job.
    NoJob,
    /// The trajectory's separate consent is missing, refused or withdrawn.
    NoConsent,
    /// The OS permission is missing; ask for it at the function (48-hour rule applies).
    NeedsPermission(Permission),
}

/// What the shell should do with location updates now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackingPlan {
    /// Run updates for `order_id`.
    Track {
        /// The order in transit.
        order_id: String,
        /// Requested accuracy.
        accuracy: Accuracy,
        /// Requested interval between fixes, milliseconds.
        interval_ms: u32,
    },
    /// Stop updates, with the reason.
    Off(Idle),
}

/// Interval while moving: one fix a second (the simplifier keeps what matters).
pub const MOVING_INTERVAL_MS: u32 = 1_000;
/// Interval while standing still.
pub const STANDING_INTERVAL_MS: u32 = 10_000;

/// The plan from the driver's orders, the trajectory purpose's state and whether the
/// latest fixes say the vehicle stands.
pub fn plan(
    mine: &[Order],
    trajectory: &PurposeState,
    standing: impl Fn(&str) -> bool,
) -> TrackingPlan {
    let Some(order) = mine
        .iter()
        .find(|o| o.assigned_to_me && o.status == OrderStatus::PickedUp)
    else {
        return TrackingPlan::Off(Idle::NoJob);
    };
    match trajectory {
        PurposeState::Allowed | PurposeState::Degraded { .. } => {
            let still = standing(&order.id);
            TrackingPlan::Track {
                order_id: order.id.clone(),
                accuracy: if still {
                    Accuracy::Balanced
                } else {
                    Accuracy::High
                },
                interval_ms: if still {
                    STANDING_INTERVAL_MS
                } else {
                    MOVING_INTERVAL_MS
                },
            }
        }
        PurposeState::NeedsPermission { permission } => {
            TrackingPlan::Off(Idle::NeedsPermission(*permission))
        }
        _ => TrackingPlan::Off(Idle::NoConsent),
    }
}
