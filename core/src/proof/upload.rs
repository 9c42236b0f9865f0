//! The proof engine's upload step: waiting proofs go over tus, the most important first,
//! chunk by chunk; the URL and the confirmed offset are committed after every step, so a
//! resume after a kill or a lost connection costs one HEAD and re-sends at most one chunk.
//! An upload the server lost or let expire starts over; a proof the server already has is
//! done at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use super::proofs::Proofs;
use super::queue;
use super::tus::{Remote, Tus};
use crate::error::{Error, Result};
use crate::observe::Topic;
use crate::privacy::transparency::DataAction;
use crate::session::Session;

/// What one upload step sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Uploaded {
    /// Proofs whose upload completed.
    pub(crate) proofs: u32,
    /// Bytes sent (chunk bodies, including any chunk sent again).
    pub(crate) bytes_sent: u64,
}

/// Rounds one upload may take per step: an upload the server keeps losing is left for
/// the next sync, not retried forever.
const MAX_ROUNDS: u32 = 3;

impl Proofs {
    /// Uploads waiting proofs in `chunk`-byte pieces until `deadline`.
    pub(crate) async fn upload(
        &self,
        session: &Session,
        deadline: Option<Instant>,
        chunk: usize,
    ) -> Result<Uploaded> {
        let services = &self.services;
        let mut report = Uploaded::default();
        let in_time = || deadline.is_none_or(|d| Instant::now() < d);
        let tus = Tus {
            api: &services.api,
            token: &session.token,
        };
        // Uploads of proofs deleted before they completed end on the server first: their
        // bytes have no basis there either.
        for url in services
            .blocking(|s| s.db.read(queue::terminations))
            .await?
        {
            tus.terminate(&url).await?;
            services
                .blocking(move |s| s.db.write(|tx| queue::terminated(tx, &url)))
                .await?;
        }
        let folder = services.proofs_dir();
        let mut checksum: Option<bool> = None;
        let mut rounds: HashMap<String, u32> = HashMap::new();
        while in_time() {
            let Some(p) = services.blocking(|s| s.db.read(queue::next)).await? else {
                return Ok(report);
            };
            // Sent under the purpose it was taken for; withdrawn, it is purged already
            // and nothing is sent.
            let Ok(basis) = self.gate.ticket(p.purpose).await else {
                return Ok(report);
            };
            let round = rounds.entry(p.sha256.clone()).or_default();
            *round += 1;
            if *round > MAX_ROUNDS {
                return Ok(report);
            }
            let remote = match &p.url {
                Some(url) => tus.offset(url).await?,
                None => Remote::Gone,
            };
            let (url, mut offset) = match remote {
                // More than the file: the server is wrong about this upload; start over.
                Remote::At(offset) if offset > p.bytes => {
                    self.save_progress(&p.sha256, None, 0).await?;
                    continue;
                }
                Remote::At(offset) => (p.url.clone().unwrap_or_default(), offset),
                Remote::Gone => {
                    let metadata = [
                        ("order", p.order_id.as_str()),
                        ("kind", &p.kind),
                        ("sha256", &p.sha256),
                        ("filename", &p.file_name),
                    ];
                    let (url, offset) = tus.create(p.bytes, &metadata).await?;
                    // A new upload starts at 0, or the server already has the file;
                    // anything else is not believed.
                    let offset = if offset == p.bytes { offset } else { 0 };
                    self.save_progress(&p.sha256, Some(&url), offset).await?;
                    (url, offset)
                }
            };
            let file = folder.join(&p.file_name);
            while offset < p.bytes && in_time() {
                let len = (p.bytes - offset).min(chunk as u64) as usize;
                let body = super::read_chunk(&services.key, &file, offset, len)?;
                let sent = body.len() as u64;
                let verify = match checksum {
                    Some(v) => v,
                    None => *checksum.insert(tus.verifies_sha1().await?),
                };
                match tus.append(&url, offset, body, verify).await? {
                    // An offset may only move forward, within what was sent; a server
                    // that repeats it (or claims more) ends this round, and the round
                    // limit ends the step.
                    Remote::At(next) if next <= offset || next > offset + sent => {
                        tracing::warn!(
                            sent,
                            moved = next.saturating_sub(offset),
                            "tus server answered an offset that does not follow what was sent"
                        );
                        break;
                    }
                    Remote::At(next) => {
                        report.bytes_sent += sent;
                        offset = next;
                        self.save_progress(&p.sha256, Some(&url), next).await?;
                        services.listeners.notify(Topic::Orders);
                    }
                    Remote::Gone => {
                        // Expired: forget the URL; the next round creates it again.
                        self.save_progress(&p.sha256, None, 0).await?;
                        break;
                    }
                }
            }
            // The photo leaves the device only once the server says it holds every byte
            // (our server also checked the whole file's SHA-256 before saying so).
            if offset == p.bytes && tus.holds_all(&url, p.bytes).await? {
                let (sha, total) = (p.sha256.clone(), p.bytes);
                let gate = Arc::clone(&self.gate);
                services
                    .blocking(move |s| {
                        s.db.write(|tx| {
                            queue::set_done(tx, &sha, total, Utc::now())?;
                            gate.record(tx, DataAction::Sent, &basis, &["proof_photos"], 1)?;
                            Ok::<_, Error>(())
                        })
                    })
                    .await?;
                // The server has it: the photo leaves the device now (seed 002: deleted
                // after upload); its record stays while the order is open.
                let _ = std::fs::remove_file(&file);
                report.proofs += 1;
                services.listeners.notify(Topic::Orders);
            }
        }
        Ok(report)
    }

    /// Commits where the upload of `sha256` stands.
    async fn save_progress(&self, sha256: &str, url: Option<&str>, offset: u64) -> Result<()> {
        let (sha, url) = (sha256.to_string(), url.map(str::to_string));
        self.services
            .blocking(move |s| {
                s.db.write(|tx| queue::set_progress(tx, &sha, url.as_deref(), offset))
            })
            .await
    }
}
