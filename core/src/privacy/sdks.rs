//! The SDK firewall (C-14): third-party SDKs live in the shells, so the core cannot wrap
//! them, but it decides. The shell asks before starting an SDK and before handing it data;
//! the answer comes from the same gate as every other path, and each hand-over is written
//! to the transparency log with the SDK as recipient.

use rusqlite::Connection;

use super::check;
use super::manifest::Manifest;
use crate::error::{Error, Result};
use crate::purpose::Purpose;
use crate::ticket::Ticket;

/// Whether `sdk_id` may start now: declared in the manifest and serving at least one
/// purpose that has a live basis (P-47: no SDK before consent, none whose function is off).
pub fn may_start(conn: &Connection, manifest: &Manifest, sdk_id: &str) -> Result<bool> {
    let sdk = declared(manifest, sdk_id)?;
    // Deactivated by the controller (P-51): whatever its purposes' state.
    if super::disabled_sdks(conn)?.iter().any(|d| d == sdk_id) {
        return Ok(false);
    }
    for purpose in &sdk.purposes {
        if check(conn, manifest, purpose).is_ok() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A ticket to hand `category` to `sdk_id`: the SDK must be declared as receiving that
/// category, for a purpose that has a live basis now. Otherwise the typed refusal. The
/// navigation purpose also needs `navigating` (a map or navigation screen open, or an
/// order in hand, P-48): a map SDK gets no position in the background for nothing.
pub fn permit(
    conn: &Connection,
    manifest: &Manifest,
    sdk_id: &str,
    category: &str,
    navigating: bool,
) -> Result<(Ticket, String)> {
    let sdk = declared(manifest, sdk_id)?;
    if super::disabled_sdks(conn)?.iter().any(|d| d == sdk_id) {
        return Err(Error::InvalidInput {
            reason: format!("the controller deactivated {sdk_id}: it gets nothing"),
        });
    }
    if !sdk.categories.iter().any(|c| c == category) {
        return Err(Error::InvalidInput {
            reason: format!("the policy does not let {sdk_id} receive {category}"),
        });
    }
    let mut refusal = None;
    for purpose in sdk.purposes.iter().filter(|p| {
        manifest
            .purpose(p)
            .is_some_and(|p| p.categories.iter().any(|c| c == category))
    }) {
        match check(conn, manifest, purpose) {
            Ok(_) if purpose == Purpose::Navigation.id() && !navigating => {
                refusal = Some(Error::InvalidInput {
                    reason: format!(
                        "{sdk_id} gets {category} only while a map or navigation screen is open or an order is carried"
                    ),
                });
            }
            Ok(ticket) => return Ok((ticket, sdk.name.clone())),
            Err(e) => refusal = Some(e),
        }
    }
    Err(refusal.unwrap_or_else(|| Error::InvalidInput {
        reason: format!("no purpose of {sdk_id} processes {category}"),
    }))
}

fn declared<'m>(manifest: &'m Manifest, sdk_id: &str) -> Result<&'m super::manifest::Sdk> {
    manifest
        .sdks
        .iter()
        .find(|s| s.id == sdk_id)
        .ok_or_else(|| Error::InvalidInput {
            reason: format!("the policy declares no SDK {sdk_id:?}; it may not run"),
        })
}
