//! The trajectory engine's upload step: unsent fixes go as simplified, encoded batches,
//! per order batch after batch: first a batch attempted before and not confirmed (same
//! fixes, same key), then new ones. The server also deduplicates points on (order, time).

use std::time::Instant;

use chrono::Utc;
use waybill_protocol::ErrorCode;

use super::tracker::Tracker;
use super::{
    DEFAULT_EPSILON_M, drop_anchor, encode_outgoing, mark_sent, next_batch, orders_with_unsent,
};
use crate::error::{Error, Result};
use crate::net::NetError;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::session::Session;

/// What one upload step sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Uploaded {
    /// Batches the server stored.
    pub(crate) batches: u32,
    /// Bytes of those batches (bodies).
    pub(crate) bytes: u64,
}

impl Tracker {
    /// Uploads what is due until `deadline`.
    pub(crate) async fn upload(
        &self,
        session: &Session,
        deadline: Option<Instant>,
    ) -> Result<Uploaded> {
        let services = &self.services;
        let mut report = Uploaded::default();
        let orders = services.blocking(|s| s.db.read(orders_with_unsent)).await?;
        for order_id in orders {
            let in_transit = self.orders.get(&order_id).is_ok_and(|o| o.in_transit());
            while deadline.is_none_or(|d| Instant::now() < d) {
                // The trajectory's own consent: withdrawn means its fixes are gone
                // already, and nothing is sent.
                let Ok(basis) = self.gate.ticket(Purpose::Trajectory).await else {
                    return Ok(report);
                };
                let id = order_id.clone();
                let next = services
                    .blocking(move |s| {
                        s.db.write(|tx| {
                            next_batch(tx, &id, in_transit, Utc::now(), DEFAULT_EPSILON_M)
                        })
                    })
                    .await?;
                let Some(batch) = next else {
                    break;
                };
                let (body, points) = encode_outgoing(&batch, DEFAULT_EPSILON_M);
                let bytes = body.len() as u64;
                match services
                    .api
                    .upload_trajectory(&basis, &session.token, &order_id, &batch.key, body)
                    .await
                {
                    Ok(_) => {}
                    // The server lost the point this batch continues from: send it whole.
                    Err(NetError::Rejected { body, .. })
                        if body.code == ErrorCode::AnchorUnknown =>
                    {
                        let key = batch.key.clone();
                        services
                            .blocking(move |s| s.db.write(|tx| drop_anchor(tx, &key)))
                            .await?;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
                let gate = std::sync::Arc::clone(&self.gate);
                services
                    .blocking(move |s| {
                        s.db.write(|tx| {
                            mark_sent(tx, &batch, Utc::now())?;
                            gate.record(tx, DataAction::Sent, &basis, &["trajectory"], points)?;
                            Ok::<_, Error>(())
                        })
                    })
                    .await?;
                report.batches += 1;
                report.bytes += bytes;
            }
        }
        Ok(report)
    }
}
