//! The accepted policy, readable at any time and offline (P-02; seed 001: "You may also
//! review the entire content of the Privacy Policy"): rendered from the manifest version
//! the person accepted, which the database keeps, in the manifest's own words: who the
//! controller is, each purpose with its data, basis, permissions, what refusing costs and
//! how long data is kept, the third parties, and the rights with their deadlines. The full
//! legal text stays at the policy's address.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::ledger;
use super::manifest::{Basis, Function, Manifest};
use crate::error::Result;

/// A policy as the person can read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    /// The version shown: the one accepted, or the one in force before any acceptance.
    pub version: String,
    /// When the person accepted it (`None`: not yet).
    pub accepted_at: Option<DateTime<Utc>>,
    /// Where the full legal text is published.
    pub url: String,
    /// The policy in Markdown.
    pub markdown: String,
}

/// The policy the person accepted (or, before any acceptance, the one in force).
pub fn accepted(conn: &Connection, in_force: &Manifest) -> Result<PolicyText> {
    let receipts = ledger::all(conn)?;
    let acceptance = ledger::latest_policy_acceptance(&receipts);
    let manifest = match &acceptance {
        Some(r) => {
            super::stored_manifest(conn, &r.policy_version)?.unwrap_or_else(|| in_force.clone())
        }
        None => in_force.clone(),
    };
    Ok(PolicyText {
        version: manifest.policy_version.clone(),
        accepted_at: acceptance.map(|r| r.at),
        url: manifest.policy_url.clone(),
        markdown: render(&manifest),
    })
}

/// The manifest as a readable policy.
pub fn render(m: &Manifest) -> String {
    let label = |id: &str| {
        m.categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| {
                if c.sensitive {
                    format!("**{} (sensitive)**", c.label)
                } else {
                    c.label.clone()
                }
            })
            .unwrap_or_else(|| id.to_string())
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Privacy policy of the {} app, version {}",
        m.app, m.policy_version
    );
    let _ = writeln!(
        out,
        "\nIn effect from {}. Full text: {}",
        m.effective_date, m.policy_url
    );
    let _ = writeln!(
        out,
        "\nController: {} ({})",
        m.controller.name, m.controller.contact
    );
    let _ = writeln!(out, "\n## What is processed, and why");
    for p in &m.purposes {
        let function = match p.function {
            Function::Core => "needed for the service",
            Function::Optional => "optional",
        };
        let basis = match p.basis {
            Basis::Consent => "your consent",
            Basis::SeparateConsent => "your separate consent",
            Basis::Contract => "the contract you use the service under",
            Basis::LegalObligation => "the law",
        };
        let _ = writeln!(
            out,
            "\n### {} ({function}; basis: {basis})\n\n{}",
            p.label, p.description
        );
        let data: Vec<String> = p.categories.iter().map(|c| label(c)).collect();
        let _ = writeln!(out, "\n- Data: {}", data.join(", "));
        if !p.permissions.is_empty() {
            let asked: Vec<&str> = p.permissions.iter().map(|x| x.as_str()).collect();
            let _ = writeln!(out, "- Asks for: {}", asked.join(", "));
        }
        if let Some(why) = &p.rationale {
            let _ = writeln!(out, "- Why: {why}");
        }
        let _ = writeln!(out, "- If you refuse: {}", p.if_refused);
        let _ = writeln!(
            out,
            "- Kept: {}",
            super::settings::retention_text(p.retention.days, p.retention.from)
        );
    }
    let _ = writeln!(out, "\n## Third parties in the app");
    for s in &m.sdks {
        let data: Vec<String> = s.categories.iter().map(|c| label(c)).collect();
        let _ = writeln!(
            out,
            "\n- {} ({}): {} for {}; their policy: {}",
            s.name,
            s.provider,
            data.join(", "),
            s.purposes.join(", "),
            s.url
        );
    }
    let _ = writeln!(out, "\n## Your rights");
    let _ = writeln!(
        out,
        "\nA copy of your data within {} working days; a correction, a deletion or closing \
         your account within {} days. A person under {} needs a guardian's consent.",
        m.rights_response_working_days,
        m.rights_response_days
            .unwrap_or(m.rights_response_working_days),
        m.min_age
    );
    out
}
