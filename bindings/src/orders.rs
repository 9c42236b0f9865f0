//! The order engine across the FFI: orders and their routes, errands, queued actions,
//! refusals, history and the parties' contact, and the `Waybill` methods that forward to it.

use std::time::SystemTime;

use waybill_core as core;

use crate::error::Result;
use crate::list;
use std::sync::Arc;

use crate::client::{CallToken, guarded};
use crate::object::Waybill;
pub use crate::status::{OrderStatus, Unavailable};

/// Consignor and consignee contact of an order; masked unless revealed for an open order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderContact {
    /// Consignor's name.
    pub consignor_name: String,
    /// Consignor's phone.
    pub consignor_phone: String,
    /// Consignee's name.
    pub consignee_name: String,
    /// Consignee's phone.
    pub consignee_phone: String,
    /// Delivery address.
    pub consignee_address: String,
    /// Whether the values are masked.
    pub masked: bool,
}

impl From<core::OrderContact> for OrderContact {
    fn from(c: core::OrderContact) -> Self {
        OrderContact {
            consignor_name: c.consignor_name,
            consignor_phone: c.consignor_phone,
            consignee_name: c.consignee_name,
            consignee_phone: c.consignee_phone,
            consignee_address: c.consignee_address,
            masked: c.masked,
        }
    }
}

/// A point, WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LatLon {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl From<LatLon> for core::LatLon {
    fn from(p: LatLon) -> Self {
        core::LatLon {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

impl From<core::LatLon> for LatLon {
    fn from(p: core::LatLon) -> Self {
        LatLon {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

/// Whether a local change waits for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Confirmed by the server.
    Synced,
    /// Queued in the outbox.
    Pending,
}

mirror_enum!(SyncState, core::SyncState, Synced, Pending);

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderList {
    /// Offers this driver can accept.
    Open,
    /// Orders this driver holds or accepted offline.
    Mine,
}

mirror_enum!(OrderList, core::OrderList, Open, Mine);

/// An order as the UI shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Order {
    /// Server id.
    pub id: String,
    /// Effective status.
    pub status: OrderStatus,
    /// Whether a local action is still queued.
    pub sync_state: SyncState,
    /// Whether this driver holds it.
    pub assigned_to_me: bool,
    /// Whether this shipper placed it.
    pub placed_by_me: bool,
    /// Pickup label.
    pub pickup_label: String,
    /// Pickup coordinates.
    pub pickup: LatLon,
    /// Drop-off label.
    pub dropoff_label: String,
    /// Goods.
    pub goods: String,
    /// Weight in kilograms.
    pub weight_kg: f64,
    /// Fee in minor units.
    pub fee_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The route: pickup first, then drop-offs, with time windows.
    pub stops: Vec<Stop>,
    /// The delivery time agreed with the consignee.
    pub appointment_at: Option<SystemTime>,
    /// The waybill number on the parcel's label (shown to its shipper and driver only).
    pub waybill_no: Option<String>,
    /// Server revision.
    pub revision: i64,
    /// Last server change.
    pub updated_at: SystemTime,
}

/// What happens at a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StopKind {
    /// Goods are loaded.
    Pickup,
    /// Goods are handed over.
    Dropoff,
}

mirror_enum!(StopKind, core::StopKind, Pickup, Dropoff);

/// One stop of a route.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stop {
    /// Pickup or drop-off.
    pub kind: StopKind,
    /// Place.
    pub label: String,
    /// Coordinates, when known.
    pub point: Option<LatLon>,
    /// Earliest arrival.
    pub window_start: Option<SystemTime>,
    /// Latest arrival.
    pub window_end: Option<SystemTime>,
}

impl From<core::Stop> for Stop {
    fn from(s: core::Stop) -> Self {
        Stop {
            kind: s.kind.into(),
            label: s.label,
            point: s.point.map(Into::into),
            window_start: s.window_start.map(Into::into),
            window_end: s.window_end.map(Into::into),
        }
    }
}

impl From<core::Order> for Order {
    fn from(o: core::Order) -> Self {
        Order {
            id: o.id,
            status: o.status.into(),
            sync_state: o.sync_state.into(),
            assigned_to_me: o.assigned_to_me,
            placed_by_me: o.placed_by_me,
            pickup_label: o.pickup_label,
            pickup: o.pickup.into(),
            dropoff_label: o.dropoff_label,
            goods: o.goods,
            weight_kg: o.weight_kg,
            fee_minor: o.fee_minor,
            currency: o.currency,
            stops: o.stops.into_iter().map(Into::into).collect(),
            appointment_at: o.appointment_at.map(Into::into),
            waybill_no: o.waybill_no,
            revision: o.revision,
            updated_at: o.updated_at.into(),
        }
    }
}

/// Why the server refused a queued action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RejectionReason {
    /// Another driver accepted first.
    TakenByAnotherDriver,
    /// The shipper cancelled.
    OrderCancelled,
    /// The order is gone.
    OrderNotFound,
    /// The order's status on the server does not allow it.
    NotAllowedNow,
    /// Dropped because an earlier action on the same order was refused.
    EarlierActionRefused,
    /// The request was invalid.
    Invalid,
}

