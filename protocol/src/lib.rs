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
    /// The parties' contact, sent only to the driver who holds the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<OrderContact>,
}

/// Consignor and consignee contact of an order: personal data of third parties, sent to
/// the assigned driver only, for delivering that order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderContact {
    /// Who hands the goods over.
    pub consignor_name: String,
    /// Consignor's phone.
    pub consignor_phone: String,
    /// Who receives the goods.
    pub consignee_name: String,
    /// Consignee's phone.
    pub consignee_phone: String,
    /// Full delivery address.
    pub consignee_address: String,
}

/// Kinds of data-subject requests (PIPL Arts. 44-47, GDPR Arts. 15-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightKind {
    /// A copy of what the service holds.
    Access,
    /// Correct inaccurate data.
    Correction,
    /// Delete data.
    Deletion,
    /// Close the account and delete its data.
    Cancellation,
}

impl RightKind {
    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            RightKind::Access => "access",
            RightKind::Correction => "correction",
            RightKind::Deletion => "deletion",
            RightKind::Cancellation => "cancellation",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<RightKind> {
        [
            RightKind::Access,
            RightKind::Correction,
            RightKind::Deletion,
            RightKind::Cancellation,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// `POST /v1/rights-requests`: a request, identified by the device-made `id` so a retry
/// files it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequestFiled {
    /// Device-made id (a UUID), also the idempotency key.
    pub id: String,
    /// What is asked.
    pub kind: RightKind,
    /// The user's words (what to correct, what to delete); may be empty.
    pub detail: String,
    /// The answer deadline the policy promises.
    pub due_at: DateTime<Utc>,
}

/// The server's record of a rights request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequestState {
    /// Id the device made.
    pub id: String,
    /// What was asked.
    pub kind: RightKind,
    /// `received`, `completed` or `refused`.
    pub status: String,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// Deadline for the answer.
    pub due_at: DateTime<Utc>,
    /// The answer, once there is one.
    pub answer: Option<String>,
}

/// `GET /v1/rights-requests` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequests {
    /// The account's requests, oldest first.
    pub requests: Vec<RightsRequestState>,
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

/// Consent receipts: the hash both the device and the server compute, so the server can
/// check every receipt it stores without trusting the client's arithmetic.
pub mod consent {
    use serde::{Deserialize, Serialize};
    use sha2::{Digest, Sha256};

    /// Hash the first receipt of a ledger chains to.
    pub const GENESIS_HASH: &str =
        "0000000000000000000000000000000000000000000000000000000000000000";

    /// One consent decision as it travels: `POST /v1/consent-receipts`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ConsentReceipt {
        /// Position in the device's ledger.
        pub seq: i64,
        /// `policy_accepted`, `granted`, `refused`, `withdrawn` or `guardian_consent`.
        pub kind: String,
        /// Policy version in force.
        pub policy_version: String,
        /// Purpose, if any.
        pub purpose: Option<String>,
        /// How it was asked.
        pub asked_via: String,
        /// When, RFC 3339 exactly as hashed.
        pub at: String,
        /// Previous receipt's hash.
        pub prev_hash: String,
        /// This receipt's hash.
        pub hash: String,
    }

    impl ConsentReceipt {
        /// Whether `hash` is the hash of the other fields.
        pub fn is_sealed(&self) -> bool {
            receipt_hash(
                &self.prev_hash,
                &self.kind,
                &self.policy_version,
                self.purpose.as_deref(),
                &self.asked_via,
                &self.at,
            ) == self.hash
        }
    }

    /// Body of `POST /v1/consent-receipts`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ConsentReceipts {
        /// Receipts, oldest first.
        pub receipts: Vec<ConsentReceipt>,
    }

    /// Reply: how many were new.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ReceiptsStored {
        /// Receipts stored now.
        pub stored: u32,
        /// Receipts the server already had (a retry).
        pub already_stored: u32,
    }

    #[derive(Serialize)]
    struct Hashed<'a> {
        prev_hash: &'a str,
        kind: &'a str,
        policy_version: &'a str,
        purpose: Option<&'a str>,
        asked_via: &'a str,
        at: &'a str,
    }

    /// SHA-256, hex, over the receipt's fields in a fixed JSON serialization.
    pub fn receipt_hash(
        prev_hash: &str,
        kind: &str,
        policy_version: &str,
        purpose: Option<&str>,
        asked_via: &str,
        at: &str,
    ) -> String {
        let canonical = serde_json::to_vec(&Hashed {
            prev_hash,
            kind,
            policy_version,
            purpose,
            asked_via,
            at,
        })
        .expect("plain fields serialize");
        Sha256::digest(&canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
