//! Push (P-23): the token the device's push service issued, kept (sealed) and sent to
//! the server only under the `push_notifications` consent with the notifications
//! permission granted. A refusal keeps it off the device and off the server; a withdrawal
//! (or the permission turned off) purges it and the next sync tells the server to forget
//! it (P-63). A push names a topic only; the client turns it into a targeted sync. Without
//! push the app polls: status never depends on it.

use std::sync::Arc;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use waybill_protocol::push::{PushPlatform, PushToken};

use crate::db::StorageResult;
use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::privacy::gate::Gate;
use crate::privacy::holdings::{Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::session::Session;

/// The manifest category of a push token.
const CATEGORY: &str = "device_info";

/// Where the device's push registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushState {
    /// No token on the device (none given, refused or withdrawn); the app polls.
    Off,
    /// A token is held and goes to the server at the next sync.
    Waiting,
    /// The server holds the token under the current session.
    Registered,
}

/// What the next sync owes the server.
enum Owed {
    Nothing,
    Register(PushToken, String),
    Forget,
}

/// The push engine.
pub(crate) struct Push {
    services: Arc<Services>,
    gate: Arc<Gate>,
}

impl Push {
    /// The engine over the shared services.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>) -> Push {
        Push { services, gate }
    }

    /// Keeps the token the push service gave (first or rotated), for the next sync to
    /// register. Refused with `ConsentRequired` / `PermissionRequired` without the
    /// purpose's basis: then nothing is kept.
    pub(crate) fn set_token(&self, token: &str, platform: PushPlatform) -> Result<PushState> {
        let wire = PushToken {
            token: token.to_string(),
            platform,
        };
        if !wire.is_valid() {
            return Err(Error::InvalidInput {
                reason: "push token: 1..=4096 printable ASCII characters".into(),
            });
        }
        let basis = self.gate.check(Purpose::PushNotifications)?;
        self.services.db.write(|tx| {
            tx.execute(
                "INSERT INTO push_token (id, purpose, token, platform, sent_under, updated_at)
                 VALUES (1, ?1, seal(?2, 'push_token.token', 1), ?3, NULL, ?4)
                 ON CONFLICT (id) DO UPDATE SET purpose = ?1,
                     token = seal(?2, 'push_token.token', 1), platform = ?3, sent_under = NULL,
                     updated_at = ?4",
                params![
                    Purpose::PushNotifications.id(),
                    token,
                    platform.as_str(),
                    Utc::now().to_rfc3339()
                ],
            )?;
            self.gate
                .record(tx, DataAction::Collected, &basis, &[CATEGORY], 1)?;
            Ok::<_, Error>(())
        })?;
        Ok(PushState::Waiting)
    }

    /// Where the registration stands under `session` (or none).
    pub(crate) fn state(&self, session: Option<&Session>) -> Result<PushState> {
        let held = self.services.db.read(held)?;
        Ok(match held {
            None => PushState::Off,
            Some((_, under)) if under.is_some() && under == session.map(session_tag) => {
                PushState::Registered
            }
            Some(_) => PushState::Waiting,
        })
    }

    /// The sync step: registers a token the server does not hold under this session, or
    /// tells the server to forget one the device no longer holds. Returns whether a
    /// request was made.
    pub(crate) async fn sync(&self, session: &Session) -> Result<bool> {
        let tag = session_tag(session);
        let owed = self
            .services
            .blocking({
                let tag = tag.clone();
                move |s| {
                    let registered =
                        s.db.read(|c| meta::get(c, MetaKey::PushRegistered))?
                            .is_some();
                    Ok(match s.db.read(held)? {
                        Some((wire, under)) if under.as_deref() != Some(tag.as_str()) => {
                            Owed::Register(wire, tag)
                        }
                        Some(_) => Owed::Nothing,
                        None if registered => Owed::Forget,
                        None => Owed::Nothing,
                    })
                }
            })
            .await?;
        match owed {
            Owed::Nothing => Ok(false),
            Owed::Register(wire, tag) => {
                let basis = self.gate.ticket(Purpose::PushNotifications).await?;
                self.services
                    .api
                    .put_push_token(&basis, &session.token, &wire)
                    .await?;
                let gate = Arc::clone(&self.gate);
                self.services
                    .blocking(move |s| {
                        s.db.write(|tx| {
                            // Only the token just sent: one a purge removed meanwhile stays gone.
                            let n = tx.execute(
                                "UPDATE push_token SET sent_under = ?1 WHERE id = 1",
                                [&tag],
                            )?;
                            meta::set(tx, MetaKey::PushRegistered, "1")?;
                            if n == 1 {
                                gate.record(tx, DataAction::Sent, &basis, &[CATEGORY], 1)?;
                            }
                            Ok::<_, Error>(())
                        })
                    })
                    .await?;
                Ok(true)
            }
            Owed::Forget => {
                self.services.api.delete_push_token(&session.token).await?;
                self.services
                    .blocking(|s| {
                        s.db.write(|tx| {
                            meta::delete(tx, MetaKey::PushRegistered)?;
                            Ok::<_, Error>(())
                        })
                    })
                    .await?;
                Ok(true)
            }
        }
    }
}

/// The token held and the session tag it was registered under, if any.
fn held(conn: &Connection) -> StorageResult<Option<(PushToken, Option<String>)>> {
    let row = conn
        .query_row(
            "SELECT unseal(token, 'push_token.token', 1), platform, sent_under
             FROM push_token WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(|(token, platform, under)| {
        let platform = PushPlatform::parse(&platform)?;
        Some((PushToken { token, platform }, under))
    }))
}

/// Names a session without keeping its secret: a new sign-in (a new device row on the
/// server, which drops the old row's token) gets a new tag, so the token is sent again.
fn session_tag(session: &Session) -> String {
    waybill_protocol::hex(&Sha256::digest(session.token.as_bytes()))[..16].to_string()
}

/// The push engine's personal table.
pub const HOLDINGS: &[Holding] = &[Holding {
    table: "push_token",
    categories: "'device_info'",
    purpose: "purpose",
    written_for: &[Purpose::PushNotifications],
    // Kept while the consent lasts (the manifest: until the account closes); a withdrawal
    // or the permission turned off purges it.
    clock: |_: RetentionStart| None,
    needed_for_open_order: None,
    order_bound: false,
}];

/// The push engine's table, column by column (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[TableDecl {
    table: "push_token",
    held: Held::ForPurpose,
    personal: &["token", "updated_at"],
    plain: &["id", "purpose", "platform", "sent_under"],
    why_plain: "the row's fixed id, the purpose, the push service's name and a hash naming \
                the session it was sent under",
}];
