//! Service notices (P-69, P-70): security incidents, maintenance and the end of the service,
//! published by the controller to every user, shown in-app whatever the settings, and
//! signed (Ed25519) by the controller's control key so that neither a network attacker nor
//! a compromised front end can make an app show a false notice or stop collecting. A
//! `service_stop` must be announced at least [`STOP_NOTICE_DAYS`] ahead (seed 003: "至少提前
//! 30日"); from its `stop_at` the device collects nothing and deletes what it holds.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Days a service stop must be announced ahead of its `stop_at`.
pub const STOP_NOTICE_DAYS: i64 = 30;

/// Notices in one page of `GET /v1/notices`.
pub const MAX_NOTICES: usize = 100;

/// Characters of a notice's title and body.
pub const MAX_TITLE_CHARS: usize = 200;
/// See [`MAX_TITLE_CHARS`].
pub const MAX_BODY_CHARS: usize = 4_000;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A security incident: its impact and what to do (PIPL Art. 57; seeds 001, 003).
    SecurityIncident,
    /// Planned maintenance.
    Maintenance,
    /// The service stops at `stop_at` (seeds 002, 003).
    ServiceStop,
}

/// A notice, as the controller signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The controller's id of the notice.
    pub id: String,
    /// What it is about.
    pub kind: NoticeKind,
    /// Shown as the heading.
    pub title: String,
    /// Impact and advice, or what stops when.
    pub body: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// For `service_stop`: when collection stops and the data goes.
    #[serde(default)]
    pub stop_at: Option<DateTime<Utc>>,
    /// Its place in the controller's sequence (1, 2, 3, …), assigned when it is published
    /// and signed with it; the signed [`NoticesHead`] says how far the sequence has reached,
    /// so a device can tell that a front end withheld one. 0: not sequenced.
    #[serde(default)]
    pub seq: u64,
}

/// How far the controller's notice sequence has reached, signed at each publication and
/// served with the control documents: a device holding fewer of `1..=through` knows that
/// some were withheld from it, and reads the notices again from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoticesHead {
    /// The `seq` of the newest notice published.
    pub through: u64,
    /// When the controller signed it.
    pub issued_at: DateTime<Utc>,
}

impl Notice {
    /// A notice the device may show: an id, bounded text, and for a stop a `stop_at`
    /// announced at least [`STOP_NOTICE_DAYS`] after publication (other kinds have none).
    pub fn is_valid(&self) -> bool {
        let stop_ok = match (self.kind, self.stop_at) {
            (NoticeKind::ServiceStop, Some(at)) => {
                at >= self.published_at + Duration::days(STOP_NOTICE_DAYS)
            }
            (NoticeKind::ServiceStop, None) => false,
            (_, stop) => stop.is_none(),
        };
        crate::limits::is_valid_id(&self.id)
            && is_text(&self.title, MAX_TITLE_CHARS)
            && is_text(&self.body, MAX_BODY_CHARS)
            && stop_ok
    }
}

/// Whether `s` is notice text: not blank, at most `max` characters, no control characters
/// but line breaks.
fn is_text(s: &str, max: usize) -> bool {
    !s.trim().is_empty()
        && s.chars().count() <= max
        && !s.chars().any(|c| c.is_control() && c != '\n')
}

/// A marketing message (P-64): sent only to an account whose newest `marketing` decision
/// is a grant, pulled by a device only while that consent is live, and shown with an
/// unsubscribe that withdraws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarketingMessage {
    /// The operator's id of the message.
    pub id: String,
    /// Shown as the heading.
    pub title: String,
    /// The offer.
    pub body: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

impl MarketingMessage {
    /// An id and bounded text.
    pub fn is_valid(&self) -> bool {
        crate::limits::is_valid_id(&self.id)
            && is_text(&self.title, MAX_TITLE_CHARS)
            && is_text(&self.body, MAX_BODY_CHARS)
    }
}

/// `GET /v1/marketing`: the marketing messages of the last 30 days, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarketingMessages {
    /// Oldest first, at most [`MAX_NOTICES`].
    pub messages: Vec<MarketingMessage>,
}

/// A document the controller signed: its JSON exactly as signed, and the Ed25519
/// signature over those bytes (base64). The device parses only what verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Signed {
    /// The signed JSON document.
    pub payload: String,
    /// Ed25519 signature of `payload`'s UTF-8 bytes, standard base64.
    pub signature: String,
}

/// `GET /v1/notices?after=`: notices published after the cursor, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notices {
    /// Each notice as signed.
    pub notices: Vec<Signed>,
    /// Where this page ends: the next request's `after`.
    pub cursor: i64,
}

/// The SDK switch (P-51; seed 001: "immediately deactivate the SDK"): the SDKs the
/// controller deactivated, as of `issued_at`. A device keeps the newest it verified, so an
/// old switch replayed cannot bring a deactivated SDK back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SdkSwitch {
    /// When the controller issued it.
    pub issued_at: DateTime<Utc>,
    /// Ids of the SDKs (as the manifests declare them) that get nothing from now on.
    pub disabled: Vec<String>,
}

/// `GET /v1/control?app=`: the controller's signed documents for one app, the newest of
/// each: its policy manifest and the SDK switch. Either may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Control {
    /// The policy manifest (its JSON as signed).
    #[serde(default)]
    pub manifest: Option<Signed>,
    /// The SDK switch.
    #[serde(default)]
    pub sdk_switch: Option<Signed>,
    /// How far the notice sequence has reached ([`NoticesHead`], signed).
    #[serde(default)]
    pub notices_head: Option<Signed>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: NoticeKind, stop_in_days: Option<i64>) -> Notice {
        let published_at = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Notice {
            id: "n-1".into(),
            kind,
            title: "Service ends".into(),
            body: "The service stops; your data will be deleted.".into(),
            published_at,
            stop_at: stop_in_days.map(|d| published_at + Duration::days(d)),
            seq: 1,
        }
    }

    #[test]
    fn a_stop_is_announced_thirty_days_ahead_and_only_a_stop_has_a_stop_time() {
        assert!(notice(NoticeKind::ServiceStop, Some(30)).is_valid());
        assert!(!notice(NoticeKind::ServiceStop, Some(29)).is_valid());
        assert!(!notice(NoticeKind::ServiceStop, None).is_valid());
        assert!(notice(NoticeKind::SecurityIncident, None).is_valid());
        assert!(!notice(NoticeKind::Maintenance, Some(40)).is_valid());
        let mut bad = notice(NoticeKind::SecurityIncident, None);
        bad.title = "\u{7}bell".into();
        assert!(!bad.is_valid());
    }
}
