//! The privacy engine: the policy as data (`manifest`), the user's decisions (`ledger`),
//! the OS permissions (`permissions`), one state per purpose derived from the three, and
//! the gate every collection path passes (`gate`, issuing a `Ticket`). The handle the
//! client holds is `engine::Privacy`; its network step (receipts, rights requests) is
//! `sync`.

pub mod disclosures;
pub mod engine;
pub mod export;
pub mod forget;
pub mod gate;
pub mod holdings;
pub mod ledger;
pub mod manifest;

pub mod permissions;
pub mod policy_text;
pub mod rights;
pub mod sdks;
pub mod settings;
pub mod sync;
pub mod transparency;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::ticket::Ticket;
use holdings::Registry;
use ledger::{DecisionKind, Receipt};
use manifest::{Basis, Manifest, ManifestError, Permission, PolicyChange};

/// Whether the user has accepted the policy in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyStatus {
    /// Never accepted: nothing personal may be collected or sent.
    NotAccepted,
    /// The accepted version is in force, or only changed in non-material ways.
    Accepted {
        /// Version the user accepted.
        version: String,
        /// Non-material changes since (shown as a notice, no decision needed).
        notices: Vec<PolicyChange>,
    },
    /// A material change needs a new decision before collection goes on.
    NeedsReacceptance {
        /// Version the user accepted.
        accepted_version: String,
        /// What changed, for the popup.
        changes: Vec<PolicyChange>,
    },
}

/// One answer per purpose, read by the gate and the settings screen alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurposeState {
    /// Collection may go on.
    Allowed,
    /// Allowed without a permission, through the manifest's alternative (e.g. manual city).
    Degraded {
        /// The permission that is missing.
        permission: Permission,
    },
    /// The consent is there but the OS permission is not.
    NeedsPermission {
        /// The permission to ask for.
        permission: Permission,
    },
    /// The user has not decided yet (default off).
    NeedsConsent,
    /// The user said no.
    Refused,
    /// The user took their yes back.
    Withdrawn,
    /// The policy in force is not accepted.
    PolicyNotAccepted,
    /// The user declared an age under the manifest's minimum and no guardian has consented.
    NeedsGuardianConsent,
    /// Offered to adults only: a declared minor gets no marketing or profiling, even with
    /// a guardian's consent (seed 002: "更严格的保护措施").
    NotForMinors,
}

/// The shell reports an OS permission state. Turning a permission off withdraws the
/// authorisation of every purpose that cannot work without it (seed 002: "您一旦关闭任一
/// 权限即代表您收回了授权"): their data is purged as on a withdrawal. Returns whether
/// anything was purged (the caller then checkpoints the WAL).
pub fn report_permission(
    tx: &Transaction<'_>,
    registry: &Registry,
    manifest: &Manifest,
    permission: Permission,
    state: permissions::PermissionState,
    now: DateTime<Utc>,
) -> Result<bool> {
    permissions::report(tx, permission, state, now)?;
    if state.usable() {
        return Ok(false);
    }
    let mut purged = vec![];
    for p in manifest
        .purposes
        .iter()
        .filter(|p| p.permissions.contains(&permission) && p.without_permission.is_none())
    {
        purged.extend(holdings::purge_purpose(tx, registry, &p.id)?);
    }
    transparency::record_removed(tx, transparency::DataAction::Purged, &purged, now)?;
    Ok(!purged.is_empty())
}

/// Records whether the user is under the manifest's minimum age. Only that answer is
/// stored, not the age. A minor without a guardian's consent has no basis for anything
/// collected so far: it is purged (P-66).
pub fn declare_age(
    tx: &Transaction<'_>,
    registry: &Registry,
    manifest: &Manifest,
    age_years: u32,
) -> Result<bool> {
    if age_years > 150 {
        return Err(Error::InvalidInput {
            reason: "age must be within 0..=150".into(),
        });
    }
    let minor = age_years < u32::from(manifest.min_age);
    meta::set(tx, MetaKey::DeclaredMinor, if minor { "1" } else { "0" })?;
    let guardian = ledger::all(tx)?
        .iter()
        .any(|r| r.kind == DecisionKind::GuardianConsent);
    if minor && !guardian {
        let now = Utc::now();
        let mut purged = vec![];
        for p in &manifest.purposes {
            purged.extend(holdings::purge_purpose(tx, registry, &p.id)?);
        }
        transparency::record_removed(tx, transparency::DataAction::Purged, &purged, now)?;
    }
    Ok(minor)
}

