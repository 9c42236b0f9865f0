//! The in-app privacy settings screen as one value the core computes: the shell renders
//! it and calls back with the user's choices.

use rusqlite::Connection;

use super::holdings;
use super::ledger::{self, Receipt};
use super::manifest::{Function, Manifest, Permission, RetentionStart};
use super::permissions::{self, PermissionState};
use super::rights::{self, RightsRequest};
use super::transparency::{self, DataEvent};
use super::{PolicyStatus, PurposeState, policy_status_from, purpose_state_from};
use crate::error::Result;

/// Everything the privacy settings screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsView {
    /// Version of the policy in force.
    pub policy_version: String,
    /// Where to read it.
    pub policy_url: String,
    /// Whether the user accepted it (or needs to decide on changes).
    pub policy_status: PolicyStatus,
    /// Core purposes first, then optional ones, in manifest order.
    pub purposes: Vec<PurposeRow>,
    /// Each OS permission some purpose uses.
    pub permissions: Vec<PermissionRow>,
    /// Third parties and what they receive.
    pub sdks: Vec<SdkRow>,
    /// Every recorded decision, newest first.
    pub receipts: Vec<Receipt>,
    /// Working days within which rights requests are answered.
    pub rights_response_working_days: u8,
    /// Personal data held on the device, per category, with its retention.
    pub data_held: Vec<HeldRow>,
    /// Rights requests with their status and deadline, newest first.
    pub rights_requests: Vec<RightsRequest>,
    /// What was collected, received, sent and deleted, newest first (the latest lines).
    pub transparency: Vec<DataEvent>,
}

/// Personal data of one category held on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRow {
    /// Category id.
    pub category: String,
    /// Its label.
    pub label: String,
    /// Items held now.
    pub items: u32,
    /// How long it is kept, in words (per purpose that collects it).
    pub retention: String,
}

/// Transparency lines the screen shows (the export carries them all).
const TRANSPARENCY_LINES: u32 = 50;

/// One purpose on the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct PurposeRow {
    /// Purpose id, for `decide`.
    pub id: String,
    /// Label.
    pub label: String,
    /// What it is for.
    pub description: String,
    /// Core function or optional.
    pub core: bool,
    /// Whether the row has a switch (consent-based purposes only).
    pub switchable: bool,
    /// Whether it processes sensitive data (shown with emphasis).
    pub sensitive: bool,
    /// Labels of the data categories.
    pub categories: Vec<String>,
    /// Who, beyond the controller, is shown this purpose's data, and when.
    pub recipients: Vec<String>,
    /// The one answer for this purpose.
    pub state: PurposeState,
    /// What turning it off costs.
    pub if_refused: String,
    /// Retention, in words.
    pub retention: String,
}

/// One OS permission on the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionRow {
    /// The permission.
    pub permission: Permission,
    /// Its state as last reported.
    pub state: PermissionState,
    /// Purposes that use it.
    pub used_by: Vec<String>,
    /// Why, from the first purpose that uses it.
    pub rationale: String,
}

/// One third-party SDK on the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkRow {
    /// Name.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// Labels of what it receives.
    pub receives: Vec<String>,
    /// Purposes it serves.
    pub purposes: Vec<String>,
    /// Its privacy page.
    pub url: String,
}

/// Builds the view from the manifest in force, the ledger and the permission mirror.
pub fn build(
    conn: &Connection,
    registry: &super::holdings::Registry,
    manifest: &Manifest,
) -> Result<SettingsView> {
    let receipts = ledger::all(conn)?;
    let status = policy_status_from(conn, manifest, &receipts)?;
    let label_of = |category: &String| {
        manifest
            .category(category)
            .map_or_else(|| category.clone(), |c| c.label.clone())
    };
    let mut purposes = Vec::with_capacity(manifest.purposes.len());
    for function in [Function::Core, Function::Optional] {
        for p in manifest.purposes.iter().filter(|p| p.function == function) {
            purposes.push(PurposeRow {
                id: p.id.clone(),
                label: p.label.clone(),
                description: p.description.clone(),
                core: function == Function::Core,
                switchable: p.basis.needs_decision(),
                sensitive: manifest.is_sensitive(p),
                categories: p.categories.iter().map(label_of).collect(),
                recipients: p.recipients.iter().map(|r| r.label.clone()).collect(),
                state: purpose_state_from(conn, manifest, &receipts, &status, &p.id)?,
                if_refused: p.if_refused.clone(),
                retention: retention_text(p.retention.days, p.retention.from),
            });
        }
    }
    let mut used: Vec<Permission> = manifest
        .purposes
        .iter()
        .flat_map(|p| p.permissions.clone())
        .collect();
    used.sort();
    used.dedup();
    let mut permission_rows = Vec::with_capacity(used.len());
    for permission in used {
        let users: Vec<_> = manifest
            .purposes
            .iter()
            .filter(|p| p.permissions.contains(&permission))
            .collect();
        permission_rows.push(PermissionRow {
            permission,
            state: permissions::get(conn, permission)?.state,
            used_by: users.iter().map(|p| p.label.clone()).collect(),
            rationale: users
                .iter()
                .find_map(|p| p.rationale.clone())
                .unwrap_or_default(),
        });
    }
    let sdks = manifest
        .sdks
        .iter()
        .map(|s| SdkRow {
            name: s.name.clone(),
            provider: s.provider.clone(),
            receives: s.categories.iter().map(label_of).collect(),
            purposes: s
                .purposes
                .iter()
                .filter_map(|p| manifest.purpose(p).map(|p| p.label.clone()))
                .collect(),
            url: s.url.clone(),
        })
        .collect();
    let held = holdings::counts(conn, registry)?;
    let data_held = manifest
        .categories
        .iter()
        .map(|c| c.id.clone())
        .map(|category| HeldRow {
            items: held
                .iter()
                .filter(|(c, _)| *c == category)
                .map(|(_, n)| n)
                .sum(),
            label: label_of(&category),
            retention: manifest
                .purposes
                .iter()
                .filter(|p| p.categories.contains(&category))
                .map(|p| {
                    format!(
                        "{}: {}",
                        p.label,
                        retention_text(p.retention.days, p.retention.from)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            category,
        })
        .collect();
    let mut receipts = receipts;
    receipts.reverse();
    Ok(SettingsView {
        policy_version: manifest.policy_version.clone(),
        policy_url: manifest.policy_url.clone(),
        policy_status: status,
        purposes,
        permissions: permission_rows,
        sdks,
        receipts,
        rights_response_working_days: manifest.rights_response_working_days,
        data_held,
        rights_requests: rights::list(conn)?,
        transparency: transparency::recent(conn, TRANSPARENCY_LINES)?,
    })
}

pub(crate) fn retention_text(days: u32, from: RetentionStart) -> String {
    let start = match from {
        RetentionStart::Collected => "after collection",
        RetentionStart::OrderClosed => "after the order closes",
        RetentionStart::Uploaded => "after the server confirms receipt",
        RetentionStart::AccountClosed => "after the account is cancelled",
    };
    match days {
        0 if from == RetentionStart::Collected => "not stored".to_string(),
        0 => format!("deleted {start}"),
        d => format!("kept {d} days {start}"),
    }
}
