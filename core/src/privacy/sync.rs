//! The privacy engine's network step: consent receipts the server has not confirmed, and
//! rights requests (filed, then their status read back), plus the account cancellation
//! the client's close-the-account flow sends first.

use waybill_protocol::consent::ConsentReceipts;

use super::engine::Privacy;
use super::ledger;
use super::rights::{self, RightsRequest};
use crate::error::{Error, Result};
use crate::purpose::Purpose;
use crate::session::Session;

impl Privacy {
    /// Sends the consent receipts the server has not confirmed, so it holds the proof of
    /// every decision. Receipts made before sign-in go out with the first sync after it.
    pub(crate) async fn push_receipts(&self, session: &Session) -> Result<u32> {
        let unsent = self
            .services
            .blocking(|s| Ok(s.db.read(ledger::unsent)?))
            .await?;
        if unsent.is_empty() {
            return Ok(0);
        }
        let basis = self.gate.ticket(Purpose::Account).await?;
        let body = ConsentReceipts {
            receipts: unsent.iter().map(|r| r.to_wire()).collect(),
        };
        self.services
            .api
            .send_receipts(&basis, &session.token, &body)
            .await?;
        let seqs: Vec<i64> = unsent.iter().map(|r| r.seq).collect();
        let count = u32::try_from(seqs.len()).unwrap_or(u32::MAX);
        self.services
            .blocking(move |s| Ok(s.db.write(|tx| ledger::mark_sent(tx, &seqs))?))
            .await?;
        Ok(count)
    }

    /// Submits queued rights requests (each id is its idempotency key), then, while any
    /// request waits for an answer, reads their status back from the server.
    pub(crate) async fn push_rights_requests(&self, session: &Session) -> Result<u32> {
        let services = &self.services;
        if !services
            .blocking(|s| Ok(s.db.read(rights::any_open)?))
            .await?
        {
            return Ok(0);
        }
        let basis = self.gate.ticket(Purpose::Account).await?;
        let sendable = services
            .blocking(|s| Ok(s.db.read(rights::sendable)?))
            .await?;
        let mut sent = 0;
        for (request, code) in sendable {
            if request.kind == waybill_protocol::RightKind::Cancellation {
                continue; // the client's close-the-account flow sends it, then wipes
            }
            let filed = services
                .api
                .file_rights_request(&basis, &session.token, &request.to_wire(&code))
                .await
                .map_err(Error::from);
            match filed {
                Ok(state) => {
                    services
                        .blocking(move |s| Ok(s.db.write(|tx| rights::update(tx, &state))?))
                        .await?;
                    sent += 1;
                }
                // The code expired or was wrong: the request waits for a new one.
                Err(Error::StepUpRequired | Error::CodeInvalid) => {
                    let id = request.id.clone();
                    services
                        .blocking(move |s| Ok(s.db.write(|tx| rights::clear_code(tx, &id))?))
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        let states = services.api.rights_requests(&basis, &session.token).await?;
        services
            .blocking(move |s| {
                Ok(s.db.write(|tx| {
                    states
                        .requests
                        .iter()
                        .try_for_each(|state| rights::update(tx, state))
                })?)
            })
            .await?;
        Ok(sent)
    }

    /// Sends the account cancellation `request` with its step-up code (the server closes
    /// the account and revokes every session); a refused code is forgotten.
    pub(crate) async fn send_cancellation(
        &self,
        session: &Session,
        request: &RightsRequest,
        code: &str,
    ) -> Result<()> {
        let basis = self.gate.ticket(Purpose::Account).await?;
        let sent = self
            .services
            .api
            .file_rights_request(&basis, &session.token, &request.to_wire(code))
            .await
            .map(drop)
            .map_err(Error::from);
        if matches!(sent, Err(Error::StepUpRequired | Error::CodeInvalid)) {
            self.refuse_code(&request.id)?;
        }
        sent
    }
}