/// What the person declared about their age, as a sign-up needs it: `AgeNotDeclared`
/// before the question was answered (an undeclared age never counts as adult), and
/// `GuardianConsentRequired` for a minor without a guardian's consent.
pub fn sign_up_age(conn: &Connection) -> Result<waybill_protocol::account::AgeDeclaration> {
    use waybill_protocol::account::AgeDeclaration;
    match meta::get(conn, MetaKey::DeclaredMinor)?.as_deref() {
        Some("0") => Ok(AgeDeclaration::Adult),
        Some("1") => {
            let guardian = ledger::all(conn)?
                .iter()
                .any(|r| r.kind == DecisionKind::GuardianConsent);
            if guardian {
                Ok(AgeDeclaration::MinorWithGuardianConsent)
            } else {
                Err(Error::GuardianConsentRequired)
            }
        }
        _ => Err(Error::AgeNotDeclared),
    }
}

fn declared_minor(conn: &Connection) -> Result<bool> {
    Ok(meta::get(conn, MetaKey::DeclaredMinor)?.as_deref() == Some("1"))
}

/// Records a guardian's consent for a minor user (PIPL Art. 31; seed 003: "未满14周岁").
pub fn record_guardian_consent(
    tx: &Transaction<'_>,
    manifest: &Manifest,
    asked_via: &str,
    now: DateTime<Utc>,
) -> Result<Receipt> {
    Ok(ledger::append(
        tx,
        DecisionKind::GuardianConsent,
        &manifest.policy_version,
        None,
        asked_via,
        now,
    )?)
}

fn active_document(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT document FROM manifests WHERE active = 1", [], |r| {
        r.get(0)
    })
    .optional()
}

pub(crate) fn stored_manifest(conn: &Connection, version: &str) -> Result<Option<Manifest>> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT document FROM manifests WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .optional()?;
    Ok(doc.and_then(|d| Manifest::parse(&d).ok()))
}

/// Makes the shipped manifest the active one on first run, or when an app update ships a
/// version this device has not seen. Returns the manifest in force.
pub fn install_builtin(
    tx: &Transaction<'_>,
    role: waybill_protocol::Role,
    now: DateTime<Utc>,
) -> Result<Manifest> {
    let builtin = Manifest::parse(manifest::builtin(role)).map_err(|e| Error::Internal {
        reason: format!("the shipped manifest is invalid: {e}"),
    })?;
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM manifests WHERE version = ?1)",
        [&builtin.policy_version],
        |r| r.get(0),
    )?;
    if !known {
        activate(tx, &builtin, manifest::builtin(role), now)?;
        return Ok(builtin);
    }
    match active_document(tx)? {
        Some(doc) => Manifest::parse(&doc).map_err(|e| Error::Internal {
            reason: format!("the stored manifest is invalid: {e}"),
        }),
        None => Ok(builtin),
    }
}

fn activate(tx: &Transaction<'_>, m: &Manifest, document: &str, now: DateTime<Utc>) -> Result<()> {
    tx.execute("UPDATE manifests SET active = 0 WHERE active = 1", [])?;
    tx.execute(
        "INSERT INTO manifests (version, document, installed_at, active) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (version) DO UPDATE SET active = 1",
        params![m.policy_version, document, now.to_rfc3339()],
    )?;
    Ok(())
}

/// Installs a new manifest (e.g. from the server). A document that does not parse or lint,
/// is for another app, or reuses a version with other content is rejected and the manifest
/// in force stays.
pub fn install(
    tx: &Transaction<'_>,
    current: &Manifest,
    document: &str,
    now: DateTime<Utc>,
) -> Result<Manifest> {
    let invalid = |e: ManifestError| Error::InvalidManifest {
        reason: e.to_string(),
    };
    let new = Manifest::parse(document).map_err(invalid)?;
    if new.app != current.app {
        return Err(Error::InvalidManifest {
            reason: format!(
                "manifest is for the {} app, this is the {} app",
                new.app, current.app
            ),
        });
    }
    if stored_manifest(tx, &new.policy_version)?.is_some_and(|existing| existing != new) {
        return Err(Error::InvalidManifest {
            reason: format!(
                "version {} is already installed with other content",
                new.policy_version
            ),
        });
    }
    activate(tx, &new, document, now)?;
    Ok(new)
}

