//! The privacy policy as data: purposes, data categories, legal bases, permissions,
//! retention and third-party SDKs, with a strict parser and a linter. A manifest that
//! fails either is rejected with a precise error and the one in force stays.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::embedded::{compact_json, embedded_text};

/// Largest manifest accepted, in bytes: a policy is a few kilobytes; anything near this is
/// hostile or broken.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;
const MAX_ITEMS: usize = 64;
const MAX_LABEL: usize = 200;
const MAX_TEXT: usize = 2_000;
/// Longest retention a manifest may declare, in days (seed 002: three years for
/// transaction records under the E-commerce Law, with margin).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// A parsed, linted policy manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version of this document; only 1 exists.
    pub schema: u32,
    /// Which app the policy is for: `driver` or `shipper`.
    pub app: String,
    /// Version of the policy text, e.g. `2026.11.1`.
    pub policy_version: String,
    /// Date the policy takes effect.
    pub effective_date: NaiveDate,
    /// Where the full policy text is published (https).
    pub policy_url: String,
    /// Who is responsible and how to reach them.
    pub controller: Controller,
    /// Age below which a guardian must consent: 18 in both apps (seed 002: a minor needs a
    /// parent's consent for an account; seed 003: a guardian's authorisation under 18,
    /// consent under 14; PIPL Art. 31's 14 is the floor).
    pub min_age: u8,
    /// Working days within which a copy of the data is given (seed 002: "15个工作日"), and
    /// every other request too when `rights_response_days` is absent.
    pub rights_response_working_days: u8,
    /// Calendar days within which the other requests (correction, deletion, closing) are
    /// answered (seed 002: "我们将在15天内做出答复").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights_response_days: Option<u8>,
    /// Kinds of personal data the app processes.
    pub categories: Vec<Category>,
    /// What the data is processed for.
    pub purposes: Vec<Purpose>,
    /// Third parties embedded in the app and what each receives.
    pub sdks: Vec<Sdk>,
}

/// The controller of the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Legal name.
    pub name: String,
    /// Privacy contact (e-mail or phone of the privacy office).
    pub contact: String,
}

/// A kind of personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable id, `snake_case`.
    pub id: String,
    /// Label shown to the user.
    pub label: String,
    /// Sensitive personal information (PIPL Art. 28): needs separate consent.
    pub sensitive: bool,
    /// The app-store data type it is disclosed as (Apple privacy manifest, Play data safety).
    pub store_type: StoreDataType,
}

/// Data types of the app stores' privacy disclosures, the subset logistics apps use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreDataType {
    /// The user's name.
    Name,
    /// The user's phone number.
    PhoneNumber,
    /// A postal address.
    PhysicalAddress,
    /// Contact data of other people (consignees, recipients).
    OtherUserContactInfo,
    /// GPS-grade location, including trajectories.
    PreciseLocation,
    /// Coarse location.
    CoarseLocation,
    /// Photos or videos.
    PhotosOrVideos,
    /// Address-book entries.
    Contacts,
    /// Identity documents, face images.
    SensitiveInfo,
    /// Payment account and status.
    PaymentInfo,
    /// Order history.
    PurchaseHistory,
    /// Device or install identifiers.
    DeviceId,
    /// How the app is used.
    ProductInteraction,
}

/// What a purpose is disclosed as in the stores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclosurePurpose {
    /// Running the app's functions.
    #[default]
    AppFunctionality,
    /// Measuring and improving the app.
    Analytics,
    /// The developer's own marketing.
    DeveloperAdvertising,
}

/// Whether a function is core (the service cannot run without it) or optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    /// Basic function: refusing it means not using the service.
    Core,
    /// Additional function: may be refused without losing core functions (PIPL Art. 16).
    Optional,
}

/// Lawful basis of a purpose (PIPL Art. 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Consent, given with the policy (core) or by its own switch (optional).
    Consent,
    /// Separate consent, required for sensitive data (PIPL Art. 29).
    SeparateConsent,
    /// Necessary to conclude or perform a contract the user is party to.
    Contract,
    /// Required by law.
    LegalObligation,
}

impl Basis {
    /// Whether the user's own decision is the basis (so it can be refused and withdrawn).
    pub fn needs_decision(self) -> bool {
        matches!(self, Basis::Consent | Basis::SeparateConsent)
    }
}

/// An OS permission the shell can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Coarse location (network, cell).
    LocationApproximate,
    /// GPS location.
    LocationPrecise,
    /// Location while the app is in the background.
    LocationBackground,
    /// Camera.
    Camera,
    /// Photo library (limited or full).
    Photos,
    /// Address book.
    Contacts,
    /// Notifications.
    Notifications,
}

