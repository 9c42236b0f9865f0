//! Wire types of the Waybill sync contract (`/v1`), shared by the client core and the
//! reference server so both sides agree by construction. `docs/sync-contract.md` describes
//! the HTTP shape; these types are its bodies.
#![forbid(unsafe_code)]

pub mod account;
pub mod notices;
pub mod push;
pub mod service_log;
pub mod trajectory;
pub mod tus;
pub mod waybills;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Header carrying the client-chosen idempotency key of a mutating request.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// Reply header set to `true` when the reply is the stored one of an earlier request with
/// the same idempotency key (nothing was applied again), `false` otherwise.
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// Which app the device runs: the driver app or the shipper (errand) app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterDevice {
    /// Random installation id chosen by the client (not a hardware identifier).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 128, min_length = 1, pattern = "^[A-Za-z0-9._:-]{1,128}$")
    )]
    pub installation_id: String,
    /// Which app is registering.
    pub role: Role,
    /// Application id, e.g. `com.example.waybill.driver`.
    #[cfg_attr(feature = "openapi", schema(max_length = 128, min_length = 1))]
    pub app_id: String,
    /// Application version, for the server's compatibility decisions.
    #[cfg_attr(feature = "openapi", schema(max_length = 128, min_length = 1))]
    pub app_version: String,
    /// The device's ECDSA P-256 public key (65-byte uncompressed point, hex), made on the
    /// device at first registration and kept sealed there (P-256 is what Android Keystore
    /// and the Secure Enclave hold, where a shell may move it). Once an installation has a key, only a proof
    /// made with it signs the installation in again: the id alone grants nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 130, max_length = 130, pattern = "^[0-9a-f]{130}$")
    )]
    pub device_key: Option<String>,
    /// Proof of possession of `device_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<DeviceProof>,
    /// The person's number and the code sent to it for this installation: what a device
    /// the account does not know yet needs (a device it knows proves its key instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_code: Option<account::PhoneCode>,
    /// The age declaration, needed when the number opens a new account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<account::AgeDeclaration>,
}

/// A signature by the device key over [`RegisterDevice::signed_message`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceProof {
    /// When it was made (server time as the device knows it); the server takes a proof
    /// once, within five minutes of its own clock, and never one older than the last.
    pub signed_at: DateTime<Utc>,
    /// ECDSA P-256 / SHA-256 signature, `r ‖ s` (64 bytes), hex.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 128, max_length = 128, pattern = "^[0-9a-f]{128}$")
    )]
    pub signature: String,
}