mirror_enum!(
    RejectionReason,
    core::RejectionReason,
    TakenByAnotherDriver,
    OrderCancelled,
    OrderNotFound,
    NotAllowedNow,
    EarlierActionRefused,
    Invalid
);

/// A refused action, kept until dismissed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rejection {
    /// Id for `dismiss_rejection`.
    pub id: i64,
    /// The order concerned.
    pub order_id: String,
    /// The action refused (`accept`, `pick_up`, `deliver`, `report_exception`).
    pub action: String,
    /// Why.
    pub reason: RejectionReason,
    /// When the user took the action (their fact).
    pub taken_at: Option<SystemTime>,
    /// The order's status on the server now (its fact).
    pub order_status: Option<OrderStatus>,
    /// What the UI can offer.
    pub choices: Vec<Resolution>,
    /// When it arrived.
    pub rejected_at: SystemTime,
}

impl From<core::Rejection> for Rejection {
    fn from(r: core::Rejection) -> Self {
        Rejection {
            id: r.id,
            order_id: r.order_id,
            action: r.action,
            reason: r.reason.into(),
            taken_at: r.taken_at.map(Into::into),
            order_status: r.order_status.map(Into::into),
            choices: r.choices.into_iter().map(Into::into).collect(),
            rejected_at: r.rejected_at.into(),
        }
    }
}

/// A queued action with its retry state.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PendingAction {
    /// Queue position, for `cancel_pending`.
    pub seq: i64,
    /// The order.
    pub order_id: String,
    /// `accept`, `pick_up`, `deliver` or `report_exception`.
    pub action: String,
    /// When the user took it.
    pub created_at: SystemTime,
    /// Failed attempts.
    pub attempts: u32,
    /// Last failure.
    pub last_error: Option<String>,
    /// When the next automatic attempt is due.
    pub next_attempt_at: Option<SystemTime>,
}

impl From<core::orders::outbox::OutboxEntry> for PendingAction {
    fn from(e: core::orders::outbox::OutboxEntry) -> Self {
        PendingAction {
            seq: e.seq,
            order_id: e.order_id,
            action: e.action.as_str().to_string(),
            created_at: e.created_at.into(),
            attempts: e.attempts,
            last_error: e.last_error,
            next_attempt_at: e.next_attempt_at.map(Into::into),
        }
    }
}

/// Sender and recipient of an errand, as the shipper enters them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Parties {
    /// Sender's name.
    pub sender_name: String,
    /// Sender's phone.
    pub sender_phone: String,
    /// Recipient's name.
    pub recipient_name: String,
    /// Recipient's phone.
    pub recipient_phone: String,
    /// Delivery address.
    pub recipient_address: String,
}

