//! The person's account: sign-in by phone and code, devices, sign-out, step-up, guest
//! browsing.

use std::time::SystemTime;

use waybill_core as core;

use crate::error::Result;
use crate::list;
use std::sync::Arc;

use crate::client::{CallToken, guarded};
use crate::object::Waybill;
use crate::orders::{LatLon, Order};

/// Where a one-time code went.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeSent {
    /// The number, masked.
    pub phone_masked: String,
    /// Seconds the code is good for.
    pub expires_in_s: u32,
    /// Seconds before another code may be asked.
    pub resend_after_s: u32,
}

impl From<core::protocol::account::CodeSent> for CodeSent {
    fn from(c: core::protocol::account::CodeSent) -> Self {
        CodeSent {
            phone_masked: c.phone_masked,
            expires_in_s: c.expires_in_s,
            resend_after_s: c.resend_after_s,
        }
    }
}

/// A sign-in's outcome.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignedIn {
    /// The person's account, shared by their devices.
    pub account_id: String,
    /// Its number, masked.
    pub phone_masked: String,
    /// True when this sign-in opened the account.
    pub new_account: bool,
}

impl From<core::SignedIn> for SignedIn {
    fn from(s: core::SignedIn) -> Self {
        SignedIn {
            account_id: s.account_id,
            phone_masked: s.phone_masked,
            new_account: s.new_account,
        }
    }
}

/// How the account stands on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AccountState {
    /// Never signed in; offers can be browsed as a guest.
    Guest,
    /// Signed in before, not now: sign in with a code.
    SignedOut {
        /// The number last used, masked.
        phone_masked: String,
    },
    /// Signed in.
    SignedIn {
        /// The account.
        account_id: String,
        /// Its number, masked.
        phone_masked: String,
    },
    /// Suspended by the operator; queued work is kept.
    Suspended {
        /// Its number, masked.
        phone_masked: String,
    },
    /// Closed; local account data was wiped.
    Closed,
}

impl From<core::AccountState> for AccountState {
    fn from(s: core::AccountState) -> Self {
        use core::AccountState as S;
        match s {
            S::Guest => AccountState::Guest,
            S::SignedOut { phone_masked } => AccountState::SignedOut { phone_masked },
            S::SignedIn {
                account_id,
                phone_masked,
            } => AccountState::SignedIn {
                account_id,
                phone_masked,
            },
            S::Suspended { phone_masked } => AccountState::Suspended { phone_masked },
            S::Closed => AccountState::Closed,
        }
    }
}

/// A device signed in to the account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceSession {
    /// The server's id of this sign-in (for `sign_out_device`).
    pub id: String,
    /// The app it runs.
    pub app_id: String,
    /// Its version.
    pub app_version: String,
    /// First sign-in to the account.
    pub signed_in_at: SystemTime,
    /// Last token renewal.
    pub renewed_at: SystemTime,
    /// This device.
    pub current: bool,
}

/// The account and its devices.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountDevices {
    /// The account.
    pub account_id: String,
    /// Its number, masked.
    pub phone_masked: String,
    /// Suspended by the operator.
    pub suspended: bool,
    /// Devices signed in, oldest first.
    pub devices: Vec<DeviceSession>,
}

impl From<core::protocol::account::AccountInfo> for AccountDevices {
    fn from(a: core::protocol::account::AccountInfo) -> Self {
        AccountDevices {
            account_id: a.account_id,
            phone_masked: a.phone_masked,
            suspended: a.status == core::protocol::account::AccountStatus::Suspended,
            devices: a
                .devices
                .into_iter()
                .map(|d| DeviceSession {
                    id: d.id,
                    app_id: d.app_id,
                    app_version: d.app_version,
                    signed_in_at: d.signed_in_at.into(),
                    renewed_at: d.renewed_at.into(),
                    current: d.current,
                })
                .collect(),
        }
    }
}

/// Where the shipper's real-name check stands on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RealNameState {
    /// Never checked (or the outcome was deleted).
    Unverified,
    /// Taken and waiting to be sent (the images are on the device, sealed).
    Pending,
    /// The check passed.
    Verified {
        /// When the server decided.
        at: SystemTime,
    },
    /// The check failed; take the pictures again.
    Rejected {
        /// Why, without personal data.
        reason: String,
    },
}

