//! The account engine: this installation's registration with the server and the session
//! it holds. Every network step takes the session from here (through the scheduler); a
//! refused token is forgotten here, so the next sign-in registers afresh.

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
        let installation_id = services
            .blocking(|s| Ok(s.db.write(store::installation_id)?))
            .await?;
        let registered = services
            .api
            .register(
                &basis,
                &RegisterDevice {
                    installation_id,
                    role: services.config.role,
                    app_id: services.config.app_id.clone(),
                    app_version: services.config.app_version.clone(),
                },
            )
            .await?;
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
}