impl Permission {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::LocationApproximate => "location_approximate",
            Permission::LocationPrecise => "location_precise",
            Permission::LocationBackground => "location_background",
            Permission::Camera => "camera",
            Permission::Photos => "photos",
            Permission::Contacts => "contacts",
            Permission::Notifications => "notifications",
        }
    }
}

/// What starts a retention clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionStart {
    /// When the datum was collected.
    Collected,
    /// When the order it belongs to was closed (delivered or cancelled).
    OrderClosed,
    /// When the server confirmed receipt (the device keeps no copy after that).
    Uploaded,
    /// When the account was cancelled.
    AccountClosed,
}

/// How long data of a purpose is kept on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days after the start event.
    pub days: u32,
    /// The start event.
    pub from: RetentionStart,
}

/// A purpose of processing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// Stable id, `snake_case`.
    pub id: String,
    /// Label shown to the user.
    pub label: String,
    /// What it is for, shown in the settings screen.
    pub description: String,
    /// Core or optional.
    pub function: Function,
    /// Lawful basis.
    pub basis: Basis,
    /// Categories processed for it.
    pub categories: Vec<String>,
    /// OS permissions the function uses.
    #[serde(default)]
    pub permissions: Vec<Permission>,
    /// Why the permission is asked, shown before the OS prompt.
    #[serde(default)]
    pub rationale: Option<String>,
    /// How the function works without the permission (e.g. "choose the city by hand").
    /// With an alternative, a missing permission degrades the function instead of blocking it.
    #[serde(default)]
    pub without_permission: Option<String>,
    /// What refusing or withdrawing costs the user.
    pub if_refused: String,
    /// Retention on the device.
    pub retention: Retention,
    /// What the purpose is disclosed as in the app stores.
    #[serde(default)]
    pub disclosure: DisclosurePurpose,
    /// Who, beyond the controller, is shown the purpose's data (the errand's shipper sees
    /// the courier's position in transit): disclosed in settings and the transparency log;
    /// a new one is a material change (P-68).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<Recipient>,
}

/// Someone the controller shows a purpose's data to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Stable id, `snake_case`.
    pub id: String,
    /// Who, and what they see when, as shown to the user.
    pub label: String,
}

impl Purpose {
    /// Whether a minor may be asked for it: marketing and profiling (the developer's own
    /// advertising) are for adults only.
    pub fn for_minors(&self) -> bool {
        self.disclosure != DisclosurePurpose::DeveloperAdvertising
    }
}

/// A third-party SDK embedded in the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sdk {
    /// Stable id.
    pub id: String,
    /// Name as the policy gives it.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// Purposes it serves.
    pub purposes: Vec<String>,
    /// Categories it receives.
    pub categories: Vec<String>,
    /// The provider's privacy page (https).
    pub url: String,
}

/// Why a manifest was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Too large to be a policy.
    #[error("manifest is {0} bytes; the limit is {MAX_MANIFEST_BYTES}")]
    TooLarge(usize),
    /// Not valid JSON for the schema (unknown fields included).
    #[error("manifest does not parse: {0}")]
    Syntax(String),
    /// Parses, but breaks a rule; the path names the offending element.
    #[error("manifest rule broken at {path}: {rule}")]
    Rule {
        /// Where, e.g. `purposes[trajectory_upload].basis`.
        path: String,
        /// What rule.
        rule: String,
    },
}

fn rule(path: impl Into<String>, rule: impl Into<String>) -> ManifestError {
    ManifestError::Rule {
        path: path.into(),
        rule: rule.into(),
    }
}

