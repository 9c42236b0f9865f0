//! Service notices (P-69, P-70): security incidents, maintenance and the end of the
//! service, pulled from `GET /v1/notices` at each foreground sync, every 30 minutes in the
//! background, and at once on a `notices` push; kept and
//! shown whatever the settings: no consent gates an announcement, and none is asked (the
//! request carries no credential and no personal datum). A notice counts only if it
//! verifies with the controller's control key the app was built with, so a network
//! attacker or a compromised front end can neither show a false incident nor stop the
//! app; one that does not verify, or breaks the notice rules (a stop announced less than
//! 30 days ahead), is counted and dropped. A verified stop is handed to the privacy engine:
//! from its time the gate refuses every purpose and the sweep deletes what is held.
//! A front end can still withhold a notice it cannot forge: each notice carries its place
//! in the controller's sequence, and the signed head of the sequence (with the control
//! documents) says how far it reached, so what was withheld is counted and read again.
//! Not yet: a head frozen before the notice was published (the head has no expiry).

use std::sync::Arc;

use rusqlite::{Connection, params};
use waybill_protocol::notices::{MAX_NOTICES, Notice, NoticeKind, SdkSwitch, Signed};

use crate::db::StorageResult;
use crate::db::meta::{self, MetaKey};
use crate::error::{Error, Result};
use crate::privacy::engine::Privacy;
use crate::privacy::holdings::{Held, TableDecl};
use crate::services::Services;

/// Pages read in one pull (a backlog beyond it waits for the next sync).
const MAX_PAGES: usize = 10;

/// How long a background sync goes without reading the controller's notices and
/// documents again. A driving phone syncs about once a minute; two more requests each time
/// would triple its requests per hour, for documents that change a few times a year and
/// rules that give a stop 30 days' notice. A foreground sync and a `notices` push read at
/// once.
pub(crate) const CONTROLLER_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

/// What a pull did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoticesPulled {
    /// New notices that verified and are kept.
    pub kept: u32,
    /// Notices refused: a signature that does not verify, or a notice breaking the rules.
    pub refused: u32,
}

/// The notices engine.
pub(crate) struct Notices {
    services: Arc<Services>,
    key: Option<[u8; 32]>,
}

impl Notices {
    /// The engine, believing notices signed with `key` (none: it believes nothing).
    pub(crate) fn new(services: Arc<Services>, key: Option<[u8; 32]>) -> Notices {
        Notices { services, key }
    }

    /// Reads the notices published since the last pull, keeps those that verify.
    pub(crate) async fn pull(&self) -> Result<NoticesPulled> {
        let mut pulled = NoticesPulled::default();
        let Some(key) = self.key else {
            return Ok(pulled);
        };
        for _ in 0..MAX_PAGES {
            let after = self.services.blocking(|s| Ok(s.db.read(cursor)?)).await?;
            let page = self.services.api.notices(after).await?;
            let full = page.notices.len() >= MAX_NOTICES;
            let mut verified = vec![];
            for signed in &page.notices {
                match verify(&key, signed) {
                    Some(notice) => verified.push((notice, signed.clone())),
                    None => pulled.refused += 1,
                }
            }
            if pulled.refused > 0 {
                tracing::warn!(
                    refused = pulled.refused,
                    "notices refused: not signed by the control key"
                );
            }
            // A server that does not move its cursor forward is not followed round again.
            let next = page.cursor.max(after);
            let kept = self
                .services
                .blocking(move |s| {
                    s.db.write(|tx| {
                        let mut kept = 0;
                        for (notice, signed) in &verified {
                            kept += store(tx, notice, signed)?;
                            if let (NoticeKind::ServiceStop, Some(at)) =
                                (notice.kind, notice.stop_at)
                            {
                                crate::privacy::note_service_stop(tx, at)?;
                            }
                        }
                        meta::set(tx, MetaKey::NoticesCursor, &next.to_string())?;
                        Ok::<_, Error>(kept)
                    })
                })
                .await?;
            pulled.kept += kept;
            if !full || next == after {
                break;
            }
        }
        Ok(pulled)
    }