/// The policy status for the manifest in force.
pub fn policy_status(conn: &Connection, manifest: &Manifest) -> Result<PolicyStatus> {
    let receipts = ledger::all(conn)?;
    policy_status_from(conn, manifest, &receipts)
}

pub(crate) fn policy_status_from(
    conn: &Connection,
    manifest: &Manifest,
    receipts: &[Receipt],
) -> Result<PolicyStatus> {
    let Some(accepted) = ledger::latest_policy_acceptance(receipts) else {
        return Ok(PolicyStatus::NotAccepted);
    };
    if accepted.policy_version == manifest.policy_version {
        return Ok(PolicyStatus::Accepted {
            version: accepted.policy_version,
            notices: vec![],
        });
    }
    let changes = match stored_manifest(conn, &accepted.policy_version)? {
        Some(old) => manifest::diff(&old, manifest),
        None => vec![PolicyChange {
            subject: "policy".into(),
            description: format!(
                "the policy changed from version {}",
                accepted.policy_version
            ),
            material: true,
        }],
    };
    Ok(if changes.iter().any(|c| c.material) {
        PolicyStatus::NeedsReacceptance {
            accepted_version: accepted.policy_version,
            changes,
        }
    } else {
        PolicyStatus::Accepted {
            version: accepted.policy_version,
            notices: changes,
        }
    })
}

/// The purpose `id` of the manifest in force, or a typed error naming the app.
fn purpose<'m>(manifest: &'m Manifest, id: &str) -> Result<&'m manifest::Purpose> {
    manifest.purpose(id).ok_or_else(|| Error::InvalidInput {
        reason: format!("the {} app has no purpose {id:?}", manifest.app),
    })
}

/// The state of one purpose.
pub fn purpose_state(
    conn: &Connection,
    manifest: &Manifest,
    purpose_id: &str,
) -> Result<PurposeState> {
    let receipts = ledger::all(conn)?;
    let status = policy_status_from(conn, manifest, &receipts)?;
    purpose_state_from(conn, manifest, &receipts, &status, purpose_id)
}

/// The state of one purpose, given the ledger and the policy status already read (the
/// settings screen computes them once for all purposes).
pub(crate) fn purpose_state_from(
    conn: &Connection,
    manifest: &Manifest,
    receipts: &[Receipt],
    status: &PolicyStatus,
    purpose_id: &str,
) -> Result<PurposeState> {
    let purpose = purpose(manifest, purpose_id)?;
    if !matches!(status, PolicyStatus::Accepted { .. }) {
        return Ok(PurposeState::PolicyNotAccepted);
    }
    if declared_minor(conn)?
        && !receipts
            .iter()
            .any(|r| r.kind == DecisionKind::GuardianConsent)
    {
        return Ok(PurposeState::NeedsGuardianConsent);
    }
    if declared_minor(conn)? && !purpose.for_minors() {
        return Ok(PurposeState::NotForMinors);
    }
    if purpose.basis.needs_decision() {
        match ledger::latest_for_purpose(receipts, purpose_id) {
            None => return Ok(PurposeState::NeedsConsent),
            Some(r) if r.kind == DecisionKind::Refused => return Ok(PurposeState::Refused),
            Some(r) if r.kind == DecisionKind::Withdrawn => return Ok(PurposeState::Withdrawn),
            Some(r) if r.policy_version != manifest.policy_version => {
                // A yes given under an older policy holds unless this purpose changed materially.
                let changed = match stored_manifest(conn, &r.policy_version)? {
                    Some(old) => manifest::diff(&old, manifest)
                        .iter()
                        .any(|c| c.material && c.subject == purpose_id),
                    None => true,
                };
                if changed {
                    return Ok(PurposeState::NeedsConsent);
                }
            }
            Some(_) => {}
        }
    }
    for &permission in &purpose.permissions {
        if !permissions::get(conn, permission)?.state.usable() {
            return Ok(if purpose.without_permission.is_some() {
                PurposeState::Degraded { permission }
            } else {
                PurposeState::NeedsPermission { permission }
            });
        }
    }
    Ok(PurposeState::Allowed)
}

