//! Push (P-23): the token the shell's push SDK gave, and a received push.

use waybill_core as core;

use std::sync::Arc;

use crate::client::{CallToken, guarded};
use crate::error::Result;
use crate::object::Waybill;

/// The service that delivers the device's pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushPlatform {
    /// Firebase Cloud Messaging.
    Fcm,
    /// Apple Push Notification service.
    Apns,
    /// Huawei Push Kit.
    Huawei,
    /// Umeng push.
    Umeng,
}

mirror_enum!(PushPlatform, core::PushPlatform, Fcm, Apns, Huawei, Umeng);

/// Where the device's push registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushState {
    /// No token on the device; the app polls.
    Off,
    /// A token is held and goes to the server at the next sync.
    Waiting,
    /// The server holds the token.
    Registered,
}

mirror_enum!(PushState, core::PushState, Off, Waiting, Registered);

/// What a push asked to refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushTopic {
    /// The account's orders.
    Orders,
    /// The notices.
    Notices,
    /// The waybills the account follows.
    Waybills,
}

mirror_enum!(PushTopic, core::PushTopic, Orders, Notices, Waybills);

/// What a received push did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PushRefresh {
    /// What it asked to refresh.
    pub topic: PushTopic,
    /// What the targeted sync brought.
    pub pulled: u32,
}

#[uniffi::export]
impl Waybill {
    /// Keeps the push SDK's token (first or rotated) for the next sync to register; only
    /// under the `push_notifications` consent with the notifications permission.
    pub fn set_push_token(&self, token: String, platform: PushPlatform) -> Result<PushState> {
        Ok(self.inner.set_push_token(&token, platform.into())?.into())
    }

    /// Where the push registration stands.
    pub fn push_state(&self) -> Result<PushState> {
        Ok(self.inner.push_state()?.into())
    }

    /// A received push's data: checked, then the targeted sync it asks for.
    #[uniffi::method(default(call))]
    pub async fn handle_push(
        &self,
        payload: String,
        call: Option<Arc<CallToken>>,
    ) -> Result<PushRefresh> {
        let done = guarded(call, self.inner.handle_push(&payload)).await?;
        Ok(PushRefresh {
            topic: done.topic.into(),
            pulled: done.pulled,
        })
    }
}