    /// The sync step, first of all: the notices, then the SDK switch and a newer policy
    /// manifest, installed through the privacy engine before anything later in the sync is
    /// sent under the old one (a material change then asks the person again). A failed
    /// read (offline, a server without them) stops nothing else; a cancellation ends the
    /// sync.
    pub(crate) async fn sync(&self, privacy: &Privacy, now: bool) -> Result<ControllerSynced> {
        let mut synced = ControllerSynced::default();
        if self.key.is_none() {
            return Ok(synced);
        }
        let (last, known_withheld) = self
            .services
            .blocking(|s| {
                Ok(s.db.read(|c| {
                    Ok::<_, crate::db::StorageError>((
                        meta::get(c, MetaKey::ControllerReadAt)?,
                        withheld(c)?,
                    ))
                })?)
            })
            .await?;
        let started = chrono::Utc::now();
        if !now && !is_due(last.as_deref(), started) {
            // Not read this time: what the last read found still stands.
            synced.notices_withheld = known_withheld;
            return Ok(synced);
        }
        let pulled = read_or_log(self.pull().await, "notices")?;
        if let Some(pulled) = pulled {
            synced.notices_kept = pulled.kept;
        }
        let (app, in_force) = (privacy.app(), privacy.policy_version());
        let control = read_or_log(
            self.pull_control(&app, &in_force).await,
            "control documents",
        )?;
        if let Some((Some(doc), _)) = &control {
            match privacy.install_manifest(doc) {
                Ok(()) => synced.manifest_installed = true,
                Err(e) => tracing::warn!(error = %e, "published manifest refused"),
            }
        }
        let head = control.as_ref().and_then(|(_, head)| *head);
        // Only a full read counts: a failed one is tried again at the next sync.
        let read_at = (pulled.is_some() && control.is_some()).then(|| started.to_rfc3339());
        let withheld = self
            .services
            .blocking(move |s| {
                Ok(s.db.write(|tx| {
                    if let Some(through) = head {
                        note_head(tx, through)?;
                    }
                    if let Some(at) = &read_at {
                        meta::set(tx, MetaKey::ControllerReadAt, at)?;
                    }
                    read_again_if_withheld(tx)
                })?)
            })
            .await?;
        if withheld > 0 {
            tracing::warn!(
                withheld,
                "notices withheld: the signed sequence is longer than what was served"
            );
        }
        synced.notices_withheld = withheld;
        Ok(synced)
    }

    /// Reads the controller's signed documents for `app`: keeps a newer SDK switch that
    /// verifies, and returns a manifest that verifies and is newer than `in_force`, and how
    /// far a verified notices head says the sequence reached. What does not verify is
    /// dropped, and what is kept stays.
    async fn pull_control(
        &self,
        app: &str,
        in_force: &str,
    ) -> Result<(Option<String>, Option<u64>)> {
        let Some(key) = self.key else {
            return Ok((None, None));
        };
        let docs = self.services.api.control(app).await?;
        let mut refused = 0;
        if let Some(signed) = &docs.sdk_switch {
            match verified::<SdkSwitch>(&key, signed) {
                Some(switch) => {
                    self.services
                        .blocking(move |s| {
                            Ok(s.db.write(|tx| crate::privacy::note_sdk_switch(tx, &switch))?)
                        })
                        .await?;
                }
                None => refused += 1,
            }
        }
        let mut head = None;
        if let Some(signed) = &docs.notices_head {
            match verified_text(&key, signed).and_then(head_through) {
                Some(through) => head = Some(through),
                None => refused += 1,
            }
        }
        let mut manifest = None;
        if let Some(signed) = &docs.manifest {
            match verified_text(&key, signed) {
                Some(doc) if newer_version(doc, in_force) => manifest = Some(doc.to_string()),
                Some(_) => {}
                None => refused += 1,
            }
        }
        if refused > 0 {
            tracing::warn!(
                refused,
                "control documents refused: not signed by the control key"
            );
        }
        Ok((manifest, head))
    }

