//! The order states the records and the errors share (a leaf: `error` and the engine
//! files use it, it uses neither).

use waybill_core as core;

/// Effective status of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderStatus {
    /// Offered, not taken.
    Open,
    /// Taken by a driver.
    Accepted,
    /// The driver has the goods.
    PickedUp,
    /// Signed off (closed).
    Delivered,
    /// Cancelled by the shipper (closed).
    Cancelled,
}

mirror_enum!(
    OrderStatus,
    core::OrderStatus,
    Open,
    Accepted,
    PickedUp,
    Delivered,
    Cancelled
);

/// Why an order cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Unavailable {
    /// Another driver took it.
    TakenByAnotherDriver,
    /// The shipper cancelled it.
    Cancelled,
    /// This driver already accepted it.
    AlreadyAccepted,
}

mirror_enum!(
    Unavailable,
    core::Unavailable,
    TakenByAnotherDriver,
    Cancelled,
    AlreadyAccepted
);