/// An errand a shipper places.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewErrand {
    /// Pickup label.
    pub pickup_label: String,
    /// Pickup point.
    pub pickup: LatLon,
    /// Drop-off label.
    pub dropoff_label: String,
    /// Drop-off point, when known (the driver's app detects arrival at its geofence).
    pub dropoff: Option<LatLon>,
    /// What is carried.
    pub goods: String,
    /// Weight, kg.
    pub weight_kg: f64,
    /// Fee in minor units (fen).
    pub fee_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// Sender and recipient.
    pub parties: Parties,
}

impl From<NewErrand> for core::NewErrand {
    fn from(e: NewErrand) -> Self {
        core::NewErrand {
            pickup_label: e.pickup_label,
            pickup: e.pickup.into(),
            dropoff_label: e.dropoff_label,
            dropoff: e.dropoff.map(Into::into),
            goods: e.goods,
            weight_kg: e.weight_kg,
            fee_minor: e.fee_minor,
            currency: e.currency,
            contact: core::protocol::OrderContact {
                consignor_name: e.parties.sender_name,
                consignor_phone: e.parties.sender_phone,
                consignee_name: e.parties.recipient_name,
                consignee_phone: e.parties.recipient_phone,
                consignee_address: e.parties.recipient_address,
            },
        }
    }
}

/// What the user can do about a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Resolution {
    /// Acknowledge the server's state.
    Dismiss,
    /// Take the same action again (offered only when possible now).
    Retry,
}

mirror_enum!(Resolution, core::Resolution, Dismiss, Retry);

/// What became of one of my actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ActionState {
    /// Waiting for the server.
    Pending,
    /// Applied.
    Confirmed,
    /// Refused.
    Refused,
    /// Withdrawn before it was sent.
    Withdrawn,
}

mirror_enum!(
    ActionState,
    core::ActionState,
    Pending,
    Confirmed,
    Refused,
    Withdrawn
);

/// One line of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryEntry {
    /// My action, or the server's new status.
    pub event: String,
    /// Whether I did it on this device.
    pub by_me: bool,
    /// When.
    pub at: SystemTime,
    /// Note of an exception report.
    pub note: Option<String>,
    /// What became of my action.
    pub state: Option<ActionState>,
}

impl From<core::HistoryEntry> for HistoryEntry {
    fn from(h: core::HistoryEntry) -> Self {
        HistoryEntry {
            event: h.event,
            by_me: h.by_me,
            at: h.at.into(),
            note: h.note,
            state: h.state.map(Into::into),
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// Downloads open offers near a point (sent rounded to ~1 km) into the cache.
    #[uniffi::method(default(call))]
    pub async fn refresh_open_orders(
        &self,
        near: LatLon,
        radius_m: u32,
        call: Option<Arc<CallToken>>,
    ) -> Result<Vec<Order>> {
        Ok(list(
            guarded(call, self.inner.refresh_open_orders(near.into(), radius_m)).await?,
        ))
    }

    /// Orders from the cache; works offline.
    pub fn orders(&self, which: OrderList) -> Result<Vec<Order>> {
        Ok(list(self.inner.orders(which.into())?))
    }

    /// One order from the cache.
    pub fn order(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.order(&order_id)?.into())
    }

    /// Accepts an offer; durable on return, pushed by the next `sync`.
    pub fn accept_order(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.accept_order(&order_id)?.into())
    }