impl RegisterDevice {
    /// What the device key signs: the installation, the role, the key and the time, so a
    /// proof cannot be replayed for another installation, role or key, or later.
    pub fn signed_message(&self, signed_at: DateTime<Utc>) -> Vec<u8> {
        format!(
            "waybill device v1\n{}\n{}\n{}\n{}",
            self.installation_id,
            self.role.as_str(),
            self.device_key.as_deref().unwrap_or(""),
            signed_at.timestamp_millis()
        )
        .into_bytes()
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lowercase or uppercase hex, if it is hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Reply to [`RegisterDevice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRegistered {
    /// Server-side account id of the person this installation is signed in to.
    pub account_id: String,
    /// Opaque bearer token for later requests.
    pub token: String,
    /// The account's number, masked.
    #[serde(default)]
    pub phone_masked: String,
    /// True when this sign-in opened the account.
    #[serde(default)]
    pub new_account: bool,
}

/// Lifecycle status of an order as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Offered to drivers, not yet taken.
    Open,
    /// Taken by a driver.
    Accepted,
    /// The driver has the goods.
    PickedUp,
    /// Signed off at the destination (closed).
    Delivered,
    /// Cancelled by the shipper (closed).
    Cancelled,
}

impl OrderStatus {
    /// Stable text form used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the order is over: its data's retention clock runs from then.
    pub fn is_closed(self) -> bool {
        matches!(self, OrderStatus::Delivered | OrderStatus::Cancelled)
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<OrderStatus> {
        match s {
            "open" => Some(OrderStatus::Open),
            "accepted" => Some(OrderStatus::Accepted),
            "picked_up" => Some(OrderStatus::PickedUp),
            "delivered" => Some(OrderStatus::Delivered),
            "cancelled" => Some(OrderStatus::Cancelled),
            _ => None,
        }
    }
}

/// A point on the map, WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatLon {
    /// Latitude, degrees north.
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    /// Longitude, degrees east.
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
}

impl LatLon {
    /// Finite, latitude within ±90 and longitude within ±180: the one range check that
    /// app and server share.
    pub fn is_on_earth(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// A cargo order as offered to drivers. Open offers carry no party contact data: the
/// consignee's name and phone reach a driver only once the order is assigned (seed 002:
/// "accepting orders ... needs consignee data"; P-29).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Account id of the shipper who placed it (none for orders from other channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipper_id: Option<String>,
    /// Where to go, in order: the pickup first, then drop-offs, each with its time window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stops: Vec<Stop>,
    /// The delivery appointment the driver agreed with the consignee, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_at: Option<DateTime<Utc>>,
    /// The waybill number printed on the parcel's label and shared with the consignee
    /// ([`waybills`]), shown to the order's shipper and its driver only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waybill_no: Option<String>,
    /// Server revision of this order; grows with every change.
    pub revision: i64,
    /// When the server last changed the order.
    pub updated_at: DateTime<Utc>,
}

/// What happens at a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    /// Goods are loaded.
    Pickup,
    /// Goods are handed over.
    Dropoff,
}

/// One stop of an order's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stop {
    /// Pickup or drop-off.
    pub kind: StopKind,
    /// Place, as shown.
    pub label: String,
    /// Coordinates, when known (a depot, a dock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<LatLon>,
    /// Earliest arrival the other party accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start: Option<DateTime<Utc>>,
    /// Latest arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<DateTime<Utc>>,
}

/// `GET /v1/orders/open` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenOrders {
    /// Open orders within the radius, nearest first.
    pub orders: Vec<Order>,
}

/// Reply to `POST /v1/orders/{id}/accept` when the acceptance was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderContact {
    /// Who hands the goods over.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            min_length = 1,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub consignor_name: String,
    /// Consignor's phone.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 20, min_length = 5, pattern = r"^[0-9+\- ]{5,20}$")
    )]
    pub consignor_phone: String,
    /// Who receives the goods.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            min_length = 1,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub consignee_name: String,
    /// Consignee's phone.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 20, min_length = 5, pattern = r"^[0-9+\- ]{5,20}$")
    )]
    pub consignee_phone: String,
    /// Full delivery address.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            min_length = 1,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub consignee_address: String,
}

/// What a driver does to an order. Each is queued on the device and applied once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Take an open offer: open → accepted.
    Accept,
    /// Goods loaded: accepted → picked_up.
    PickUp,
    /// Signed off at the destination: picked_up → delivered.
    Deliver,
    /// Something went wrong (delay, damage, no one at the address); status unchanged.
    ReportException,
    /// The driver agreed a delivery time with the consignee (`appointment_at`); status
    /// unchanged.
    Appoint,
    /// The driver reached a stop (`stop`, its index); status unchanged.
    Arrive,
    /// A shipper places an errand (the order id is made on the device).
    Place,
    /// A shipper cancels an errand that is not delivered.
    Cancel,
}

impl ActionKind {
    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Accept => "accept",
            ActionKind::PickUp => "pick_up",
            ActionKind::Deliver => "deliver",
            ActionKind::ReportException => "report_exception",
            ActionKind::Appoint => "appoint",
            ActionKind::Arrive => "arrive",
            ActionKind::Place => "place",
            ActionKind::Cancel => "cancel",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<ActionKind> {
        [
            ActionKind::Accept,
            ActionKind::PickUp,
            ActionKind::Deliver,
            ActionKind::ReportException,
            ActionKind::Appoint,
            ActionKind::Arrive,
            ActionKind::Place,
            ActionKind::Cancel,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The status the action leads to from `from`, or `None` if it is not legal there.
    /// The one transition table, used by the device (optimistically) and the server.
    pub fn next_status(self, from: OrderStatus) -> Option<OrderStatus> {
        use OrderStatus as S;
        match (self, from) {
            (ActionKind::Accept, S::Open) => Some(S::Accepted),
            (ActionKind::PickUp, S::Accepted) => Some(S::PickedUp),
            (ActionKind::Deliver, S::PickedUp) => Some(S::Delivered),
            (
                ActionKind::ReportException | ActionKind::Appoint | ActionKind::Arrive,
                s @ (S::Accepted | S::PickedUp),
            ) => Some(s),
            (ActionKind::Cancel, S::Open | S::Accepted | S::PickedUp) => Some(S::Cancelled),
            // Placing creates the order: there is no status to move from.
            _ => None,
        }
    }
}

/// One queued action as pushed. `key` is its idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderAction {
    /// Idempotency key, made on the device when the action was taken.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 128, min_length = 1, pattern = "^[A-Za-z0-9._:-]{1,128}$")
    )]
    pub key: String,
    /// The order.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 128, min_length = 1, pattern = "^[A-Za-z0-9._:-]{1,128}$")
    )]
    pub order_id: String,
    /// What was done.
    pub kind: ActionKind,
    /// When the driver did it (device clock).
    pub at: DateTime<Utc>,
    /// Free text (exception reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
    /// The errand, for `place`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errand: Option<NewErrand>,
    /// The stop reached, for `arrive` (index into the order's stops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 49))]
    pub stop: Option<u32>,
    /// The agreed time, for `appoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_at: Option<DateTime<Utc>>,
}

/// `POST /v1/actions`: queued actions in push order (per order, oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionBatch {
    /// At most [`MAX_BATCH`] actions.
    #[cfg_attr(feature = "openapi", schema(max_items = 500))]
    pub actions: Vec<OrderAction>,
}

/// No real clock of a phone or server speaking this contract reads earlier than this
/// (2020-01-01): earlier is a clock reset to 1970, or a GPS receiver with the
/// week-rollover bug (1024 weeks, about 19.6 years, early).
pub fn plausible_from() -> DateTime<Utc> {
    DateTime::from_timestamp(1_577_836_800, 0).unwrap_or_default()
}

/// What `assigned_to` says to a driver who no longer holds an order: someone else does,
/// without naming the account.
pub const ANOTHER_ACCOUNT: &str = "another-account";

/// Largest batch the server takes.
pub const MAX_BATCH: usize = 500;

/// Bounds of every request field, shared by the app (which refuses to queue what the
/// server would refuse) and the server (which enforces them and documents them in the
/// OpenAPI document). Lengths are in bytes of UTF-8.
pub mod limits {
    /// Ids made by a device or the server: order ids, idempotency keys, installation
    /// ids, rights-request ids, upload ids.
    pub const MAX_ID: usize = 128;
    /// App id and app version of a registration.
    pub const MAX_APP_FIELD: usize = 128;
    /// A driver's note on an action (exception reports).
    pub const MAX_NOTE: usize = 2_000;
    /// The text of a rights request.
    pub const MAX_DETAIL: usize = 4_096;
    /// Errand labels, goods, names and addresses.
    pub const MAX_TEXT: usize = 500;
    /// Largest radius of the offer search, metres.
    pub const MAX_SEARCH_RADIUS_M: u32 = 200_000;
    /// Most offers one search returns (nearest first).
    pub const MAX_OFFERS: usize = 100;
    /// Most consent receipts in one request.
    pub const MAX_RECEIPTS: usize = 1_000;
    /// Largest page of the change feed.
    pub const MAX_CHANGES_PAGE: u32 = 1_000;
    /// Largest trajectory batch, bytes.
    pub const MAX_TRAJECTORY_BYTES: usize = 1 << 20;
    /// Largest JSON request body, bytes (a full batch of actions with notes fits).
    pub const MAX_JSON_BYTES: usize = 2 << 20;
    /// Most stops of an order.
    pub const MAX_STOPS: usize = 50;
    /// Heaviest errand, kg (a fully loaded 40 t truck is well under).
    pub const MAX_WEIGHT_KG: f64 = 100_000.0;
    /// Largest fee, minor units (ten billion in major units).
    pub const MAX_FEE_MINOR: i64 = 1_000_000_000_000;