impl Manifest {
    /// Parses and lints a manifest document.
    pub fn parse(json: &str) -> Result<Manifest, ManifestError> {
        if json.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(json.len()));
        }
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|e| ManifestError::Syntax(e.to_string()))?;
        manifest.lint()?;
        Ok(manifest)
    }

    /// The purpose with this id.
    pub fn purpose(&self, id: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.id == id)
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Whether a purpose processes any sensitive category.
    pub fn is_sensitive(&self, purpose: &Purpose) -> bool {
        purpose
            .categories
            .iter()
            .any(|c| self.category(c).is_some_and(|c| c.sensitive))
    }

    fn lint(&self) -> Result<(), ManifestError> {
        if self.schema != 1 {
            return Err(rule("schema", "only schema 1 is supported"));
        }
        if !matches!(self.app.as_str(), "driver" | "shipper") {
            return Err(rule("app", "must be \"driver\" or \"shipper\""));
        }
        text("policy_version", &self.policy_version, 32)?;
        https("policy_url", &self.policy_url)?;
        text("controller.name", &self.controller.name, MAX_LABEL)?;
        text("controller.contact", &self.controller.contact, MAX_LABEL)?;
        if !(1..=18).contains(&self.min_age) {
            return Err(rule("min_age", "must be within 1..=18"));
        }
        if !(1..=30).contains(&self.rights_response_working_days) {
            return Err(rule(
                "rights_response_working_days",
                "must be within 1..=30",
            ));
        }
        if self
            .rights_response_days
            .is_some_and(|d| !(1..=45).contains(&d))
        {
            return Err(rule("rights_response_days", "must be within 1..=45"));
        }
        let categories = ids(
            "categories",
            self.categories.iter().map(|c| (&c.id, &c.label)),
        )?;
        let purposes = ids("purposes", self.purposes.iter().map(|p| (&p.id, &p.label)))?;
        ids("sdks", self.sdks.iter().map(|s| (&s.id, &s.name)))?;
        if !self.purposes.iter().any(|p| p.function == Function::Core) {
            return Err(rule("purposes", "at least one core purpose is required"));
        }
        for p in &self.purposes {
            let at = |field: &str| format!("purposes[{}].{field}", p.id);
            text(&at("description"), &p.description, MAX_TEXT)?;
            text(&at("if_refused"), &p.if_refused, MAX_TEXT)?;
            ids(
                &at("recipients"),
                p.recipients.iter().map(|r| (&r.id, &r.label)),
            )?;
            if p.categories.is_empty() {
                return Err(rule(
                    at("categories"),
                    "a purpose processes at least one category",
                ));
            }
            for c in &p.categories {
                if !categories.contains(c.as_str()) {
                    return Err(rule(at("categories"), format!("undeclared category {c:?}")));
                }
            }
            // Sensitive data on a decision needs a separate one; a core function may rest
            // on the contract it is necessary for (PIPL Art. 13(2)), shown emphasised.
            let necessary = p.basis == Basis::Contract && p.function == Function::Core;
            if self.is_sensitive(p)
                && !necessary
                && !matches!(p.basis, Basis::SeparateConsent | Basis::LegalObligation)
            {
                return Err(rule(
                    at("basis"),
                    "sensitive categories need separate_consent (PIPL Art. 29), or the contract of a core function",
                ));
            }
            if p.function == Function::Optional && !p.basis.needs_decision() {
                return Err(rule(
                    at("basis"),
                    "an optional function must rest on consent the user can refuse",
                ));
            }
            if !p.permissions.is_empty() && p.rationale.as_deref().is_none_or(str::is_empty) {
                return Err(rule(
                    at("rationale"),
                    "a purpose that asks for a permission must say why",
                ));
            }
            for (field, value) in [
                ("rationale", &p.rationale),
                ("without_permission", &p.without_permission),
            ] {
                if let Some(v) = value {
                    text(&at(field), v, MAX_TEXT)?;
                }
            }
            if p.retention.days > MAX_RETENTION_DAYS {
                return Err(rule(
                    at("retention.days"),
                    format!("at most {MAX_RETENTION_DAYS} days"),
                ));
            }
        }
        for s in &self.sdks {
            let at = |field: &str| format!("sdks[{}].{field}", s.id);
            text(&at("provider"), &s.provider, MAX_LABEL)?;
            https(&at("url"), &s.url)?;
            for p in &s.purposes {
                if !purposes.contains(p.as_str()) {
                    return Err(rule(at("purposes"), format!("undeclared purpose {p:?}")));
                }
            }
            for c in &s.categories {
                if !categories.contains(c.as_str()) {
                    return Err(rule(at("categories"), format!("undeclared category {c:?}")));
                }
                let served = s
                    .purposes
                    .iter()
                    .filter_map(|p| self.purpose(p))
                    .any(|p| p.categories.contains(c));
                if !served {
                    return Err(rule(
                        at("categories"),
                        format!("{c:?} is not processed by any purpose this SDK serves"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn text(path: &str, value: &str, max: usize) -> Result<(), ManifestError> {
    if value.trim().is_empty() {
        return Err(rule(path, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(rule(path, format!("longer than {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(rule(path, "control characters are not allowed"));
    }
    Ok(())
}

fn https(path: &str, url: &str) -> Result<(), ManifestError> {
    text(path, url, MAX_LABEL)?;
    if !url.starts_with("https://") || url.len() <= "https://".len() {
        return Err(rule(path, "must be an https:// URL"));
    }
    Ok(())
}

fn ids<'a>(
    list: &str,
    items: impl Iterator<Item = (&'a String, &'a String)>,
) -> Result<BTreeSet<&'a str>, ManifestError> {
    let mut seen = BTreeSet::new();
    for (i, (id, label)) in items.enumerate() {
        if i >= MAX_ITEMS {
            return Err(rule(list, format!("more than {MAX_ITEMS} entries")));
        }
        let well_formed = (1..=64).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err(rule(
                format!("{list}[{i}].id"),
                "must be snake_case, 1..=64 characters",
            ));
        }
        text(&format!("{list}[{id}].label"), label, MAX_LABEL)?;
        if !seen.insert(id.as_str()) {
            return Err(rule(format!("{list}[{id}]"), "duplicate id"));
        }
    }
    Ok(seen)
}

/// One difference between the policy a user accepted and the one in force, as the
/// "what changed" popup lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    /// Purpose, category or SDK concerned.
    pub subject: String,
    /// What changed, in words.
    pub description: String,
    /// Whether it needs a new decision (P-68: decided by the diff, not by the publisher).
    pub material: bool,
}

/// The changes from `old` to `new`. Material: a purpose added or its categories, basis or
/// permissions changed; a retention lengthened; an SDK added or receiving more; the
/// controller changed. Not material: wording, shorter retention, removals.
pub fn diff(old: &Manifest, new: &Manifest) -> Vec<PolicyChange> {
    let mut changes = Vec::new();
    let mut push = |subject: &str, description: String, material: bool| {
        changes.push(PolicyChange {
            subject: subject.to_string(),
            description,
            material,
        });
    };
    if old.app != new.app {
        push(
            "policy",
            format!("the policy is now for the {} app", new.app),
            true,
        );
    }
    if old.controller != new.controller {
        push(
            "controller",
            format!(
                "the controller or its contact is now {}",
                new.controller.name
            ),
            true,
        );
    }
    // Who counts as a minor changes who needs a guardian: either way, a new decision.
    if old.min_age != new.min_age {
        push(
            "minors",
            format!("guardian consent is now needed under {}", new.min_age),
            true,
        );
    }
    // A longer answer time weakens a right (P-68: never without explicit consent).
    if new.rights_response_working_days != old.rights_response_working_days {
        let longer = new.rights_response_working_days > old.rights_response_working_days;
        let days = new.rights_response_working_days;
        push(
            "rights",
            format!("rights requests are answered within {days} working days"),
            longer,
        );
    }
    let calendar = |m: &Manifest| m.rights_response_days.map_or(u16::MAX, u16::from);
    if calendar(new) != calendar(old) {
        let longer = calendar(new) > calendar(old);
        push(
            "rights",
            "the deadline for correction and deletion changed".into(),
            longer,
        );
    }
    if old.effective_date != new.effective_date || old.policy_url != new.policy_url {
        push(
            "policy",
            "the policy's date or address changed".into(),
            false,
        );
    }
    let old_categories: BTreeMap<_, _> = old.categories.iter().map(|c| (&c.id, c)).collect();
    for c in &new.categories {
        let Some(o) = old_categories.get(&c.id) else {
            continue; // a category matters where a purpose or SDK starts using it
        };
        if o.sensitive != c.sensitive {
            // Sensitive data needs separate consent: every purpose using it asks again.
            for p in new.purposes.iter().filter(|p| p.categories.contains(&c.id)) {
                push(
                    &p.id,
                    format!(
                        "{} is now {}",
                        c.label,
                        if c.sensitive {
                            "sensitive"
                        } else {
                            "not sensitive"
                        }
                    ),
                    true,
                );
            }
        }
        if o.label != c.label || o.store_type != c.store_type {
            push(&c.id, format!("{}: wording updated", c.label), false);
        }
    }
    for o in &old.categories {
        if !new.categories.iter().any(|c| c.id == o.id) {
            push(&o.id, format!("no longer collected: {}", o.label), false);
        }
    }
    let old_purposes: BTreeMap<_, _> = old.purposes.iter().map(|p| (&p.id, p)).collect();
    for p in &new.purposes {
        match old_purposes.get(&p.id) {
            None => push(&p.id, format!("new purpose: {}", p.label), true),
            Some(o) => purpose_changes(o, p, &mut push),
        }
    }
    for o in &old.purposes {
        if new.purpose(&o.id).is_none() {
            push(&o.id, format!("purpose removed: {}", o.label), false);
        }
    }
    let old_sdks: BTreeMap<_, _> = old.sdks.iter().map(|s| (&s.id, s)).collect();
    for s in &new.sdks {
        let Some(o) = old_sdks.get(&s.id) else {
            push(
                &s.id,
                format!("new third party: {} ({})", s.name, s.provider),
                true,
            );
            continue;
        };
        if o.provider != s.provider {
            push(
                &s.id,
                format!("{} is now provided by {}", s.name, s.provider),
                true,
            );
        }
        if s.categories.iter().any(|c| !o.categories.contains(c)) {
            push(&s.id, format!("{} now receives more data", s.name), true);
        }
        if s.purposes.iter().any(|c| !o.purposes.contains(c)) {
            push(&s.id, format!("{} now serves more purposes", s.name), true);
        }
        let fewer = o.categories.iter().any(|c| !s.categories.contains(c))
            || o.purposes.iter().any(|c| !s.purposes.contains(c));
        if fewer || o.name != s.name || o.url != s.url {
            push(
                &s.id,
                format!("{}: wording or a narrower use", s.name),
                false,
            );
        }
    }
    for o in &old.sdks {
        if !new.sdks.iter().any(|s| s.id == o.id) {
            push(&o.id, format!("third party removed: {}", o.name), false);
        }
    }
    changes
}

/// What changed in one purpose: more data, a new basis, function, permission or use, or a
/// longer period is material; wording, less data, fewer permissions and a shorter period
/// are not.
fn purpose_changes(o: &Purpose, p: &Purpose, push: &mut impl FnMut(&str, String, bool)) {
    let added: Vec<_> = p
        .categories
        .iter()
        .filter(|c| !o.categories.contains(c))
        .collect();
    if !added.is_empty() {
        push(&p.id, format!("{} now also uses {added:?}", p.label), true);
    }
    if o.basis != p.basis || o.function != p.function || o.disclosure != p.disclosure {
        push(
            &p.id,
            format!("{} has a new legal basis, function or use", p.label),
            true,
        );
    }
    if p.permissions.iter().any(|x| !o.permissions.contains(x)) {
        push(&p.id, format!("{} asks for new permissions", p.label), true);
    }
    if p.retention.days > o.retention.days || p.retention.from != o.retention.from {
        push(
            &p.id,
            format!("{} keeps data longer ({} days)", p.label, p.retention.days),
            true,
        );
    } else if p.retention.days < o.retention.days {
        push(
            &p.id,
            format!(
                "{} keeps data for less time ({} days)",
                p.label, p.retention.days
            ),
            false,
        );
    }
    for r in p
        .recipients
        .iter()
        .filter(|r| !o.recipients.iter().any(|x| x.id == r.id))
    {
        push(
            &p.id,
            format!("{} is now shown to {}", p.label, r.label),
            true,
        );
    }
    let narrower = o.categories.iter().any(|c| !p.categories.contains(c))
        || o.permissions.iter().any(|x| !p.permissions.contains(x))
        || o.recipients
            .iter()
            .any(|r| !p.recipients.iter().any(|x| x.id == r.id));
    let worded = o.description != p.description
        || o.label != p.label
        || o.rationale != p.rationale
        || o.without_permission != p.without_permission
        || o.if_refused != p.if_refused
        || o.recipients
            .iter()
            .any(|r| p.recipients.iter().any(|x| x.id == r.id && x != r));
    if narrower || worded {
        push(
            &p.id,
            format!("{}: wording or a narrower use", p.label),
            false,
        );
    }
}

/// The manifest shipped for a role, derived from the seed policies: the file without its
/// layout (compacted at compile time; a stored or published copy is compared parsed, so
/// whitespace never makes two documents differ).
pub fn builtin(role: waybill_protocol::Role) -> &'static str {
    match role {
        waybill_protocol::Role::Driver => {
            embedded_text!("../../manifests/driver.json", compact_json)
        }
        waybill_protocol::Role::Shipper => {
            embedded_text!("../../manifests/shipper.json", compact_json)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_manifests_are_the_files_without_their_layout() {
        for (role, file) in [
            (
                waybill_protocol::Role::Driver,
                include_str!("../../manifests/driver.json"),
            ),
            (
                waybill_protocol::Role::Shipper,
                include_str!("../../manifests/shipper.json"),
            ),
        ] {
            let value = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
            assert_eq!(value(builtin(role)), value(file));
            assert!(builtin(role).len() < file.len());
            assert!(!builtin(role).contains('\n'));
        }
    }
}
