//! The waybill query, the shipper's convenience data and marketing messages through the
//! client (seed 000, P-39, P-64).

use std::sync::Arc;

use waybill_protocol::notices::MarketingMessage;
use waybill_protocol::waybills::WaybillStatus;

use super::Waybill;
use crate::convenience::{LastSender, SavedAddress};
use crate::error::{Error, Result};
use crate::observe::Topic;
use crate::privacy::ledger::Receipt;
use crate::purpose::Purpose;
use crate::waybills::KeptWaybill;

impl Waybill {
    /// A waybill's public status by its number (typed, or read off a label by the shell's
    /// scanner: a URL around it is fine); `None` when no order has it. Works signed out
    /// and with every optional purpose refused; kept in the history only under the
    /// `convenience` consent. A mistyped number (check digit) is `InvalidInput`, before
    /// anything is sent.
    pub async fn query_waybill(&self, number: &str) -> Result<Option<WaybillStatus>> {
        let number = crate::orders::scan::waybill_number(number)?;
        let waybills = Arc::clone(&self.waybills);
        let status = self
            .run(async move { waybills.query(&number).await })
            .await?;
        self.notify(&[Topic::Privacy]);
        Ok(status)
    }

    /// Follows a waybill: a `waybills` push (with push allowed) and every sync bring its
    /// changes into [`Waybill::kept_waybills`]. Needs the `convenience` consent and a
    /// signed-in account; `OrderNotFound` when no order has the number.
    pub async fn follow_waybill(&self, number: &str) -> Result<WaybillStatus> {
        let number = crate::orders::scan::waybill_number(number)?;
        let (account, waybills) = (Arc::clone(&self.account), Arc::clone(&self.waybills));
        let status = self
            .run(async move { waybills.follow(&account.session().await?, &number).await })
            .await?;
        self.notify(&[Topic::Privacy]);
        Ok(status)
    }

    /// Stops following a waybill (it stays in the history); the server hears of it at the
    /// next sync. Returns whether it was followed.
    pub fn unfollow_waybill(&self, number: &str) -> Result<bool> {
        let changed = self.waybills.unfollow(number)?;
        self.notify(&[Topic::Privacy]);
        Ok(changed)
    }

    /// Forgets one waybill of the history (and its follow, on the server at the next
    /// sync). Returns whether it was kept.
    pub fn forget_waybill(&self, number: &str) -> Result<bool> {
        let removed = self.waybills.forget(number)?;
        self.services.db.checkpoint()?;
        self.notify(&[Topic::Privacy]);
        Ok(removed)
    }

    /// The waybills looked up or followed, most recent first (convenience data).
    pub fn kept_waybills(&self) -> Result<Vec<KeptWaybill>> {
        self.waybills.kept()
    }

    /// The addresses of the shipper's recent errands, most recent first (kept only under
    /// the `convenience` consent), to fill the next errand's form.
    pub fn saved_addresses(&self) -> Result<Vec<SavedAddress>> {
        self.convenience.addresses()
    }

    /// The sender and item of the last errand (kept only under `convenience`).
    pub fn last_sender(&self) -> Result<Option<LastSender>> {
        self.convenience.last_sender()
    }

    /// Clears every convenience datum (waybill history and follows, addresses, last
    /// sender) at once; the consent stays as it is. Follows end on the server at the next
    /// sync. Returns the rows deleted.
    pub fn clear_convenience(&self) -> Result<u32> {
        let removed = self.privacy.clear(Purpose::Convenience)?;
        self.services.db.checkpoint()?;
        self.notify(&[Topic::Privacy]);
        Ok(removed)
    }

    /// The marketing messages kept, newest first (only ever pulled under the `marketing`
    /// consent).
    pub fn marketing_messages(&self) -> Result<Vec<MarketingMessage>> {
        self.marketing.messages()
    }

    /// The unsubscribe of marketing message `message_id` (P-64): withdraws the
    /// `marketing` consent (a receipt the server gets at the next sync, after which it
    /// serves none), deletes the messages kept, and no marketing is pulled again until
    /// the person opts back in. `InvalidInput` for a message not kept here.
    pub fn unsubscribe_marketing(&self, message_id: &str) -> Result<Receipt> {
        if !self.marketing.holds(message_id)? {
            return Err(Error::InvalidInput {
                reason: "no such marketing message".into(),
            });
        }
        self.decide(
            Purpose::Marketing.id(),
            false,
            crate::marketing::UNSUBSCRIBE_VIA,
        )
    }
}