impl From<core::RealNameState> for RealNameState {
    fn from(s: core::RealNameState) -> Self {
        use core::RealNameState as S;
        match s {
            S::Unverified => RealNameState::Unverified,
            S::Pending => RealNameState::Pending,
            S::Verified { at } => RealNameState::Verified { at: at.into() },
            S::Rejected { reason } => RealNameState::Rejected { reason },
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// The shipper's optional real-name check (separate consent): both images stripped,
    /// sealed, sent, and deleted from the device once the server decided.
    #[uniffi::method(default(call))]
    pub async fn verify_real_name(
        &self,
        id_card: crate::proof::ProofSource,
        face: crate::proof::ProofSource,
        call: Option<Arc<CallToken>>,
    ) -> Result<RealNameState> {
        Ok(guarded(
            call,
            self.inner.verify_real_name(id_card.into(), face.into()),
        )
        .await?
        .into())
    }

    /// Where the real-name check stands. Local only.
    pub fn real_name_state(&self) -> Result<RealNameState> {
        Ok(self.inner.real_name_state()?.into())
    }

    /// Deletes the real-name outcome here and on the server (`RecentDelivery` within seven
    /// days of a delivery).
    #[uniffi::method(default(call))]
    pub async fn delete_real_name(&self, call: Option<Arc<CallToken>>) -> Result<()> {
        Ok(guarded(call, self.inner.delete_real_name()).await?)
    }

    /// Sends a one-time code to the number as typed (age asked first).
    #[uniffi::method(default(call))]
    pub async fn request_sign_in_code(
        &self,
        phone: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<CodeSent> {
        Ok(guarded(call, self.inner.request_sign_in_code(&phone))
            .await?
            .into())
    }

    /// Signs in to the number's account with its code (opening it if new).
    #[uniffi::method(default(call))]
    pub async fn sign_in_with_code(
        &self,
        phone: String,
        code: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<SignedIn> {
        Ok(guarded(call, self.inner.sign_in_with_code(&phone, &code))
            .await?
            .into())
    }

    /// Renews this device's session with its key; `SignInRequired` if it needs a code.
    #[uniffi::method(default(call))]
    pub async fn sign_in(&self, call: Option<Arc<CallToken>>) -> Result<String> {
        Ok(guarded(call, self.inner.sign_in()).await?)
    }

    /// How the account stands on this device. Local only.
    pub fn account_state(&self) -> Result<AccountState> {
        Ok(self.inner.account_state()?.into())
    }

    /// The account and the devices signed in to it.
    #[uniffi::method(default(call))]
    pub async fn account_devices(&self, call: Option<Arc<CallToken>>) -> Result<AccountDevices> {
        Ok(guarded(call, self.inner.account_devices()).await?.into())
    }

    /// Signs another device of the account out.
    #[uniffi::method(default(call))]
    pub async fn sign_out_device(
        &self,
        device_id: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<()> {
        Ok(guarded(call, self.inner.sign_out_device(&device_id)).await?)
    }

    /// Signs this device (or every device) out and wipes what this device holds.
    #[uniffi::method(default(call))]
    pub async fn sign_out(&self, everywhere: bool, call: Option<Arc<CallToken>>) -> Result<()> {
        Ok(guarded(call, self.inner.sign_out(everywhere)).await?)
    }

    /// Sends a step-up code to the account's number (for rights requests).
    #[uniffi::method(default(call))]
    pub async fn request_step_up_code(&self, call: Option<Arc<CallToken>>) -> Result<CodeSent> {
        Ok(guarded(call, self.inner.request_step_up_code())
            .await?
            .into())
    }

    /// Open offers near a coarse position, without an account; nothing is stored.
    #[uniffi::method(default(call))]
    pub async fn browse_offers_as_guest(
        &self,
        near: LatLon,
        call: Option<Arc<CallToken>>,
    ) -> Result<Vec<Order>> {
        Ok(list(
            guarded(call, self.inner.browse_offers_as_guest(near.into())).await?,
        ))
    }
}