    /// Goods loaded (accepted → picked up); works offline.
    pub fn pick_up(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.pick_up(&order_id)?.into())
    }

    /// Signed off (picked up → delivered); works offline.
    pub fn deliver(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.deliver(&order_id)?.into())
    }

    /// The driver reached stop `stop_index` of the route; works offline.
    pub fn arrive(&self, order_id: String, stop_index: u32) -> Result<Order> {
        Ok(self.inner.arrive(&order_id, stop_index)?.into())
    }

    /// The driver agreed a delivery time with the consignee; works offline.
    pub fn set_appointment(&self, order_id: String, at: std::time::SystemTime) -> Result<Order> {
        Ok(self.inner.set_appointment(&order_id, at.into())?.into())
    }

    /// Reports a problem on an order; works offline.
    pub fn report_exception(&self, order_id: String, note: String) -> Result<Order> {
        Ok(self.inner.report_exception(&order_id, &note)?.into())
    }

    /// A shipper places an errand (offline-capable); `may_share_parties`: the user
    /// confirmed they may give the sender's and recipient's data.
    pub fn place_errand(&self, errand: NewErrand, may_share_parties: bool) -> Result<Order> {
        Ok(self
            .inner
            .place_errand(&errand.into(), may_share_parties)?
            .into())
    }

    /// A shipper cancels an errand not yet delivered (offline-capable).
    pub fn cancel_errand(&self, order_id: String) -> Result<Order> {
        Ok(self.inner.cancel_errand(&order_id)?.into())
    }

    /// Edits the note of a queued exception report; false if already sent.
    pub fn edit_pending_note(&self, seq: i64, note: String) -> Result<bool> {
        Ok(self.inner.edit_pending_note(seq, &note)?)
    }

    /// An order's history: my actions with their fate, and the server's changes.
    pub fn order_history(&self, order_id: String) -> Result<Vec<HistoryEntry>> {
        Ok(list(self.inner.order_history(&order_id)?))
    }

    /// The order a scanned waybill code names, from the cache (offline); `NoOrder` is an
    /// answer, not an error.
    pub fn find_by_code(&self, scanned: String) -> Result<ScanMatch> {
        Ok(self.inner.find_by_code(&scanned)?.into())
    }

    /// Whether the scanned parcel is the one `order_id` names (offline).
    pub fn check_parcel(&self, order_id: String, scanned: String) -> Result<ParcelCheck> {
        Ok(self.inner.check_parcel(&order_id, &scanned)?.into())
    }

    /// Orders whose id, places or goods contain `text`; offline.
    pub fn search_orders(&self, text: String) -> Result<Vec<Order>> {
        Ok(list(self.inner.search_orders(&text)?))
    }

    /// Settles a rejection with one of its choices.
    pub fn resolve_rejection(&self, id: i64, resolution: Resolution) -> Result<()> {
        Ok(self.inner.resolve_rejection(id, resolution.into())?)
    }

    /// Queued actions with their retry state.
    pub fn pending(&self) -> Result<Vec<PendingAction>> {
        Ok(list(self.inner.pending()?))
    }

    /// Withdraws a queued action and the later ones of its order.
    pub fn cancel_pending(&self, seq: i64) -> Result<u32> {
        Ok(self.inner.cancel_pending(seq)?)
    }

    /// Local actions waiting for the server.
    pub fn pending_actions(&self) -> Result<u32> {
        Ok(self.inner.pending_actions()?)
    }

    /// Refusals not yet dismissed.
    pub fn rejections(&self) -> Result<Vec<Rejection>> {
        Ok(list(self.inner.rejections()?))
    }

    /// Forgets a refusal the user has seen.
    pub fn dismiss_rejection(&self, id: i64) -> Result<()> {
        Ok(self.inner.dismiss_rejection(id)?)
    }

    /// The parties' contact of an order: full only if `reveal` and the order is open and
    /// this driver's; masked otherwise.
    pub fn order_contact(&self, order_id: String, reveal: bool) -> Result<Option<OrderContact>> {
        Ok(self.inner.order_contact(&order_id, reveal)?.map(Into::into))
    }

    /// Signs off away from the drop-off stop, with the driver's reason.
    pub fn deliver_with_override(&self, order_id: String, reason: String) -> Result<Order> {
        Ok(self
            .inner
            .deliver_with_override(&order_id, Some(&reason))?
            .into())
    }
}

/// What a scanned waybill code names on this device.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ScanMatch {
    /// An order this driver holds, or an errand this shipper placed.
    Mine {
        /// The order.
        order: Order,
    },
    /// An open offer in the cache.
    Offer {
        /// The offer.
        order: Order,
    },
    /// No order of this device.
    NoOrder {
        /// The waybill number read.
        number: String,
    },
}

