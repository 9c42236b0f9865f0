//! The account engine: this installation's registration with the server and the session
//! it holds. Every network step takes the session from here (through the scheduler); a
//! refused token is forgotten here, so the next sign-in proves the device key again. The
//! device key (ECDSA P-256, sealed in the database under the data key from the platform's
//! secure store) is what signs an installation in: the server takes the installation id
//! only with a fresh proof by that key.

pub mod store;

use std::sync::Arc;

use serde_json::json;
use waybill_protocol::RegisterDevice;

use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::privacy::export::Sections;
use crate::privacy::gate::Gate;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;
use crate::session::{Session, mask_secret};

/// The account engine.
pub(crate) struct Account {
    services: Arc<Services>,
    gate: Arc<Gate>,
}

impl Account {
    /// The engine over the shared services and the gate.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>) -> Account {
        Account { services, gate }
    }

    /// The signed-in account id, if any. Local only.
    pub(crate) fn account_id(&self) -> Result<Option<String>> {
        Ok(self.services.db.read(store::account_id)?)
    }

    /// `NotSignedIn` unless a session is held (local actions need an account to go to).
    pub(crate) fn require_signed_in(&self) -> Result<()> {
        self.account_id()?.map(drop).ok_or(Error::NotSignedIn)
    }

    /// The session, or `NotSignedIn`.
    pub(crate) async fn session(&self) -> Result<Session> {
        self.services
            .blocking(|s| s.db.read(store::load)?.ok_or(Error::NotSignedIn))
            .await
    }

    /// Forgets a session the server refused. Queued actions stay queued.
    pub(crate) async fn forget_session(&self) -> Result<()> {
        tracing::warn!("server refused the session token; signing out");
        self.services
            .blocking(|s| Ok(s.db.write(store::clear)?))
            .await
    }

    /// Registers this installation with the server (once) and keeps the token; with a
    /// session held, returns it without network traffic.
    pub(crate) async fn sign_in(&self) -> Result<String> {
        let services = &self.services;
        if let Some(session) = services.blocking(|s| Ok(s.db.read(store::load)?)).await? {
            return Ok(session.account_id);
        }
        let basis = self.gate.ticket(Purpose::Account).await?;
        let (installation_id, pkcs8) = services
            .blocking(|s| {
                s.db.write(|tx| Ok((store::installation_id(tx)?, store::device_key(tx)?)))
            })
            .await?;
        let rng = ring::rand::SystemRandom::new();
        let device = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &rng,
        )
        .map_err(|_| Error::Internal {
            reason: "the stored device key does not load".into(),
        })?;
        let request = RegisterDevice {
            installation_id,
            role: services.config.role,
            app_id: services.config.app_id.clone(),
            app_version: services.config.app_version.clone(),
            device_key: Some(waybill_protocol::hex(
                ring::signature::KeyPair::public_key(&device).as_ref(),
            )),
            proof: None,
        };
        // A wrong device clock makes the first proof stale; the refusal carries the
        // server's `Date`, so one retry signs on the server's time.
        let mut attempt = 0;
        let registered = loop {
            attempt += 1;
            let candidate = chrono::Utc::now()
                + chrono::Duration::milliseconds(services.api.server_offset_ms().unwrap_or(0));
            let signed_at = services
                .blocking(move |s| Ok(s.db.write(|tx| store::next_proof_time(tx, candidate))?))
                .await?;
            let signature = device
                .sign(&rng, &request.signed_message(signed_at))
                .map_err(|_| Error::Internal {
                    reason: "device key signature".into(),
                })?;
            let proved = RegisterDevice {
                proof: Some(waybill_protocol::DeviceProof {
                    signed_at,
                    signature: waybill_protocol::hex(signature.as_ref()),
                }),
                ..request.clone()
            };
            match services.api.register(&basis, &proved).await {
                Err(crate::net::NetError::Unauthorized) if attempt == 1 => continue,
                other => break other?,
            }
        };
        tracing::info!(token = %mask_secret(&registered.token), "device registered");
        let session = Session {
            account_id: registered.account_id,
            token: registered.token,
        };
        let account_id = session.account_id.clone();
        let gate = Arc::clone(&self.gate);
        services
            .blocking(move |s| {
                Ok(s.db.write(|tx| {
                    store::store(tx, &session, &s.server_url)?;
                    gate.record(tx, DataAction::Sent, &basis, &["device_info"], 1)
                })?)
            })
            .await?;
        Ok(account_id)
    }
}

/// The account's part of the export: the installation and account ids (never the token).
pub(crate) fn export_sections(conn: &rusqlite::Connection) -> Result<Sections> {
    let account_id = store::account_id(conn)?;
    Ok(vec![
        (
            "installation_id",
            json!(meta::get(conn, MetaKey::InstallationId)?),
        ),
        ("account_id", json!(account_id)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_session_means_not_signed_in_and_the_installation_id_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let (services, gate) = crate::test_support::services_and_gate(dir.path());
        let account = Account::new(Arc::clone(&services), gate);
        assert!(matches!(
            account.require_signed_in(),
            Err(Error::NotSignedIn)
        ));
        let first = services.db.write(store::installation_id).unwrap();
        let again = services.db.write(store::installation_id).unwrap();
        assert_eq!(first, again);
        let sections = services.db.read(export_sections).unwrap();
        assert_eq!(sections[0].1, json!(first));
        assert_eq!(sections[1].1, serde_json::Value::Null);
    }

    #[test]
    fn proofs_are_signed_strictly_later_each_time_and_a_wrong_clocks_proof_holds_nothing_back() {
        let dir = tempfile::tempdir().unwrap();
        let (services, _gate) = crate::test_support::services_and_gate(dir.path());
        let t = chrono::DateTime::from_timestamp(1_764_576_000, 0).unwrap();
        let next = |c| {
            services
                .db
                .write(|tx| store::next_proof_time(tx, c))
                .unwrap()
        };
        assert_eq!(next(t), t);
        // The server-corrected clock reads a little earlier (a Date's one-second grain).
        let ms = chrono::Duration::milliseconds;
        assert_eq!(next(t - ms(600)), t + ms(1));
        assert_eq!(next(t + ms(5_000)), t + ms(5_000));
        // A proof signed an hour ahead (refused by the server) does not hold back the retry
        // on the server's time.
        next(t + chrono::Duration::hours(1));
        assert_eq!(next(t + ms(6_000)), t + ms(6_000));
        // The key is made once and kept.
        let key = services.db.write(store::device_key).unwrap();
        assert_eq!(services.db.write(store::device_key).unwrap(), key);
    }
}