/// The gate: a ticket for `purpose_id` if it has a live basis now, else the typed reason.
pub fn check(conn: &Connection, manifest: &Manifest, purpose_id: &str) -> Result<Ticket> {
    // From a stop the service announced (P-70), no purpose has a basis: nothing is taken.
    if let Some(at) = service_stopped(conn, Utc::now())? {
        return Err(Error::ServiceStopped { at });
    }
    match purpose_state(conn, manifest, purpose_id)? {
        PurposeState::Allowed | PurposeState::Degraded { .. } => Ok(Ticket::issue(purpose_id)),
        PurposeState::NeedsGuardianConsent => Err(Error::GuardianConsentRequired),
        PurposeState::NeedsPermission { permission } => Err(Error::PermissionRequired {
            purpose: purpose_id.to_string(),
            permission: permission.as_str().to_string(),
        }),
        PurposeState::NeedsConsent
        | PurposeState::Refused
        | PurposeState::Withdrawn
        | PurposeState::NotForMinors
        | PurposeState::PolicyNotAccepted => Err(Error::ConsentRequired {
            purpose: purpose_id.to_string(),
        }),
    }
}

/// When the service stopped, if it did by `now` (a verified stop notice's time).
pub(crate) fn service_stopped(
    conn: &Connection,
    now: DateTime<Utc>,
) -> crate::db::StorageResult<Option<DateTime<Utc>>> {
    Ok(meta::get(conn, MetaKey::ServiceStopsAt)?
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|at| at.with_timezone(&Utc))
        .filter(|at| *at <= now))
}

/// The SDKs the controller deactivated (the newest verified switch).
pub(crate) fn disabled_sdks(conn: &Connection) -> crate::db::StorageResult<Vec<String>> {
    Ok(meta::get(conn, MetaKey::SdkSwitch)?
        .and_then(|s| serde_json::from_str::<waybill_protocol::notices::SdkSwitch>(&s).ok())
        .map(|s| s.disabled)
        .unwrap_or_default())
}

/// Keeps a verified SDK switch if it is newer than the one kept (an old one replayed
/// cannot bring an SDK back); returns whether it was.
pub(crate) fn note_sdk_switch(
    tx: &Transaction<'_>,
    switch: &waybill_protocol::notices::SdkSwitch,
) -> crate::db::StorageResult<bool> {
    let kept = meta::get(tx, MetaKey::SdkSwitch)?
        .and_then(|s| serde_json::from_str::<waybill_protocol::notices::SdkSwitch>(&s).ok());
    if kept.is_some_and(|k| k.issued_at >= switch.issued_at) {
        return Ok(false);
    }
    let json = serde_json::to_string(switch).expect("a switch serializes");
    meta::set(tx, MetaKey::SdkSwitch, &json)?;
    Ok(true)
}

/// Notes a stop a verified notice announced; the earliest one counts.
pub(crate) fn note_service_stop(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
) -> crate::db::StorageResult<()> {
    let earlier = meta::get(tx, MetaKey::ServiceStopsAt)?
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .is_some_and(|known| known.with_timezone(&Utc) <= at);
    if !earlier {
        meta::set(tx, MetaKey::ServiceStopsAt, &at.to_rfc3339())?;
    }
    Ok(())
}

