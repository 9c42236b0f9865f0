//! The person's account as the app sees it: sign-in by code, the devices, sign-out,
//! step-up, guest browsing, and what happens locally when the account is closed,
//! suspended or signed out elsewhere.

use std::sync::Arc;

use waybill_protocol::account::{AccountInfo, CodeSent};
use waybill_protocol::{LatLon, RightKind};

use super::Waybill;
use crate::account::real_name::RealNameState;
use crate::account::{AccountState, SignedIn};
use crate::error::{Error, Result};
use crate::observe::Topic;
use crate::orders::Order;
use crate::privacy::rights::RightsRequest;
use crate::proof::ProofSource;

impl Waybill {
    /// Sends a one-time code to the number the person typed (any usual format; full-width
    /// digits too). The age question comes first (`AgeNotDeclared`); the account purpose
    /// must be allowed; `RateLimited` says when to ask again.
    pub async fn request_sign_in_code(&self, phone: &str) -> Result<CodeSent> {
        let account = Arc::clone(&self.account);
        let phone = phone.to_string();
        let sent = self
            .run(async move { account.request_code(&phone).await })
            .await?;
        self.notify(&[Topic::Privacy]);
        Ok(sent)
    }

    /// Signs in to the number's account with the code it received (opening the account if
    /// the number has none). Orders the account holds on other devices arrive with the
    /// next sync. `CodeInvalid` for a wrong, expired or used code.
    pub async fn sign_in_with_code(&self, phone: &str, code: &str) -> Result<SignedIn> {
        let account = Arc::clone(&self.account);
        let (phone, code) = (phone.to_string(), code.to_string());
        let signed = self
            .run(async move { account.sign_in_with_code(&phone, &code).await })
            .await?;
        self.notify(&[Topic::Orders, Topic::Privacy]);
        Ok(signed)
    }

    /// Renews this device's session with its key (no code), returning the account id;
    /// without network traffic while a session is held. `SignInRequired` on a device that
    /// was never signed in or was signed out from another device.
    pub async fn sign_in(&self) -> Result<String> {
        let account = Arc::clone(&self.account);
        let id = self.run(async move { account.sign_in().await }).await?;
        self.notify(&[Topic::Privacy]);
        Ok(id)
    }

    /// How the account stands on this device (guest, signed in, signed out, suspended,
    /// closed). Local only.
    pub fn account_state(&self) -> Result<AccountState> {
        self.account.state()
    }

    /// The account (number masked) and the devices signed in to it.
    pub async fn account_devices(&self) -> Result<AccountInfo> {
        let account = Arc::clone(&self.account);
        self.run(async move { account.account_info().await }).await
    }

    /// Signs another device of the account out (a lost or old phone): its token and key
    /// stop working at once; its unsent work is refused if it ever comes back.
    pub async fn sign_out_device(&self, device_id: &str) -> Result<()> {
        let account = Arc::clone(&self.account);
        let id = device_id.to_string();
        self.run(async move { account.sign_out_device(&id).await })
            .await
    }

    /// Signs this device out (or every device of the account) and wipes what this device
    /// holds, as a fresh install. Unsent work is lost: sync first.
    pub async fn sign_out(&self, everywhere: bool) -> Result<()> {
        let account = Arc::clone(&self.account);
        self.run(async move { account.sign_out(everywhere).await })
            .await?;
        self.wipe_local(false)?;
        tracing::info!(everywhere, "signed out; local data wiped");
        self.notify(&[Topic::Orders, Topic::Privacy]);
        Ok(())
    }

    /// Sends a step-up code to the account's number: export requests, corrections,
    /// deletions and the cancellation each need a fresh one.
    pub async fn request_step_up_code(&self) -> Result<CodeSent> {
        let account = Arc::clone(&self.account);
        self.run(async move { account.request_step_up_code().await })
            .await
    }

    /// Files a rights request (access, correction, deletion) with the policy's deadline
    /// and the step-up code sent for it; sync submits it. Without a code (or when the
    /// server refuses it) the request waits for one ([`Waybill::confirm_rights_request`]).
    /// A deletion also erases at once what the device holds (files too), except what an
    /// order the driver still carries needs. To close the account use
    /// [`Waybill::cancel_account`].
    pub fn request_right(
        &self,
        kind: RightKind,
        detail: &str,
        step_up_code: Option<&str>,
    ) -> Result<RightsRequest> {
        let decided = self.privacy.request_right(kind, detail, step_up_code)?;
        self.decided(decided)
    }

