//! Push (P-23) through the client: the token the shell's push SDK gave, where its
//! registration stands, and a received push turned into the sync it asks for.

use std::sync::Arc;

use waybill_protocol::push::{PushData, PushPlatform, PushTopic};

use super::Waybill;
use crate::error::{Error, Result};
use crate::observe::Topic;
use crate::push::PushState;

/// What a received push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushRefresh {
    /// What the push asked to refresh.
    pub topic: PushTopic,
    /// Orders (or notices) the targeted sync brought.
    pub pulled: u32,
}

impl Waybill {
    /// Keeps the token the push SDK gave (FCM, APNs, Huawei, Umeng), first or rotated; the
    /// next sync registers it. Only under the `push_notifications` consent with the
    /// notifications permission granted (`ConsentRequired` / `PermissionRequired`
    /// otherwise, and nothing is kept): without it the app polls.
    pub fn set_push_token(&self, token: &str, platform: PushPlatform) -> Result<PushState> {
        let state = self.push.set_token(token, platform)?;
        self.notify(&[Topic::Privacy]);
        Ok(state)
    }

    /// The service notices kept (security incidents, maintenance, the end of the
    /// service), newest first: shown whatever the settings (P-69).
    pub fn notices(&self) -> Result<Vec<waybill_protocol::notices::Notice>> {
        self.notices.list()
    }

    /// Where the push registration stands (for the settings screen and tests).
    pub fn push_state(&self) -> Result<PushState> {
        let session = self.services.db.read(crate::account::store::load)?;
        self.push.state(session.as_ref())
    }

    /// A push the shell received, its data as the push service delivered it: checked
    /// (anything but a Waybill push is `InvalidInput`, and nothing runs), then the
    /// targeted sync it asks for: the change feed for `orders`, the notices for
    /// `notices`; nothing is sent. A push never carries what changed, only where to look.
    pub async fn handle_push(&self, payload: &str) -> Result<PushRefresh> {
        let data = PushData::parse(payload).ok_or_else(|| Error::InvalidInput {
            reason: "not a Waybill push".into(),
        })?;
        let (account, orders) = (Arc::clone(&self.account), Arc::clone(&self.orders));
        let pulled = match data.refresh {
            PushTopic::Orders => {
                self.run(async move { orders.pull(&account.session().await?).await })
                    .await?
            }
            PushTopic::Notices => {
                let notices = Arc::clone(&self.notices);
                self.run(async move { Ok(notices.pull().await?.kept) })
                    .await?
            }
            PushTopic::Waybills => {
                let waybills = Arc::clone(&self.waybills);
                self.run(async move { waybills.sync(&account.session().await?).await })
                    .await?
            }
        };
        self.notify(&[match data.refresh {
            PushTopic::Orders => Topic::Orders,
            PushTopic::Notices | PushTopic::Waybills => Topic::Privacy,
        }]);
        Ok(PushRefresh {
            topic: data.refresh,
            pulled,
        })
    }
}