/// Records acceptance of the policy in force, with a receipt for it and one for each
/// core purpose that rests on plain consent. Separate consents are never bundled in.
pub fn accept_policy(
    tx: &Transaction<'_>,
    manifest: &Manifest,
    asked_via: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Receipt>> {
    let version = &manifest.policy_version;
    let mut receipts = vec![ledger::append(
        tx,
        DecisionKind::PolicyAccepted,
        version,
        None,
        asked_via,
        now,
    )?];
    for p in manifest
        .purposes
        .iter()
        .filter(|p| p.function == manifest::Function::Core && p.basis == Basis::Consent)
    {
        receipts.push(ledger::append(
            tx,
            DecisionKind::Granted,
            version,
            Some(&p.id),
            asked_via,
            now,
        )?);
    }
    Ok(receipts)
}

/// Records the user's answer for a purpose that rests on consent. Saying no after a yes is
/// a withdrawal. Repeating the current answer records nothing and returns its receipt.
pub fn decide(
    tx: &Transaction<'_>,
    registry: &Registry,
    manifest: &Manifest,
    purpose_id: &str,
    allow: bool,
    asked_via: &str,
    now: DateTime<Utc>,
) -> Result<Receipt> {
    let purpose = purpose(manifest, purpose_id)?;
    if !purpose.basis.needs_decision() {
        return Err(Error::InvalidInput {
            reason: format!("{purpose_id} rests on a contract or the law, not on a switch"),
        });
    }
    if allow && !purpose.for_minors() && declared_minor(tx)? {
        return Err(Error::InvalidInput {
            reason: format!("{purpose_id} (marketing and profiling) is not offered to minors"),
        });
    }
    let receipts = ledger::all(tx)?;
    if !matches!(
        policy_status_from(tx, manifest, &receipts)?,
        PolicyStatus::Accepted { .. }
    ) {
        return Err(Error::ConsentRequired {
            purpose: "policy".into(),
        });
    }
    let latest = ledger::latest_for_purpose(&receipts, purpose_id);
    let current_yes = latest.as_ref().is_some_and(|r| {
        r.kind == DecisionKind::Granted && r.policy_version == manifest.policy_version
    });
    let kind = match (allow, &latest) {
        (true, _) if current_yes => return Ok(latest.expect("checked")),
        (true, _) => DecisionKind::Granted,
        (false, Some(r)) if r.kind == DecisionKind::Granted => DecisionKind::Withdrawn,
        (false, Some(r)) => return Ok(r.clone()),
        (false, None) => DecisionKind::Refused,
    };
    let receipt = ledger::append(
        tx,
        kind,
        &manifest.policy_version,
        Some(purpose_id),
        asked_via,
        now,
    )?;
    if kind != DecisionKind::Granted {
        // Collection stops at the next gate check; what was collected goes now, in the
        // same transaction as the receipt (the caller then checkpoints the WAL).
        let purged = holdings::purge_purpose(tx, registry, purpose_id)?;
        transparency::record_removed(tx, transparency::DataAction::Purged, &purged, now)?;
    }
    Ok(receipt)
}

/// What the shell should do about the permission `purpose_id` needs: the in-app choice
/// first while it is open, then ask with the manifest's rationale, send the user to the OS
/// settings, stay quiet (48-hour rule, or a no given in the app), or nothing. `user_initiated`: the user opened the function themselves.
pub fn permission_ask(
    conn: &Connection,
    manifest: &Manifest,
    purpose_id: &str,
    user_initiated: bool,
    now: DateTime<Utc>,
) -> Result<permissions::PermissionAsk> {
    use permissions::PermissionAsk;
    let purpose = purpose(manifest, purpose_id)?;
    let decide = || PermissionAsk::DecideInApp {
        purpose: purpose_id.to_string(),
    };
    let declined = || PermissionAsk::Declined {
        purpose: purpose_id.to_string(),
    };
    match purpose_state(conn, manifest, purpose_id)? {
        PurposeState::PolicyNotAccepted
        | PurposeState::NeedsConsent
        | PurposeState::NeedsGuardianConsent => return Ok(decide()),
        PurposeState::Refused | PurposeState::Withdrawn if user_initiated => return Ok(decide()),
        PurposeState::Refused | PurposeState::Withdrawn | PurposeState::NotForMinors => {
            return Ok(declined());
        }
        PurposeState::Allowed
        | PurposeState::Degraded { .. }
        | PurposeState::NeedsPermission { .. } => {}
    }
    let rationale = purpose.rationale.as_deref().unwrap_or_default();
    Ok(permissions::ask(
        conn,
        &purpose.permissions,
        rationale,
        user_initiated,
        now,
    )?)
}
