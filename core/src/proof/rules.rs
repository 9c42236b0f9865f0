//! Which proofs an order step needs, as the app configures it (the best driver apps let
//! the shipper or the fleet decide): per step and kind, required, recommended (the app
//! warns), optional, or off (not offered). Completing a step without a required proof is
//! a typed error naming what is missing.

use rusqlite::{Connection, Transaction, params};
use serde::{Deserialize, Serialize};

use super::ProofKind;
use crate::db::meta::{self, MetaKey};
use crate::error::Result;

/// How much a step needs a kind of proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// The step cannot complete without it.
    Required,
    /// The app warns before completing without it.
    Recommended,
    /// Offered, no warning.
    Optional,
    /// Not offered.
    Off,
}

/// One rule: for `step` (an action name: `pick_up`, `deliver`), `kind` is `requirement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRule {
    /// The order step.
    pub step: String,
    /// The proof kind.
    pub kind: String,
    /// How much it is needed.
    pub requirement: Requirement,
}

/// The rules when the app set none: a delivery photo and a signature are recommended at
/// sign-off, a pickup photo is optional; nothing blocks a step.
pub fn defaults() -> Vec<ProofRule> {
    let rule = |step: &str, kind: ProofKind, requirement| ProofRule {
        step: step.into(),
        kind: kind.as_str().into(),
        requirement,
    };
    vec![
        rule("deliver", ProofKind::Delivery, Requirement::Recommended),
        rule("deliver", ProofKind::Signature, Requirement::Recommended),
        rule("pick_up", ProofKind::Pickup, Requirement::Optional),
    ]
}

/// The rules in force.
pub fn load(conn: &Connection) -> Result<Vec<ProofRule>> {
    let stored = meta::get(conn, MetaKey::ProofRules)?;
    Ok(stored
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(defaults))
}

/// Replaces the rules.
pub fn store(tx: &Transaction<'_>, rules: &[ProofRule]) -> Result<()> {
    let json = serde_json::to_string(rules).expect("rules serialize");
    Ok(meta::set(tx, MetaKey::ProofRules, &json)?)
}

/// What a step of an order still lacks: required kinds, then recommended ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProofCheck {
    /// The step cannot complete until these are taken.
    pub missing: Vec<String>,
    /// The app should warn that these were not taken.
    pub recommended: Vec<String>,
}

/// Checks `step` of `order_id` against the rules and the proofs taken for it.
pub fn check(conn: &Connection, order_id: &str, step: &str) -> Result<ProofCheck> {
    let mut taken = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM proofs WHERE order_id = ?1 AND step = ?2 AND kind = ?3)",
    )?;
    let mut out = ProofCheck::default();
    for rule in load(conn)?.into_iter().filter(|r| r.step == step) {
        let has: bool = taken.query_row(params![order_id, step, rule.kind], |r| r.get(0))?;
        match rule.requirement {
            Requirement::Required if !has => out.missing.push(rule.kind),
            Requirement::Recommended if !has => out.recommended.push(rule.kind),
            _ => {}
        }
    }
    Ok(out)
}