    /// The notices kept, newest first.
    pub(crate) fn list(&self) -> Result<Vec<Notice>> {
        Ok(self.services.db.read(list)?)
    }
}

/// What the controller's documents did in one sync.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ControllerSynced {
    /// New notices that verified.
    pub(crate) notices_kept: u32,
    /// Notices the signed sequence names that were never served.
    pub(crate) notices_withheld: u32,
    /// Whether a newer published manifest was installed.
    pub(crate) manifest_installed: bool,
}

/// `read`'s value, or `None` with the failure logged: a read that failed stops nothing
/// else in the sync; a cancellation still ends it.
fn read_or_log<T>(read: Result<T>, what: &str) -> Result<Option<T>> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(Error::Cancelled) => Err(Error::Cancelled),
        Err(e) => {
            tracing::info!(error = %e, "{what} not read");
            Ok(None)
        }
    }
}

/// The notice `signed` carries, if its signature verifies with `key` and it keeps the
/// notice rules.
fn verify(key: &[u8; 32], signed: &Signed) -> Option<Notice> {
    verified::<Notice>(key, signed).filter(Notice::is_valid)
}

/// The document `signed` carries, parsed only once its signature verified with `key`.
fn verified<T: serde::de::DeserializeOwned>(key: &[u8; 32], signed: &Signed) -> Option<T> {
    serde_json::from_str(verified_text(key, signed)?).ok()
}

/// `signed`'s payload, if its Ed25519 signature verifies with `key`.
fn verified_text<'s>(key: &[u8; 32], signed: &'s Signed) -> Option<&'s str> {
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signed.signature.trim())
        .ok()?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
        .verify(signed.payload.as_bytes(), &signature)
        .ok()?;
    Some(&signed.payload)
}

/// Whether the manifest `doc` declares a policy version after `in_force` (`2026.12.2` <
/// `2027.1.1`, segment by segment): an older signed manifest replayed is not installed.
fn newer_version(doc: &str, in_force: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Version {
        policy_version: String,
    }
    let segments = |v: &str| -> Option<Vec<u64>> { v.split('.').map(|s| s.parse().ok()).collect() };
    let Ok(Version { policy_version }) = serde_json::from_str::<Version>(doc) else {
        return false;
    };
    match (segments(&policy_version), segments(in_force)) {
        (Some(new), Some(old)) => new > old,
        _ => false,
    }
}

/// Whether a background sync reads the controller's documents at `now`, after a full read
/// at `last`: never read, read [`CONTROLLER_INTERVAL`] ago or more, or "read" in the future
/// (the clock was set back since: the interval is not waited out again from a wrong time).
fn is_due(last: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(last) = last.and_then(|l| chrono::DateTime::parse_from_rfc3339(l).ok()) else {
        return true;
    };
    let since = now - last.with_timezone(&chrono::Utc);
    since >= CONTROLLER_INTERVAL || since < chrono::TimeDelta::zero()
}

/// The `through` of a notices head's JSON (`waybill_protocol::notices::NoticesHead`), read
/// as a plain JSON value: one more typed deserializer costs the library more than these
/// lines. Exactly its two fields, so a notice, a switch or a manifest signed with the same
/// key is not taken for a head.
fn head_through(doc: &str) -> Option<u64> {
    let value = serde_json::from_str::<serde_json::Value>(doc).ok()?;
    let fields = value.as_object()?;
    (fields.len() == 2 && fields.contains_key("issued_at"))
        .then(|| fields.get("through")?.as_u64())
        .flatten()
}

/// Keeps the highest `through` of a verified head.
fn note_head(tx: &rusqlite::Transaction<'_>, through: u64) -> StorageResult<()> {
    if through > known_through(tx)? {
        meta::set(tx, MetaKey::NoticesThrough, &through.to_string())?;
    }
    Ok(())
}

