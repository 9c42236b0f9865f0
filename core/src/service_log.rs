//! The service log (P-37, the driver manifest's optional `service_logs` purpose): what the
//! driver did and when (appointment, navigation, pickup, arrival, sign-off), recorded only
//! while that consent holds, kept on the device only until the server holds it, then
//! deleted. An event names its kind, the order and the time; never a person, a place or
//! a note. The server files it as a network log (`network_log_180d`) and sweeps it after
//! 180 days; a withdrawal purges what was not sent yet.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use waybill_protocol::service_log::{MAX_EVENTS, ServiceEvent, ServiceEventKind, ServiceEvents};

use crate::db::StorageResult;
use crate::error::{Error, Result};
use crate::privacy::gate::Gate;
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::session::Session;
use crate::ticket::Ticket;

/// The manifest category of an event.
const CATEGORY: &str = "service_logs";

/// The service-log engine.
pub(crate) struct ServiceLog {
    services: Arc<Services>,
    gate: Arc<Gate>,
}

impl ServiceLog {
    /// The engine over the shared services.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>) -> ServiceLog {
        ServiceLog { services, gate }
    }

    /// The basis to log under now, if the person allowed it (checked before a write that
    /// logs, outside its transaction).
    pub(crate) fn basis(&self) -> Option<Ticket> {
        // An app whose policy has no service log (the shipper's) skips the ledger read
        // the gate would make at every action only to refuse.
        self.gate.manifest().purpose(Purpose::ServiceLogs.id())?;
        self.gate.check(Purpose::ServiceLogs).ok()
    }

    /// Records `kind` in its own transaction, if the person allowed it.
    pub(crate) fn record(&self, kind: ServiceEventKind, order_id: Option<&str>) {
        let Some(basis) = self.basis() else { return };
        let written = self
            .services
            .db
            .write(|tx| self.record_in(tx, &basis, kind, order_id));
        if let Err(err) = written {
            // A log line lost is not the person's loss: the action itself is stored.
            tracing::warn!(error = %err, "service event not recorded");
        }
    }

    /// Records `kind` inside the caller's transaction, under `basis` (the orders engine
    /// logs an action with the action's own write, so neither exists without the other).
    pub(crate) fn record_in(
        &self,
        tx: &Transaction<'_>,
        basis: &Ticket,
        kind: ServiceEventKind,
        order_id: Option<&str>,
    ) -> StorageResult<()> {
        insert(tx, &self.gate, basis, kind, order_id, Utc::now())
    }

    /// Sends what is held, oldest first, in batches, and deletes each batch the server
    /// holds. Returns the events sent. Without a basis nothing is sent (a withdrawal's
    /// purge deletes them).
    pub(crate) async fn upload(&self, session: &Session, deadline: Option<Instant>) -> Result<u32> {
        let mut sent = 0;
        while deadline.is_none_or(|d| Instant::now() < d) {
            let batch = self
                .services
                .blocking(|s| Ok(s.db.read(|c| oldest(c, MAX_EVENTS))?))
                .await?;
            if batch.is_empty() {
                break;
            }
            let Ok(basis) = self.gate.ticket(Purpose::ServiceLogs).await else {
                break;
            };
            let body = ServiceEvents { events: batch };
            let ids: Vec<String> = body.events.iter().map(|e| e.event_id.clone()).collect();
            match self
                .services
                .api
                .send_service_events(&basis, &session.token, &body)
                .await
            {
                Ok(_) => {}
                // A batch the server refuses for what it holds would block every later
                // one: a log is dropped, never retried for ever.
                Err(crate::net::NetError::Rejected { status, body })
                    if status == 400 || status == 422 =>
                {
                    tracing::warn!(status, reason = %body.message, "service events refused; dropped");
                }
                // Over the server's daily cap, or the server failing: the log waits for a
                // later sync; the rest of this one (the change feed, receipts) goes on.
                Err(
                    crate::net::NetError::RateLimited { .. } | crate::net::NetError::Status { .. },
                ) => {
                    tracing::info!("service events wait for a later sync");
                    break;
                }
                Err(e) => return Err(e.into()),
            }
            let gate = Arc::clone(&self.gate);
            let n = ids.len();
            self.services
                .blocking(move |s| {
                    s.db.write(|tx| {
                        delete(tx, &ids)?;
                        gate.record(tx, DataAction::Sent, &basis, &[CATEGORY], n)?;
                        Ok::<_, Error>(())
                    })
                })
                .await?;
            sent += u32::try_from(n).unwrap_or(u32::MAX);
        }
        Ok(sent)
    }
}

/// The export's section: the events not sent yet (what was sent is the server's).
pub(crate) fn export_sections(
    conn: &Connection,
) -> StorageResult<crate::privacy::export::Sections> {
    let events = oldest(conn, usize::MAX)?;
    Ok(vec![("service_events_unsent", serde_json::json!(events))])
}

fn insert(
    tx: &Transaction<'_>,
    gate: &Gate,
    basis: &Ticket,
    kind: ServiceEventKind,
    order_id: Option<&str>,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    tx.prepare_cached(
        "INSERT INTO service_events (event_id, purpose, kind, order_id, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        Purpose::ServiceLogs.id(),
        kind.as_str(),
        order_id,
        now.to_rfc3339()
    ])?;
    gate.record(tx, DataAction::Collected, basis, &[CATEGORY], 1)
}

fn oldest(conn: &Connection, limit: usize) -> StorageResult<Vec<ServiceEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT event_id, kind, order_id, at FROM service_events ORDER BY at, event_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        let kind: String = r.get(1)?;
        let at: String = r.get(3)?;
        Ok((r.get(0)?, kind, r.get(2)?, at))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (event_id, kind, order_id, at): (String, String, Option<String>, String) = row?;
        // Rows this engine wrote parse; anything else is skipped, not sent.
        let (Some(kind), Ok(at)) = (
            ServiceEventKind::parse(&kind),
            DateTime::parse_from_rfc3339(&at),
        ) else {
            continue;
        };
        events.push(ServiceEvent {
            event_id,
            kind,
            order_id,
            at: at.with_timezone(&Utc),
        });
    }
    Ok(events)
}

fn delete(tx: &Transaction<'_>, ids: &[String]) -> StorageResult<()> {
    let mut stmt = tx.prepare_cached("DELETE FROM service_events WHERE event_id = ?1")?;
    for id in ids {
        stmt.execute([id])?;
    }
    Ok(())
}

/// The service log's personal table.
pub const HOLDINGS: &[Holding] = &[Holding {
    table: "service_events",
    categories: "'service_logs'",
    purpose: "purpose",
    written_for: &[Purpose::ServiceLogs],
    clock: |from| match from {
        RetentionStart::Collected => Some(Clock::Column("at")),
        // Sent means deleted: a row never outlives its upload.
        RetentionStart::Uploaded | RetentionStart::OrderClosed | RetentionStart::AccountClosed => {
            None
        }
    },
    needed_for_open_order: None,
    order_bound: false,
}];

/// The service log's table, column by column (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[TableDecl {
    table: "service_events",
    held: Held::ForPurpose,
    personal: &["order_id", "at"],
    plain: &["event_id", "purpose", "kind"],
    why_plain: "a random id, the purpose and the kind of event",
}];
