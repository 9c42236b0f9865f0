//! The account engine: the person's account (a phone number, verified by a one-time
//! code) and this device's session in it. Every network step takes the session from here
//! (through the scheduler); a refused token is forgotten here, so the next sign-in proves
//! the device key again, into the same account. The device key (ECDSA P-256, sealed in
//! the database under the data key from the platform's secure store) is what renews a
//! session; a device the account does not know (a new phone, or one signed out from
//! another device) needs a code. Suspended and closed accounts are typed states.

pub mod real_name;
pub mod store;

use std::sync::Arc;

use serde_json::json;
use waybill_protocol::RegisterDevice;
use waybill_protocol::account::{
    AccountInfo, AgeDeclaration, CodeRequest, CodeSent, PhoneCode, mask_phone, normalize_phone,
};

use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::media::ImageSource;
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

    /// Signs this device in again without a code: with a session held, returns it without
    /// network traffic; on a device signed in before, proves the device key for a fresh
    /// token (the same account). A device never signed in, or signed out from another
    /// device, gets `SignInRequired`: a code for the number is needed.
    pub(crate) async fn sign_in(&self) -> Result<String> {
        let services = &self.services;
        if let Some(session) = services.blocking(|s| Ok(s.db.read(store::load)?)).await? {
            return Ok(session.account_id);
        }
        let signed_in_before = services
            .blocking(|s| Ok(s.db.read(|c| meta::get_sealed(c, MetaKey::AccountPhone))?))
            .await?
            .is_some();
        if !signed_in_before {
            return Err(Error::SignInRequired);
        }
        Ok(self.register(None).await?.account_id)
    }

    /// Asks the server to send a sign-in code to the number the person typed. The age
    /// question comes first (nothing account-bound before it), and the account purpose
    /// must have its basis: the number is sent under it.
    pub(crate) async fn request_code(&self, phone_typed: &str) -> Result<CodeSent> {
        let phone = phone_of(phone_typed)?;
        self.refuse_another_account(&phone).await?;
        let basis = self.gate.ticket(Purpose::Account).await?;
        self.services
            .blocking(|s| s.db.read(crate::privacy::sign_up_age))
            .await?;
        let installation_id = self
            .services
            .blocking(|s| Ok(s.db.write(store::installation_id)?))
            .await?;
        let sent = self
            .services
            .api
            .request_code(
                &basis,
                &CodeRequest {
                    phone,
                    installation_id,
                },
            )
            .await?;
        let gate = Arc::clone(&self.gate);
        self.services
            .blocking(move |s| {
                Ok(s.db
                    .write(|tx| gate.record(tx, DataAction::Sent, &basis, &["phone_number"], 1))?)
            })
            .await?;
        Ok(sent)
    }

    /// Signs in to the number's account with the code it received (opening the account
    /// if the number has none), binding this device's key. The number is kept sealed.
    pub(crate) async fn sign_in_with_code(
        &self,
        phone_typed: &str,
        code: &str,
    ) -> Result<SignedIn> {
        let phone = phone_of(phone_typed)?;
        self.refuse_another_account(&phone).await?;
        let code = code.trim();
        if !waybill_protocol::account::is_code(code) {
            return Err(Error::CodeInvalid);
        }
        let age = self
            .services
            .blocking(|s| s.db.read(crate::privacy::sign_up_age))
            .await?;
        let registered = self
            .register(Some((
                PhoneCode {
                    phone: phone.clone(),
                    code: code.to_string(),
                },
                age,
            )))
            .await?;
        Ok(SignedIn {
            account_id: registered.account_id,
            phone_masked: registered.phone_masked,
            new_account: registered.new_account,
        })
    }

    /// `AnotherAccountOnDevice` when this device still holds the data of an account with
    /// another number (signed out from elsewhere, not wiped): its orders and queue must
    /// never reach, or be sent as, the next person.
    async fn refuse_another_account(&self, phone: &str) -> Result<()> {
        let held = self
            .services
            .blocking(|s| Ok(s.db.read(|c| meta::get_sealed(c, MetaKey::AccountPhone))?))
            .await?;
        match held {
            Some(held) if held != phone => Err(Error::AnotherAccountOnDevice {
                phone_masked: mask_phone(&held),
            }),
            _ => Ok(()),
        }
    }

    /// One registration: the device key's proof, with the code when there is one; stores
    /// the session (and the number) when the server grants it.
    async fn register(
        &self,
        phone_code: Option<(PhoneCode, AgeDeclaration)>,
    ) -> Result<waybill_protocol::DeviceRegistered> {
        let services = &self.services;
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
        let phone = phone_code.as_ref().map(|(pc, _)| pc.phone.clone());
        let request = RegisterDevice {
            installation_id,
            role: services.config.role,
            app_id: services.config.app_id.clone(),
            app_version: services.config.app_version.clone(),
            device_key: Some(waybill_protocol::hex(
                ring::signature::KeyPair::public_key(&device).as_ref(),
            )),
            proof: None,
            age: phone_code.as_ref().map(|(_, age)| *age),
            phone_code: phone_code.map(|(pc, _)| pc),
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
                Err(e) => {
                    let e = Error::from(e);
                    self.note_standing(&e).await?;
                    return Err(e);
                }
                Ok(registered) => break registered,
            }
        };
        tracing::info!(token = %mask_secret(&registered.token), "device signed in");
        let session = Session {
            account_id: registered.account_id.clone(),
            token: registered.token.clone(),
        };
        let gate = Arc::clone(&self.gate);
        services
            .blocking(move |s| {
                Ok(s.db.write(|tx| {
                    store::store(tx, &session, &s.server_url)?;
                    if let Some(phone) = &phone {
                        meta::set_sealed(tx, MetaKey::AccountPhone, phone)?;
                    }
                    meta::delete(tx, MetaKey::AccountStanding)?;
                    gate.record(tx, DataAction::Sent, &basis, &["device_info"], 1)
                })?)
            })
            .await?;
        Ok(registered)
    }

    /// Remembers what the server said of the account (suspended, closed), so the app can
    /// show it; a suspension also ends the session held (the queue is kept).
    pub(crate) async fn note_standing(&self, error: &Error) -> Result<()> {
        let standing = match error {
            Error::AccountSuspended => "suspended",
            Error::AccountClosed => "closed",
            _ => return Ok(()),
        };
        self.services
            .blocking(move |s| {
                Ok(s.db.write(|tx| {
                    meta::set(tx, MetaKey::AccountStanding, standing)?;
                    store::clear(tx)
                })?)
            })
            .await
    }

    /// Marks the (wiped) device as having had its account closed.
    pub(crate) fn mark_closed(&self) -> Result<()> {
        Ok(self
            .services
            .db
            .write(|tx| meta::set(tx, MetaKey::AccountStanding, "closed"))?)
    }

    /// How the account stands on this device.
    pub(crate) fn state(&self) -> Result<AccountState> {
        self.services.db.read(|c| {
            let standing = meta::get(c, MetaKey::AccountStanding)?;
            let phone = meta::get_sealed(c, MetaKey::AccountPhone)?;
            let masked = phone.as_deref().map(mask_phone).unwrap_or_default();
            Ok(match (standing.as_deref(), store::account_id(c)?) {
                (Some("closed"), _) => AccountState::Closed,
                (Some("suspended"), _) => AccountState::Suspended {
                    phone_masked: masked,
                },
                (_, Some(account_id)) => AccountState::SignedIn {
                    account_id,
                    phone_masked: masked,
                },
                (_, None) if phone.is_some() => AccountState::SignedOut {
                    phone_masked: masked,
                },
                (_, None) => AccountState::Guest,
            })
        })
    }

    /// The account and the devices signed in to it.
    pub(crate) async fn account_info(&self) -> Result<AccountInfo> {
        let session = self.session().await?;
        let basis = self.gate.ticket(Purpose::Account).await?;
        Ok(self.services.api.account(&basis, &session.token).await?)
    }

    /// Asks the server to send a step-up code to the account's number.
    pub(crate) async fn request_step_up_code(&self) -> Result<CodeSent> {
        let session = self.session().await?;
        let basis = self.gate.ticket(Purpose::Account).await?;
        Ok(self
            .services
            .api
            .request_step_up_code(&basis, &session.token)
            .await?)
    }

    /// Signs another device of the account out.
    pub(crate) async fn sign_out_device(&self, device_id: &str) -> Result<()> {
        let session = self.session().await?;
        let basis = self.gate.ticket(Purpose::Account).await?;
        Ok(self
            .services
            .api
            .sign_out_device(&basis, &session.token, device_id)
            .await?)
    }

    /// Signs this device (or every device) out on the server; the caller wipes what is
    /// local. Without a session (signed out from elsewhere, suspended) there is nothing to
    /// sign out on the server, and the wipe alone follows.
    pub(crate) async fn sign_out(&self, everywhere: bool) -> Result<()> {
        let session = match self.session().await {
            Err(Error::NotSignedIn) if !everywhere => return Ok(()),
            other => other?,
        };
        let basis = self.gate.ticket(Purpose::Account).await?;
        match self
            .services
            .api
            .sign_out(&basis, &session.token, everywhere)
            .await
        {
            // Already signed out on the server (from another device): nothing to undo.
            Ok(()) | Err(crate::net::NetError::Unauthorized) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl Account {
    /// Takes the real-name check's two images (checked, stripped, sealed into the
    /// `identity/` folder) and queues them; a newer check replaces one not yet sent.
    pub(crate) fn take_real_name(&self, id_card: &ImageSource, face: &ImageSource) -> Result<()> {
        self.gate.check(Purpose::RealNameVerification)?;
        self.require_signed_in()?;
        let key = &self.services.key;
        let (id_card, face) = (
            real_name::prepare(key, id_card)?,
            real_name::prepare(key, face)?,
        );
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = real_name::folder(&self.services.config.data_dir);
        let (id_name, face_name) = (format!("{id}-id-card"), format!("{id}-face"));
        crate::media::write_atomically(&dir, &id_name, &id_card)?;
        crate::media::write_atomically(&dir, &face_name, &face)?;
        // Checked again at the commit: a withdrawal while the files were written wins.
        let basis = self.gate.check(Purpose::RealNameVerification)?;
        self.services.db.write(|tx| {
            real_name::queue(tx, &basis, &id, &id_name, &face_name, chrono::Utc::now())?;
            self.gate.record(
                tx,
                DataAction::Collected,
                &basis,
                &["identity_documents"],
                2,
            )?;
            Ok::<_, Error>(())
        })?;
        self.delete_unsent_identity_files();
        Ok(())
    }

    /// Takes the check (on the blocking pool: multi-MB images are read, stripped and
    /// sealed) and sends it now if the server can be reached; offline it waits for a sync.
    pub(crate) async fn verify_real_name(
        self: &Arc<Self>,
        id_card: ImageSource,
        face: ImageSource,
    ) -> Result<()> {
        let me = Arc::clone(self);
        self.services
            .blocking(move |_| me.take_real_name(&id_card, &face))
            .await?;
        let session = self.session().await?;
        match self.send_real_name(&session).await {
            Ok(_) | Err(Error::Offline { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sends the queued real-name check, if any, under its purpose; once the server has
    /// decided, the images are deleted from the device. A refusal of the images themselves
    /// (a 4xx) also ends the check: the person takes them again.
    pub(crate) async fn send_real_name(&self, session: &Session) -> Result<bool> {
        let services = &self.services;
        let Some(pending) = services.blocking(|s| s.db.read(real_name::pending)).await? else {
            return Ok(false);
        };
        let Ok(basis) = self.gate.ticket(Purpose::RealNameVerification).await else {
            return Ok(false); // withdrawn: the purge deletes it
        };
        let id = pending.0.clone();
        let body = services
            .blocking(move |s| {
                real_name::submission(&s.key, &real_name::folder(&s.config.data_dir), &pending)
            })
            .await?;
        let status = match services
            .api
            .verify_real_name(&basis, &session.token, &body)
            .await
        {
            Ok(status) => status,
            Err(crate::net::NetError::Rejected { status, body })
                if status < 500 && status != 401 && status != 403 && status != 410 =>
            {
                waybill_protocol::account::RealNameStatus {
                    outcome: waybill_protocol::account::RealNameOutcome::Rejected,
                    checked_at: Some(chrono::Utc::now()),
                    reason: Some(format!("the server refused the images: {}", body.message)),
                }
            }
            Err(e) => return Err(e.into()),
        };
        drop(body);
        let gate = Arc::clone(&self.gate);
        services
            .blocking(move |s| {
                s.db.write(|tx| {
                    real_name::settle(tx, &id, &status)?;
                    gate.record(tx, DataAction::Sent, &basis, &["identity_documents"], 2)?;
                    Ok::<_, Error>(())
                })
            })
            .await?;
        self.delete_unsent_identity_files();
        Ok(true)
    }

    /// Queues the age the person declared (after signing up) for the server, if this
    /// device is signed in: replaced by a newer declaration, sent by the next sync.
    pub(crate) fn queue_age(&self) -> Result<()> {
        use waybill_protocol::account::{AgeDeclaration, AgeUpdate};
        self.services.db.write(|tx| {
            if store::account_id(tx)?.is_none() {
                return Ok::<_, Error>(());
            }
            let update = match crate::privacy::sign_up_age(tx) {
                Ok(AgeDeclaration::Adult) => AgeUpdate {
                    minor: false,
                    guardian_consent: false,
                },
                Ok(AgeDeclaration::MinorWithGuardianConsent) => AgeUpdate {
                    minor: true,
                    guardian_consent: true,
                },
                Err(Error::GuardianConsentRequired) => AgeUpdate {
                    minor: true,
                    guardian_consent: false,
                },
                Err(Error::AgeNotDeclared) => return Ok(()),
                Err(e) => return Err(e),
            };
            let json = serde_json::to_string(&update).map_err(|e| Error::Internal {
                reason: format!("age update: {e}"),
            })?;
            meta::set(tx, MetaKey::PendingAge, &json)?;
            Ok(())
        })
    }

    /// Sends the queued age; `Ok(true)` when the server closed the account (a minor
    /// without a guardian's consent), `Ok(false)` when it recorded it or nothing waited.
    pub(crate) async fn send_age(&self) -> Result<bool> {
        let pending = self
            .services
            .blocking(|s| Ok(s.db.read(|c| meta::get(c, MetaKey::PendingAge))?))
            .await?;
        let Some(update) = pending
            .and_then(|j| serde_json::from_str::<waybill_protocol::account::AgeUpdate>(&j).ok())
        else {
            return Ok(false);
        };
        let session = self.session().await?;
        // Asking for the account's deletion needs no basis; recording an age does.
        let basis = if update.minor && !update.guardian_consent {
            self.gate.erasure_ticket()
        } else {
            self.gate.ticket(Purpose::Account).await?
        };
        let closed = match self
            .services
            .api
            .update_age(&basis, &session.token, &update)
            .await
        {
            Ok(recorded) => recorded.account_closed,
            // Closed already: an earlier attempt's reply was lost.
            Err(crate::net::NetError::Rejected { body, .. })
                if body.code == waybill_protocol::ErrorCode::AccountClosed =>
            {
                true
            }
            Err(e) => return Err(e.into()),
        };
        self.services
            .blocking(|s| Ok(s.db.write(|tx| meta::delete(tx, MetaKey::PendingAge))?))
            .await?;
        Ok(closed)
    }

    /// Where the real-name check stands. Local only.
    pub(crate) fn real_name_state(&self) -> Result<real_name::RealNameState> {
        self.services.db.read(real_name::state)
    }

    /// Deletes the real-name outcome here and on the server, unless the account's last
    /// delivery (`last_delivery`, as this device saw it; the server checks its own record
    /// too) is under seven days old. A check not yet sent is dropped with it.
    pub(crate) async fn delete_real_name(
        &self,
        last_delivery: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<()> {
        real_name::check_deletable(last_delivery, chrono::Utc::now())?;
        let session = self.session().await?;
        let basis = self.gate.ticket(Purpose::Account).await?;
        self.services
            .api
            .delete_real_name(&basis, &session.token)
            .await?;
        self.services
            .blocking(|s| {
                s.db.write(|tx| {
                    tx.execute("DELETE FROM real_name_uploads", [])?;
                    real_name::forget(tx)
                })
            })
            .await?;
        self.delete_unsent_identity_files();
        Ok(())
    }

    /// Deletes identity images no queued check names (after a send, a purge, a wipe).
    pub(crate) fn delete_unsent_identity_files(&self) {
        let dir = real_name::folder(&self.services.config.data_dir);
        if let Err(e) = self
            .services
            .db
            .read(|c| real_name::delete_unreferenced(c, &dir))
        {
            tracing::warn!(error = %e, "could not clean the identity folder");
        }
    }
}

/// The E.164 form of what the person typed, or `InvalidInput`.
fn phone_of(typed: &str) -> Result<String> {
    normalize_phone(typed).ok_or_else(|| Error::InvalidInput {
        reason: "phone: a number with its country code, e.g. +86 138 0013 8000".into(),
    })
}

/// A sign-in's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The account (the person's, shared by their devices).
    pub account_id: String,
    /// The number, masked.
    pub phone_masked: String,
    /// True when this sign-in opened the account.
    pub new_account: bool,
}

/// How the account stands on this device, for the settings screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountState {
    /// Never signed in: browsing offers as a guest works; nothing account-bound is kept.
    Guest,
    /// Signed in before, not now (signed out from another device, or the token lapsed
    /// and the key could not renew it): sign in with a code.
    SignedOut {
        /// The number last signed in with, masked.
        phone_masked: String,
    },
    /// Signed in.
    SignedIn {
        /// The account.
        account_id: String,
        /// Its number, masked.
        phone_masked: String,
    },
    /// The operator suspended the account; queued work is kept.
    Suspended {
        /// Its number, masked.
        phone_masked: String,
    },
    /// The account was closed; local account data was wiped.
    Closed,
}

/// The account's part of the export: the installation and account ids and the number
/// (never the token or the key).
pub(crate) fn export_sections(conn: &rusqlite::Connection) -> Result<Sections> {
    let account_id = store::account_id(conn)?;
    Ok(vec![
        (
            "installation_id",
            json!(meta::get(conn, MetaKey::InstallationId)?),
        ),
        ("account_id", json!(account_id)),
        (
            "phone_number",
            json!(meta::get_sealed(conn, MetaKey::AccountPhone)?),
        ),
        (
            "real_name",
            meta::get(conn, MetaKey::RealName)?
                .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
                .unwrap_or(serde_json::Value::Null),
        ),
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