fn known_through(conn: &Connection) -> StorageResult<u64> {
    Ok(meta::get(conn, MetaKey::NoticesThrough)?
        .and_then(|t| t.parse().ok())
        .unwrap_or(0))
}

/// Notices `1..=through` of the last verified head that are not held.
fn withheld(conn: &Connection) -> StorageResult<u32> {
    let through = known_through(conn)?;
    let held: i64 = conn
        .prepare_cached(
            "SELECT count(DISTINCT json_extract(payload, '$.seq')) FROM notices
             WHERE json_extract(payload, '$.seq') BETWEEN 1 AND ?1",
        )?
        .query_row([i64::try_from(through).unwrap_or(i64::MAX)], |r| r.get(0))?;
    let held = u64::try_from(held).unwrap_or_default();
    Ok(u32::try_from(through.saturating_sub(held)).unwrap_or(u32::MAX))
}

/// [`withheld`], and when some are, the cursor back to the start: the next pull reads the
/// whole sequence again (bounded by its pages), so a notice served late is still kept.
fn read_again_if_withheld(tx: &rusqlite::Transaction<'_>) -> StorageResult<u32> {
    let missing = withheld(tx)?;
    if missing > 0 {
        meta::set(tx, MetaKey::NoticesCursor, "0")?;
    }
    Ok(missing)
}

fn cursor(conn: &Connection) -> StorageResult<i64> {
    Ok(meta::get(conn, MetaKey::NoticesCursor)?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// Keeps a verified notice (once per id); 1 if it was new.
fn store(tx: &rusqlite::Transaction<'_>, notice: &Notice, signed: &Signed) -> StorageResult<u32> {
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO notices (id, payload, signature, published_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            notice.id,
            signed.payload,
            signed.signature,
            notice.published_at.to_rfc3339()
        ])?;
    Ok(u32::from(added == 1))
}

fn list(conn: &Connection) -> StorageResult<Vec<Notice>> {
    let mut stmt =
        conn.prepare_cached("SELECT payload FROM notices ORDER BY published_at DESC, id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = vec![];
    for payload in rows {
        // Verified when kept; a row this engine did not write is skipped.
        if let Ok(notice) = serde_json::from_str::<Notice>(&payload?) {
            out.push(notice);
        }
    }
    Ok(out)
}

/// The notices engine's table (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[TableDecl {
    table: "notices",
    held: Held::NotPersonal("the controller's signed announcements to every user"),
    personal: &[],
    plain: &["id", "payload", "signature", "published_at"],
    why_plain: "announcements, the same for every user",
}];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, Utc};

    #[test]
    fn only_a_notices_head_is_read_as_one() {
        let head = waybill_protocol::notices::NoticesHead {
            through: 7,
            issued_at: Utc::now(),
        };
        assert_eq!(
            head_through(&serde_json::to_string(&head).unwrap()),
            Some(7)
        );
        for other in [
            r#"{"issued_at":"2026-12-01T00:00:00Z","disabled":[]}"#,
            r#"{"through":7}"#,
            r#"{"through":-1,"issued_at":"x"}"#,
            r#"{"through":7,"issued_at":"x","more":1}"#,
            "[7]",
            "not json",
        ] {
            assert_eq!(head_through(other), None, "{other}");
        }
    }

    #[test]
    fn a_background_sync_reads_the_controller_again_only_after_the_interval() {
        let now = Utc::now();
        let at = |ago: TimeDelta| (now - ago).to_rfc3339();
        assert!(is_due(None, now), "never read");
        assert!(is_due(Some("not a time"), now), "unreadable: read again");
        assert!(!is_due(Some(&at(TimeDelta::zero())), now));
        assert!(!is_due(
            Some(&at(CONTROLLER_INTERVAL - TimeDelta::seconds(1))),
            now
        ));
        assert!(is_due(Some(&at(CONTROLLER_INTERVAL)), now));
        assert!(is_due(Some(&at(TimeDelta::days(3))), now));
        assert!(
            is_due(Some(&at(-TimeDelta::hours(2))), now),
            "a read in the future means the clock was set back"
        );
    }
}