    /// Whether `id` is a well-formed id: 1..=[`MAX_ID`] bytes of ASCII letters, digits
    /// and `-_.:`, and not `.` or `..` (ids travel in URL paths).
    pub fn is_valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= MAX_ID
            && id != "."
            && id != ".."
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    }
}

/// What became of one action of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Applied by an earlier attempt with the same key; this is that attempt's result.
    Replayed,
    /// Refused for good (`error` says why); nothing changed.
    Refused,
    /// Not looked at because an earlier action of the same order was refused in this
    /// batch; nothing recorded under its key.
    Skipped,
}

/// Result of one action, in the batch's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionResult {
    /// The action's key.
    pub key: String,
    /// What became of it.
    pub outcome: Outcome,
    /// The order after the action (applied or replayed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// The parties' contact, with an applied acceptance only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<OrderContact>,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// `POST /v1/actions` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionResults {
    /// One result per action, same order.
    pub results: Vec<ActionResult>,
}

/// `GET /v1/changes?after=CURSOR`: orders of this account changed since the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changes {
    /// Orders as the server has them now, in change order.
    pub orders: Vec<Order>,
    /// Cursor to send next time.
    pub cursor: i64,
    /// Whether more changes wait (ask again at once).
    pub more: bool,
    /// The parties' contact of each order in `orders` that the caller holds open: another
    /// device of the driver's account (a new phone) can finish the job. Never for an
    /// order the caller does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<HeldContact>,
}

