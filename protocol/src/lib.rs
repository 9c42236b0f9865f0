//! Wire types of the Waybill sync contract (`/v1`), shared by the client core and the
//! reference server so both sides agree by construction. `docs/sync-contract.md` describes
//! the HTTP shape; these types are its bodies.
#![forbid(unsafe_code)]

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Header carrying the client-chosen idempotency key of a mutating request.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// Reply header set to `true` when the reply is the stored one of an earlier request with
/// the same idempotency key (nothing was applied again), `false` otherwise.
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// Which app the device runs: the driver app or the shipper (errand) app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Accepts loads, picks up, delivers, proves delivery.
    Driver,
    /// Places errands and follows them.
    Shipper,
}

impl Role {
    /// Stable text form used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Driver => "driver",
            Role::Shipper => "shipper",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "driver" => Some(Role::Driver),
            "shipper" => Some(Role::Shipper),
            _ => None,
        }
    }
}

/// `POST /v1/devices`: registers an installation and returns its bearer token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterDevice {
    /// Random installation id chosen by the client (not a hardware identifier).
    pub installation_id: String,
    /// Which app is registering.
    pub role: Role,
    /// Application id, e.g. `com.example.waybill.driver`.
    pub app_id: String,
    /// Application version, for the server's compatibility decisions.
    pub app_version: String,
}

/// Reply to [`RegisterDevice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRegistered {
    /// Server-side account id of this installation.
    pub account_id: String,
    /// Opaque bearer token for later requests.
    pub token: String,
}

/// Lifecycle status of an order as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Offered to drivers, not yet taken.
    Open,
    /// Taken by a driver.
    Accepted,
    /// Cancelled by the shipper.
    Cancelled,
}

impl OrderStatus {
    /// Stable text form used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Accepted => "accepted",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<OrderStatus> {
        match s {
            "open" => Some(OrderStatus::Open),
            "accepted" => Some(OrderStatus::Accepted),
            "cancelled" => Some(OrderStatus::Cancelled),
            _ => None,
        }
    }
}

/// A point on the map, WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// A cargo order as offered to drivers. Open offers carry no party contact data: the
/// consignee's name and phone reach a driver only once the order is assigned (seed 002:
/// "accepting orders ... needs consignee data"; P-29).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Server id of the order.
    pub id: String,
    /// Current status.
    pub status: OrderStatus,
    /// Pickup point, city-level label.
    pub pickup_label: String,
    /// Pickup point coordinates (a warehouse or dock, not a person's home).
    pub pickup: LatLon,
    /// Drop-off point, city-level label.
    pub dropoff_label: String,
    /// What is carried.
    pub goods: String,
    /// Weight of the goods in kilograms.
    pub weight_kg: f64,
    /// Freight fee offered, in minor currency units (fen, cents).
    pub fee_minor: i64,
    /// Currency of `fee_minor`, ISO 4217.
    pub currency: String,
    /// Account id of the driver who holds the order, if any.
    pub assigned_to: Option<String>,
    /// Server revision of this order; grows with every change.
    pub revision: i64,
    /// When the server last changed the order.
    pub updated_at: DateTime<Utc>,
}

/// `GET /v1/orders/open` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenOrders {
    /// Open orders within the radius, nearest first.
    pub orders: Vec<Order>,
}

/// Reply to `POST /v1/orders/{id}/accept` when the acceptance was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    /// The order after acceptance.
    pub order: Order,
}

/// Stable machine-readable codes of the server's error replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The bearer token is missing or unknown.
    Unauthorized,
    /// The order does not exist.
    OrderNotFound,
    /// Another driver already holds the order.
    OrderTaken,
    /// The shipper cancelled the order.
    OrderCancelled,
    /// The request body or parameters are invalid.
    BadRequest,
    /// The same idempotency key was used for a different request.
    IdempotencyKeyReused,
    /// The server failed; the request may be retried.
    Internal,
}

/// Body of every non-2xx reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation, never containing personal data.
    pub message: String,
}

/// One entry of an order's server-side history, `GET /v1/orders/{id}/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// Event kind, e.g. `accepted`.
    pub kind: String,
    /// Account that caused it.
    pub actor: String,
    /// When the server applied it.
    pub at: DateTime<Utc>,
}

/// `GET /v1/orders/{id}/events` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderEvents {
    /// Events, oldest first.
    pub events: Vec<OrderEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_snake_case_on_the_wire() {
        let body = ApiError {
            code: ErrorCode::OrderTaken,
            message: "taken".into(),
        };
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(json, r#"{"code":"order_taken","message":"taken"}"#);
    }

    #[test]
    fn status_text_round_trips() {
        for s in [
            OrderStatus::Open,
            OrderStatus::Accepted,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
