//! Waybill query, the shipper's convenience data and marketing messages (seed 000, P-39,
//! P-64).

use std::sync::Arc;
use std::time::SystemTime;

use waybill_core as core;

use crate::client::{CallToken, guarded};
use crate::error::Result;
use crate::object::Waybill;
use crate::orders::LatLon;
use crate::privacy::Receipt;
use crate::status::OrderStatus;

/// What happened to a waybill's order, as the public may know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MilestoneKind {
    /// Placed.
    Placed,
    /// A driver took it.
    Accepted,
    /// The driver has the goods.
    PickedUp,
    /// The driver reached a stop.
    Arrived,
    /// The driver reported a problem (its words are not public).
    Exception,
    /// The driver gave it up; offered again.
    Released,
    /// Delivered.
    Delivered,
    /// Cancelled.
    Cancelled,
}

mirror_enum!(
    MilestoneKind,
    core::MilestoneKind,
    Placed,
    Accepted,
    PickedUp,
    Arrived,
    Exception,
    Released,
    Delivered,
    Cancelled
);

/// One public milestone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Milestone {
    /// What happened.
    pub kind: MilestoneKind,
    /// When the server recorded it.
    pub at: SystemTime,
}

impl From<core::Milestone> for Milestone {
    fn from(m: core::Milestone) -> Self {
        Milestone {
            kind: m.kind.into(),
            at: m.at.into(),
        }
    }
}

/// A waybill's public status: no person's data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WaybillStatus {
    /// The waybill number.
    pub number: String,
    /// The order's status.
    pub status: OrderStatus,
    /// Its milestones, oldest first.
    pub milestones: Vec<Milestone>,
}

impl From<core::WaybillStatus> for WaybillStatus {
    fn from(w: core::WaybillStatus) -> Self {
        WaybillStatus {
            number: w.number,
            status: w.status.into(),
            milestones: crate::list(w.milestones),
        }
    }
}

/// A waybill looked up or followed, kept on the device (convenience data).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeptWaybill {
    /// The waybill number.
    pub number: String,
    /// Its status when last checked.
    pub status: OrderStatus,
    /// Its milestones when last checked.
    pub milestones: Vec<Milestone>,
    /// Whether this account follows it.
    pub followed: bool,
    /// When the person last looked it up or followed it (retention runs from then).
    pub queried_at: SystemTime,
    /// When the server last told its status.
    pub checked_at: SystemTime,
}

impl From<core::KeptWaybill> for KeptWaybill {
    fn from(w: core::KeptWaybill) -> Self {
        KeptWaybill {
            number: w.number,
            status: w.status.into(),
            milestones: crate::list(w.milestones),
            followed: w.followed,
            queried_at: w.queried_at.into(),
            checked_at: w.checked_at.into(),
        }
    }
}

/// An address of a recent errand.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SavedAddress {
    /// The address as typed.
    pub label: String,
    /// Its point, when the errand had one.
    pub point: Option<LatLon>,
}

impl From<core::SavedAddress> for SavedAddress {
    fn from(a: core::SavedAddress) -> Self {
        SavedAddress {
            label: a.label,
            point: a.point.map(Into::into),
        }
    }
}

/// The sender and item of the last errand.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LastSender {
    /// The sender's name.
    pub name: String,
    /// The sender's phone.
    pub phone: String,
    /// What was sent.
    pub goods: String,
    /// Its weight in kilograms.
    pub weight_kg: f64,
}

impl From<core::LastSender> for LastSender {
    fn from(s: core::LastSender) -> Self {
        LastSender {
            name: s.name,
            phone: s.phone,
            goods: s.goods,
            weight_kg: s.weight_kg,
        }
    }
}

/// A marketing message, shown with its unsubscribe.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MarketingMessage {
    /// The operator's id (what `unsubscribe_marketing` names).
    pub id: String,
    /// The heading.
    pub title: String,
    /// The offer.
    pub body: String,
    /// When it was received.
    pub received_at: SystemTime,
}

impl From<core::MarketingMessage> for MarketingMessage {
    fn from(m: core::MarketingMessage) -> Self {
        MarketingMessage {
            id: m.id,
            title: m.title,
            body: m.body,
            received_at: m.published_at.into(),
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// A waybill's public status by its number (typed or scanned); `None` when no order
    /// has it. Kept in the history only under the `convenience` consent.
    #[uniffi::method(default(call))]
    pub async fn query_waybill(
        &self,
        number: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<Option<WaybillStatus>> {
        Ok(guarded(call, self.inner.query_waybill(&number))
            .await?
            .map(Into::into))
    }

    /// Follows a waybill (the `convenience` consent and a signed-in account).
    #[uniffi::method(default(call))]
    pub async fn follow_waybill(
        &self,
        number: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<WaybillStatus> {
        Ok(guarded(call, self.inner.follow_waybill(&number))
            .await?
            .into())
    }

    /// Stops following a waybill; the server hears at the next sync.
    pub fn unfollow_waybill(&self, number: String) -> Result<bool> {
        Ok(self.inner.unfollow_waybill(&number)?)
    }

    /// Forgets one waybill of the history (and its follow).
    pub fn forget_waybill(&self, number: String) -> Result<bool> {
        Ok(self.inner.forget_waybill(&number)?)
    }

    /// The waybills looked up or followed, most recent first.
    pub fn kept_waybills(&self) -> Result<Vec<KeptWaybill>> {
        Ok(crate::list(self.inner.kept_waybills()?))
    }

    /// The addresses of recent errands, most recent first.
    pub fn saved_addresses(&self) -> Result<Vec<SavedAddress>> {
        Ok(crate::list(self.inner.saved_addresses()?))
    }

    /// The sender and item of the last errand.
    pub fn last_sender(&self) -> Result<Option<LastSender>> {
        Ok(self.inner.last_sender()?.map(Into::into))
    }

    /// Clears every convenience datum at once; returns the rows deleted.
    pub fn clear_convenience(&self) -> Result<u32> {
        Ok(self.inner.clear_convenience()?)
    }

    /// The marketing messages kept, newest first.
    pub fn marketing_messages(&self) -> Result<Vec<MarketingMessage>> {
        Ok(crate::list(self.inner.marketing_messages()?))
    }

    /// A message's unsubscribe: withdraws the `marketing` consent.
    pub fn unsubscribe_marketing(&self, message_id: String) -> Result<Receipt> {
        Ok(self.inner.unsubscribe_marketing(&message_id)?.into())
    }
}
