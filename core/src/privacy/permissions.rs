//! The OS permission mirror and the 48-hour rule: after the user refuses a permission,
//! the app does not ask for it again on its own for 48 hours (MIIT practice); only the
//! user starting the function themselves may lead to it, through the OS settings.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::manifest::Permission;
use crate::db::StorageResult;

/// How long a refusal silences automatic asks.
pub const REASK_AFTER: Duration = Duration::hours(48);

/// What the OS says about a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionState {
    /// Allowed.
    Granted,
    /// Allowed in part (iOS limited photo library, Android approximate instead of precise).
    Limited,
    /// Refused.
    Denied,
    /// Never asked.
    NotDetermined,
}

impl PermissionState {
    fn as_str(self) -> &'static str {
        match self {
            PermissionState::Granted => "granted",
            PermissionState::Limited => "limited",
            PermissionState::Denied => "denied",
            PermissionState::NotDetermined => "not_determined",
        }
    }

    fn parse(s: &str) -> PermissionState {
        match s {
            "granted" => PermissionState::Granted,
            "limited" => PermissionState::Limited,
            "denied" => PermissionState::Denied,
            _ => PermissionState::NotDetermined,
        }
    }

    /// Whether the function may use the permission.
    pub fn usable(self) -> bool {
        matches!(self, PermissionState::Granted | PermissionState::Limited)
    }
}

/// A permission's mirrored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mirrored {
    /// Current state.
    pub state: PermissionState,
    /// When the user last refused it.
    pub last_refused_at: Option<DateTime<Utc>>,
}

/// Records what the shell reports. A change to `Denied` counts as a refusal at `now`.
pub fn report(
    tx: &Transaction<'_>,
    permission: Permission,
    state: PermissionState,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let previous = get(tx, permission)?;
    let refused_now = state == PermissionState::Denied && previous.state != PermissionState::Denied;
    let last_refused = if refused_now {
        Some(now)
    } else {
        previous.last_refused_at
    };
    tx.execute(
        "INSERT INTO permissions (permission, state, updated_at, last_refused_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (permission) DO UPDATE SET state = excluded.state,
             updated_at = excluded.updated_at, last_refused_at = excluded.last_refused_at",
        params![permission.as_str(), state.as_str(), now.to_rfc3339(), last_refused.map(|t| t.to_rfc3339())],
    )?;
    Ok(())
}

/// The mirrored state of one permission (never reported: not determined).
pub fn get(conn: &Connection, permission: Permission) -> StorageResult<Mirrored> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT state, last_refused_at FROM permissions WHERE permission = ?1",
            [permission.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        None => Mirrored {
            state: PermissionState::NotDetermined,
            last_refused_at: None,
        },
        Some((state, refused)) => Mirrored {
            state: PermissionState::parse(&state),
            last_refused_at: refused
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
        },
    })
}

/// What the shell should do about a permission a function needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionAsk {
    /// Already usable: nothing to ask.
    NotNeeded,
    /// Show the rationale, then the OS prompt.
    Ask {
        /// The permission.
        permission: Permission,
        /// Why, from the manifest.
        rationale: String,
    },
    /// Refused recently and the user started the function: explain and offer the OS
    /// settings page instead of prompting.
    OpenSettings {
        /// The permission.
        permission: Permission,
        /// Why, from the manifest.
        rationale: String,
    },
    /// The purpose rests on a choice made in the app that is still open (or a no the user
    /// is now revisiting by opening the function): show the in-app choice; the OS prompt
    /// comes only after a yes, so no OS dialog ever stands in for the in-app decision.
    DecideInApp {
        /// The purpose to decide.
        purpose: String,
    },
    /// The user said no in the app (or the purpose is not offered to them) and the app,
    /// not the user, wants it: ask nothing.
    Declined {
        /// The purpose.
        purpose: String,
    },
    /// Refused less than 48 hours ago and the app, not the user, wants it: do not ask.
    Suppressed {
        /// The permission.
        permission: Permission,
        /// When asking is allowed again.
        until: DateTime<Utc>,
    },
}

/// Decides the ask for the first permission of `needed` that is not usable.
pub fn ask(
    conn: &Connection,
    needed: &[Permission],
    rationale: &str,
    user_initiated: bool,
    now: DateTime<Utc>,
) -> StorageResult<PermissionAsk> {
    for &permission in needed {
        let mirrored = get(conn, permission)?;
        if mirrored.state.usable() {
            continue;
        }
        let rationale = rationale.to_string();
        let recent_refusal = mirrored
            .last_refused_at
            .map(|at| at + REASK_AFTER)
            .filter(|until| now < *until);
        return Ok(match (recent_refusal, user_initiated) {
            (None, _) => PermissionAsk::Ask {
                permission,
                rationale,
            },
            (Some(_), true) => PermissionAsk::OpenSettings {
                permission,
                rationale,
            },
            (Some(until), false) => PermissionAsk::Suppressed { permission, until },
        });
    }
    Ok(PermissionAsk::NotNeeded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;

    #[test]
    fn a_refusal_silences_automatic_asks_for_48_hours() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), &crate::db::test_key()).unwrap();
        let t0 = Utc::now();
        let cam = [Permission::Camera];
        let first = db
            .read(|c| ask(c, &cam, "photos prove delivery", false, t0))
            .unwrap();
        assert!(matches!(
            first,
            PermissionAsk::Ask {
                permission: Permission::Camera,
                ..
            }
        ));

        db.write(|tx| report(tx, Permission::Camera, PermissionState::Denied, t0))
            .unwrap();
        let at = |t| {
            db.read(|c| ask(c, &cam, "photos prove delivery", false, t))
                .unwrap()
        };
        let almost = t0 + REASK_AFTER - Duration::minutes(1);
        assert_eq!(
            at(almost),
            PermissionAsk::Suppressed {
                permission: Permission::Camera,
                until: t0 + REASK_AFTER
            }
        );
        assert!(matches!(at(t0 + REASK_AFTER), PermissionAsk::Ask { .. }));

        // The user tapping the function within the 48 hours is sent to the OS settings.
        let tapped = db
            .read(|c| ask(c, &cam, "photos prove delivery", true, almost))
            .unwrap();
        assert!(matches!(tapped, PermissionAsk::OpenSettings { .. }));

        // Reporting "denied" again does not restart the clock; granting ends the asks.
        db.write(|tx| report(tx, Permission::Camera, PermissionState::Denied, almost))
            .unwrap();
        assert!(matches!(at(t0 + REASK_AFTER), PermissionAsk::Ask { .. }));
        db.write(|tx| report(tx, Permission::Camera, PermissionState::Granted, almost))
            .unwrap();
        assert_eq!(at(almost), PermissionAsk::NotNeeded);
    }
}