impl From<core::ScanMatch> for ScanMatch {
    fn from(m: core::ScanMatch) -> Self {
        match m {
            core::ScanMatch::Mine(order) => ScanMatch::Mine {
                order: order.into(),
            },
            core::ScanMatch::Offer(order) => ScanMatch::Offer {
                order: order.into(),
            },
            core::ScanMatch::NoOrder { number } => ScanMatch::NoOrder { number },
        }
    }
}

/// Whether a scanned parcel is the one an order names.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ParcelCheck {
    /// It is.
    Matches,
    /// It belongs to another order of this device.
    OtherOrder {
        /// That order.
        order_id: String,
    },
    /// It names no order of this device.
    NoOrder {
        /// The waybill number read.
        number: String,
    },
}

impl From<core::ParcelCheck> for ParcelCheck {
    fn from(c: core::ParcelCheck) -> Self {
        match c {
            core::ParcelCheck::Matches => ParcelCheck::Matches,
            core::ParcelCheck::OtherOrder { order_id } => ParcelCheck::OtherOrder { order_id },
            core::ParcelCheck::NoOrder { number } => ParcelCheck::NoOrder { number },
        }
    }
}

/// Where the courier of an errand stands, as its shipper sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CourierState {
    /// Not picked up yet: no position.
    NotPickedUp,
    /// Between pickup and delivery: positions.
    InTransit,
    /// Delivered: no position any more.
    Delivered,
    /// Cancelled: nothing.
    Cancelled,
}

mirror_enum!(
    CourierState,
    core::protocol::CourierState,
    NotPickedUp,
    InTransit,
    Delivered,
    Cancelled
);

/// One position of the courier.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct CourierPoint {
    /// When.
    pub at: SystemTime,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl From<core::protocol::TrackPoint> for CourierPoint {
    fn from(p: core::protocol::TrackPoint) -> Self {
        let at = SystemTime::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(p.t_ms).unwrap_or(0));
        CourierPoint {
            at,
            lat: p.lat,
            lon: p.lon,
        }
    }
}

/// The courier of an errand, as its shipper follows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CourierTrack {
    /// Where the errand stands.
    pub state: CourierState,
    /// The route since pickup, oldest first (empty unless in transit).
    pub route: Vec<CourierPoint>,
    /// The latest position (in transit only).
    pub latest: Option<CourierPoint>,
    /// Metres covered since pickup.
    pub covered_m: f64,
    /// Metres left in a straight line to the drop-off, when known.
    pub left_m: Option<f64>,
}

impl From<core::CourierTrack> for CourierTrack {
    fn from(t: core::CourierTrack) -> Self {
        CourierTrack {
            state: t.state.into(),
            route: list(t.route),
            latest: t.latest.map(Into::into),
            covered_m: t.covered_m,
            left_m: t.left_m,
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// The courier of this shipper's errand between pickup and delivery (each call fetches
    /// only what is new; the route stays in memory).
    #[uniffi::method(default(call))]
    pub async fn follow_courier(
        &self,
        order_id: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<CourierTrack> {
        Ok(guarded(call, self.inner.follow_courier(&order_id))
            .await?
            .into())
    }
}

/// One contact the person picked in the OS contact picker (never a list).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PickedContact {
    /// The contact's name as the picker gave it.
    pub name: String,
    /// The number the person chose.
    pub phone: String,
}

#[uniffi::export]
impl Waybill {
    /// Checks one picked contact for a sender or recipient (P-21): under `contact_pick`
    /// with the contacts permission; kept only as the errand's party once placed.
    pub fn pick_contact(&self, contact: PickedContact) -> Result<PickedContact> {
        let picked = self.inner.pick_contact(&core::PickedContact {
            name: contact.name,
            phone: contact.phone,
        })?;
        Ok(PickedContact {
            name: picked.name,
            phone: picked.phone,
        })
    }

    /// The person's position for the pickup point (P-13): under `locate_me` with the
    /// location permission, rounded to about 100 m, not kept.
    pub fn locate_me(&self, at: LatLon) -> Result<LatLon> {
        Ok(self.inner.locate_me(at.into())?.into())
    }
}