    /// Gives a request that waits for a step-up code a new one; the next sync sends it.
    pub fn confirm_rights_request(&self, request_id: &str, step_up_code: &str) -> Result<()> {
        self.privacy
            .confirm_rights_request(request_id, step_up_code)?;
        self.notify(&[Topic::Privacy]);
        Ok(())
    }

    /// Closes the account with a fresh step-up code: the request reaches the server first
    /// (it closes the account and revokes every device), then everything local is wiped
    /// (database and proof files) and the client is as freshly installed. Offline, the
    /// request stays queued with its code and the next `sync` finishes the job; nothing is
    /// wiped before the server has it. A refused code is `CodeInvalid` and nothing changes.
    pub async fn cancel_account(&self, step_up_code: &str) -> Result<()> {
        self.privacy.cancellation_request(step_up_code)?;
        self.notify(&[Topic::Privacy]);
        self.finish_cancellation().await
    }

    /// Sends the queued cancellation (with its code) and wipes once the server has it.
    pub(super) async fn finish_cancellation(&self) -> Result<()> {
        let Some((request, code)) = self.privacy.sendable_cancellation()? else {
            return Err(Error::StepUpRequired);
        };
        let (account, privacy) = (Arc::clone(&self.account), Arc::clone(&self.privacy));
        let outcome = self
            .run(async move {
                let session = account.session().await?;
                privacy.send_cancellation(&session, &request, &code).await
            })
            .await;
        match outcome {
            // Closed already: an earlier attempt's reply was lost (`run` wiped on 410).
            Ok(()) | Err(Error::AccountClosed) => {}
            Err(e) => return Err(e),
        }
        self.wipe_local(true)?;
        tracing::info!("account cancelled; local data wiped");
        self.notify(&[Topic::Orders, Topic::Privacy]);
        Ok(())
    }

    /// Takes the shipper's optional real-name check (ID card photo and face image, each a
    /// JPEG or PNG up to 4 MiB, stripped of metadata and sealed) under its own separate
    /// consent, and sends it now if the server can be reached (else with the next sync).
    /// Once the server has decided, the images are deleted from the device; only the
    /// outcome and its time stay. Refusing it blocks no other function.
    pub async fn verify_real_name(
        &self,
        id_card: ProofSource,
        face: ProofSource,
    ) -> Result<RealNameState> {
        let account = Arc::clone(&self.account);
        let outcome = self
            .run(async move { account.verify_real_name(id_card, face).await })
            .await;
        self.notify(&[Topic::Privacy]);
        outcome?;
        self.account.real_name_state()
    }

    /// Where the real-name check stands (unverified, waiting to be sent, verified at…,
    /// rejected). Local only.
    pub fn real_name_state(&self) -> Result<RealNameState> {
        self.account.real_name_state()
    }

    /// Deletes the real-name outcome here and on the server; `RecentDelivery` while a
    /// delivery of the account is under seven days old (seed 000).
    pub async fn delete_real_name(&self) -> Result<()> {
        let last = self.orders.last_delivery()?;
        let account = Arc::clone(&self.account);
        self.run(async move { account.delete_real_name(last).await })
            .await?;
        self.notify(&[Topic::Privacy]);
        Ok(())
    }

    /// Open offers near `near` for someone not signed in (browsing needs no account): the
    /// position is rounded to about a kilometre, no credential or installation id is
    /// sent, and nothing is stored. Under the location purpose like a driver's search.
    pub async fn browse_offers_as_guest(&self, near: LatLon) -> Result<Vec<Order>> {
        if !near.is_on_earth() {
            return Err(Error::InvalidInput {
                reason: "position out of range".into(),
            });
        }
        let orders = Arc::clone(&self.orders);
        self.run(async move { orders.guest_offers(near).await })
            .await
    }

    /// Wipes what this device holds (database and proof files): as freshly installed.
    /// Wipes what is local. `closing`: the account is gone, so every SDK that received
    /// data is owed a "forget" (P-63); owed ones outlive the wipe either way.
    pub(super) fn wipe_local(&self, closing: bool) -> Result<()> {
        self.orders.forget_followed();
        let owed = self.privacy.owe_forgets(closing)?;
        self.services.db.wipe()?;
        self.privacy.restore_forgets(&owed)?;
        self.tracker.drop_pending();
        self.privacy.reinstall_builtin()?;
        self.after_purge(false)
    }

    /// The server said the account was closed (on another device, or by this one whose
    /// reply was lost): local account data goes, and the state says `Closed`.
    pub(super) fn closed_elsewhere(&self) -> Result<()> {
        self.wipe_local(true)?;
        self.account.mark_closed()?;
        tracing::info!("account closed on the server; local data wiped");
        self.notify(&[Topic::Orders, Topic::Privacy]);
        Ok(())
    }
}