/// The parties' contact of an order the caller holds, in the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldContact {
    /// The order.
    pub order_id: String,
    /// Its parties' contact.
    pub contact: OrderContact,
}

/// `POST /v1/errands`: a shipper places an order (seed 003: sender, recipient, item,
/// addresses, fee).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewErrand {
    /// Pickup label.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            min_length = 1,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub pickup_label: String,
    /// Pickup point.
    pub pickup: LatLon,
    /// Drop-off label.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            min_length = 1,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub dropoff_label: String,
    /// Drop-off point, when known: the driver's app detects arrival at its geofence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropoff: Option<LatLon>,
    /// What is carried.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            min_length = 1,
            pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
        )
    )]
    pub goods: String,
    /// Weight, kg.
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 100000))]
    pub weight_kg: f64,
    /// Fee in minor units.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000000000_i64))]
    pub fee_minor: i64,
    /// ISO 4217.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")
    )]
    pub currency: String,
    /// Sender and recipient.
    pub contact: OrderContact,
}

/// What a valid errand is, checked by the app before it queues one and by the server
/// before it stores one, so the two cannot disagree.
pub const ERRAND_RULES: &str = "errand: pickup and drop-off on Earth, weight in (0, 100000] kg, \
    fee in 0..=1000000000000 minor units, \
    ISO currency (three capitals), names and addresses of 1..=500 characters without \
    control characters, phones of 5..=20 digits";

