//! Marketing messages (P-64): pulled at sync only while the `marketing` consent is live
//! (no request otherwise), kept sealed for the manifest's 180 days, listed for the app's
//! inbox, each with an unsubscribe: `unsubscribe_marketing` withdraws the consent (a ledger
//! receipt the server sees too, which then serves none), purges what was kept, and no
//! marketing is asked for again until the person opts back in.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use waybill_protocol::notices::{MAX_NOTICES, MarketingMessage};

use crate::db::StorageResult;
use crate::error::{Error, Result};
use crate::privacy::gate::Gate;
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::session::Session;

/// How an unsubscribe is recorded in the ledger (`asked_via`).
pub const UNSUBSCRIBE_VIA: &str = "marketing_unsubscribe";

/// The marketing engine.
pub(crate) struct Marketing {
    services: Arc<Services>,
    gate: Arc<Gate>,
}

impl Marketing {
    /// The engine over the shared services.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>) -> Marketing {
        Marketing { services, gate }
    }

    /// The sync step: the operator's messages, only under a live `marketing` consent.
    /// Returns how many new ones were kept.
    pub(crate) async fn sync(&self, session: &Session) -> Result<u32> {
        let Ok(basis) = self.gate.ticket(Purpose::Marketing).await else {
            return Ok(0);
        };
        let reply = self.services.api.marketing(&basis, &session.token).await?;
        let messages: Vec<MarketingMessage> = reply
            .messages
            .into_iter()
            .filter(MarketingMessage::is_valid)
            .take(MAX_NOTICES)
            .collect();
        let gate = Arc::clone(&self.gate);
        self.services
            .blocking(move |s| {
                s.db.write(|tx| {
                    // A withdrawal between the request and now wins: nothing is kept.
                    if gate.check(Purpose::Marketing).is_err() {
                        return Ok(0);
                    }
                    let mut kept = 0;
                    for m in &messages {
                        kept += tx.execute(
                            "INSERT INTO marketing_messages
                                 (id, purpose, title, body, received_at, published_at)
                             VALUES (?1, ?2, seal(?3, 'marketing_messages.title', ?1),
                                 seal(?4, 'marketing_messages.body', ?1), ?5, ?6)
                             ON CONFLICT (id) DO NOTHING",
                            params![
                                m.id,
                                Purpose::Marketing.id(),
                                m.title,
                                m.body,
                                Utc::now().to_rfc3339(),
                                m.published_at.to_rfc3339()
                            ],
                        )?;
                    }
                    if kept > 0 {
                        gate.record(tx, DataAction::Received, &basis, &["device_info"], kept)?;
                    }
                    Ok::<_, Error>(u32::try_from(kept).unwrap_or(u32::MAX))
                })
            })
            .await
    }

    /// The messages kept, newest first.
    pub(crate) fn messages(&self) -> Result<Vec<MarketingMessage>> {
        Ok(self.services.db.read(list)?)
    }

    /// Whether `id` is a message kept here (an unsubscribe names the message it was on).
    pub(crate) fn holds(&self, id: &str) -> Result<bool> {
        // The id is the plain primary key: no message needs unsealing to answer.
        Ok(self.services.db.read(|c| {
            c.prepare_cached("SELECT 1 FROM marketing_messages WHERE id = ?1")?
                .exists([id])
        })?)
    }
}

fn list(conn: &Connection) -> StorageResult<Vec<MarketingMessage>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, unseal(title, 'marketing_messages.title', id),
                 unseal(body, 'marketing_messages.body', id),
                 coalesce(published_at, received_at) AS at
             FROM marketing_messages ORDER BY at DESC, id",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(id, title, body, at)| MarketingMessage {
            id,
            title,
            body,
            published_at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        })
        .collect())
}

/// Kept messages, for the privacy engine: purged with `marketing`, swept by its period.
pub const HOLDINGS: &[Holding] = &[Holding {
    table: "marketing_messages",
    categories: "'device_info'",
    purpose: "purpose",
    written_for: &[Purpose::Marketing],
    clock: |start| match start {
        RetentionStart::Collected => Some(Clock::Column("received_at")),
        _ => None,
    },
    needed_for_open_order: None,
    order_bound: false,
}];

/// The engine's table, column by column (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[TableDecl {
    table: "marketing_messages",
    held: Held::ForPurpose,
    personal: &["title", "body", "received_at"],
    plain: &["id", "purpose", "published_at"],
    why_plain: "the operator's id of the message, the purpose it is kept for, and when the operator published it (the same for everyone it went to)",
}];