impl NewErrand {
    /// Whether the errand follows [`ERRAND_RULES`].
    pub fn is_valid(&self) -> bool {
        let texts = [
            &self.pickup_label,
            &self.dropoff_label,
            &self.goods,
            &self.contact.consignor_name,
            &self.contact.consignee_name,
            &self.contact.consignee_address,
        ];
        let phones = [&self.contact.consignor_phone, &self.contact.consignee_phone];
        self.pickup.is_on_earth()
            && self.dropoff.as_ref().is_none_or(LatLon::is_on_earth)
            && self.weight_kg.is_finite()
            && self.weight_kg > 0.0
            && self.weight_kg <= limits::MAX_WEIGHT_KG
            && (0..=limits::MAX_FEE_MINOR).contains(&self.fee_minor)
            // ISO 4217: three ASCII capitals ("元" is three bytes too).
            && self.currency.len() == 3
            && self.currency.bytes().all(|b| b.is_ascii_uppercase())
            && texts.iter().all(|t| {
                !t.trim().is_empty()
                    && t.len() <= limits::MAX_TEXT
                    && !t.chars().any(char::is_control)
            })
            && phones.iter().all(|p| {
                (5..=20).contains(&p.len())
                    && p.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c))
            })
    }
}

/// Reply to `POST /v1/orders/{id}/trajectory` (body: a [`trajectory`] batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrajectoryStored {
    /// Points new to the server.
    pub stored: u32,
    /// Points it already had (a retried batch).
    pub duplicates: u32,
}

/// One point of an order's trajectory as the server serves it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackPoint {
    /// Milliseconds since the Unix epoch.
    pub t_ms: i64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// `GET /v1/orders/{id}/trajectory` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trajectory {
    /// Points, oldest first.
    pub points: Vec<TrackPoint>,
    /// Gaps (with their reason), stops and arrivals, oldest first.
    #[serde(default)]
    pub events: Vec<TrajectoryEvent>,
    /// Length of the stored track, metres, on the WGS-84 ellipsoid (geodesic).
    #[serde(default)]
    pub distance_m: f64,
}

/// Where the courier of an errand stands, as its shipper may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CourierState {
    /// Not picked up yet: no position is shown.
    NotPickedUp,
    /// Between pickup and delivery: positions are shown.
    InTransit,
    /// Delivered: the route is no longer shown.
    Delivered,
    /// Cancelled: nothing is shown.
    Cancelled,
}

/// `GET /v1/errands/{id}/courier` reply: for the errand's shipper only, the courier's
/// positions between pickup and delivery, after the caller's cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourierView {
    /// Where the errand stands.
    pub state: CourierState,
    /// Positions after `after`, oldest first (at most 1,000; empty unless in transit).
    pub points: Vec<TrackPoint>,
    /// The latest position known (in transit only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<TrackPoint>,
    /// Metres covered since pickup (geodesic along the positions).
    pub covered_m: f64,
    /// Metres left in a straight line from the latest position to the drop-off, when both
    /// are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_m: Option<f64>,
    /// The cursor for the next call (`after`): the last position's time.
    pub next_after: i64,
}

/// Kinds of [`TrajectoryEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TrajectoryEventKind {
    /// No positions over the interval (`reason` says why).
    Gap,
    /// The vehicle stood still at (`lat`, `lon`).
    Stop,
    /// The vehicle entered the geofence of stop `stop` of the route.
    Arrival,
}

/// A gap, stop or arrival of an order's trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrajectoryEvent {
    /// What.
    pub kind: TrajectoryEventKind,
    /// Start, milliseconds since the Unix epoch.
    pub from_ms: i64,
    /// End, milliseconds since the Unix epoch.
    pub to_ms: i64,
    /// Why, for a gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<trajectory::GapReason>,
    /// Index of the stop in the route, for an arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<u32>,
    /// Latitude, for a stop or an arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, for a stop or an arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

impl From<trajectory::Event> for TrajectoryEvent {
    fn from(e: trajectory::Event) -> Self {
        let (kind, reason, stop, at) = match e.kind {
            trajectory::EventKind::Gap(r) => (TrajectoryEventKind::Gap, Some(r), None, None),
            trajectory::EventKind::Stop { at } => (TrajectoryEventKind::Stop, None, None, Some(at)),
            trajectory::EventKind::Arrival { stop, at } => {
                (TrajectoryEventKind::Arrival, None, Some(stop), Some(at))
            }
        };
        TrajectoryEvent {
            kind,
            from_ms: e.from_ms,
            to_ms: e.to_ms,
            reason,
            stop,
            lat: at.map(|a| a.0),
            lon: at.map(|a| a.1),
        }
    }
}

/// Kinds of data-subject requests (PIPL Arts. 44-47, GDPR Arts. 15-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RightsRequestFiled {
    /// Device-made id (a UUID), also the idempotency key.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 128, min_length = 1, pattern = "^[A-Za-z0-9._:-]{1,128}$")
    )]
    pub id: String,
    /// What is asked.
    pub kind: RightKind,
    /// The user's words (what to correct, what to delete); may be empty.
    #[cfg_attr(feature = "openapi", schema(max_length = 4096))]
    pub detail: String,
    /// The answer deadline the policy promises.
    pub due_at: DateTime<Utc>,
    /// A fresh step-up code sent to the account's number (`POST /v1/account/step-up-codes`):
    /// every kind of request needs one when it is first filed (a retry of a filed id does
    /// not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 6, max_length = 6, pattern = "^[0-9]{6}$")
    )]
    pub step_up_code: Option<String>,
}

/// The server's record of a rights request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RightsRequests {
    /// The account's requests, oldest first.
    pub requests: Vec<RightsRequestState>,
}

/// Stable machine-readable codes of the server's error replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The bearer token is missing or unknown.
    Unauthorized,
    /// The account's role may not use this operation (a driver placing an errand, a
    /// shipper accepting a load). Says nothing about any resource.
    Forbidden,
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
    /// The action is not legal in the order's current status (e.g. deliver before pickup).
    InvalidTransition,
    /// The account was closed: nothing signs it in again; the number may open a new one.
    AccountClosed,
    /// The operator suspended the account: nothing is taken until it is lifted; nothing
    /// is deleted.
    AccountSuspended,
    /// This installation is not signed in to any account: sign in with a phone code.
    CodeRequired,
    /// The code is wrong, expired, used, burnt by too many guesses, or for another
    /// installation.
    CodeInvalid,
    /// Too many codes asked for this number or installation; try after `Retry-After`.
    RateLimited,
    /// The request needs a fresh step-up code (export, deletion, correction, cancellation).
    StepUpRequired,
    /// A new account needs the age declaration first.
    AgeRequired,
    /// No such device signed in to the caller's account.
    DeviceNotFound,
    /// Real-name data cannot be deleted while a delivery of the account is less than
    /// seven days old (seed 000); the message says from when it can.
    RecentDelivery,
    /// A trajectory batch continues from a point the server does not hold: send it
    /// unanchored.
    AnchorUnknown,
    /// The server failed; the request may be retried.
    Internal,
}

/// Body of every non-2xx reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation, never containing personal data.
    pub message: String,
}

/// One entry of an order's server-side history, `GET /v1/orders/{id}/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderEvent {
    /// Event kind, e.g. `accepted`.
    pub kind: String,
    /// Account that caused it.
    pub actor: String,
    /// When the server applied it.
    pub at: DateTime<Utc>,
    /// The actor's note (exception reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /v1/orders/{id}/events` reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ConsentReceipt {
        /// Position in the device's ledger.
        pub seq: i64,
        /// `policy_accepted`, `granted`, `refused`, `withdrawn` or `guardian_consent`.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        pub kind: String,
        /// Policy version in force.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        pub policy_version: String,
        /// Purpose, if any.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        pub purpose: Option<String>,
        /// How it was asked.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        pub asked_via: String,
        /// When, RFC 3339 exactly as hashed.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        pub at: String,
        /// Previous receipt's hash.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        pub prev_hash: String,
        /// This receipt's hash.
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
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
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ConsentReceipts {
        /// Receipts, oldest first.
        #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
        pub receipts: Vec<ConsentReceipt>,
    }

    /// Reply: how many were new.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ReceiptsStored {
        /// Receipts stored now.
        pub stored: u32,
        /// Receipts the server already had (a retry).
        pub already_stored: u32,
    }

    #[derive(Serialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        crate::hex(&Sha256::digest(&canonical))
    }
}
