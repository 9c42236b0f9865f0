//! Push (P-23): a device registers the token its push service gave it, only under the
//! `push_notifications` consent with the notifications permission granted; the server
//! tells it what to refresh, never what happened to whom. Without a token the app polls
//! and status still arrives by sync (seed 000: refusing push stops only the push).

use serde::{Deserialize, Serialize};

/// Characters of a push token (FCM's are about 160, APNs' 64 hex; Huawei's and Umeng's
/// fit too).
pub const MAX_TOKEN_CHARS: usize = 4096;

/// Bytes of a push payload the device accepts: a payload names a topic, nothing more.
pub const MAX_PAYLOAD_BYTES: usize = 1024;

/// The version of [`PushData`] this build reads.
pub const PUSH_DATA_VERSION: u32 = 1;

/// The service that delivers the device's pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushPlatform {
    /// Firebase Cloud Messaging (Android with Play services).
    Fcm,
    /// Apple Push Notification service.
    Apns,
    /// Huawei Push Kit.
    Huawei,
    /// Umeng push (Android in China).
    Umeng,
}

impl PushPlatform {
    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Fcm => "fcm",
            PushPlatform::Apns => "apns",
            PushPlatform::Huawei => "huawei",
            PushPlatform::Umeng => "umeng",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<PushPlatform> {
        [
            PushPlatform::Fcm,
            PushPlatform::Apns,
            PushPlatform::Huawei,
            PushPlatform::Umeng,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// `PUT /v1/push-token`: this signed-in device's token (replacing any earlier one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushToken {
    /// The token the push service issued, as it gave it.
    pub token: String,
    /// Which service issued it.
    pub platform: PushPlatform,
}

impl PushToken {
    /// 1..=[`MAX_TOKEN_CHARS`] printable ASCII characters: what every push service issues.
    pub fn is_valid(&self) -> bool {
        (1..=MAX_TOKEN_CHARS).contains(&self.token.len())
            && self.token.bytes().all(|b| b.is_ascii_graphic())
    }
}

/// What a push asks the device to refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushTopic {
    /// An order of the account changed: pull the change feed.
    Orders,
    /// A notice was published: pull the notices.
    Notices,
    /// A waybill the account follows changed: pull the followed waybills.
    Waybills,
}

impl PushTopic {
    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            PushTopic::Orders => "orders",
            PushTopic::Notices => "notices",
            PushTopic::Waybills => "waybills",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<PushTopic> {
        [PushTopic::Orders, PushTopic::Notices, PushTopic::Waybills]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// The data of every push the server sends: the version and the topic. No order id, no
/// status, no name: a push service (and whoever reads a lock screen) learns only that
/// something changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushData {
    /// [`PUSH_DATA_VERSION`].
    pub v: u32,
    /// What to refresh.
    pub refresh: PushTopic,
}

impl PushData {
    /// Reads a payload as a push service delivered it; `None` for anything else (too
    /// long, not this shape, another version).
    pub fn parse(payload: &str) -> Option<PushData> {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return None;
        }
        serde_json::from_str::<PushData>(payload)
            .ok()
            .filter(|d| d.v == PUSH_DATA_VERSION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_names_a_topic_and_nothing_else_is_read() {
        assert_eq!(
            PushData::parse(r#"{"v":1,"refresh":"orders"}"#),
            Some(PushData {
                v: 1,
                refresh: PushTopic::Orders
            })
        );
        for hostile in [
            "",
            "null",
            r#"{"v":2,"refresh":"orders"}"#,
            r#"{"v":1,"refresh":"everything"}"#,
            r#"{"v":1,"refresh":"orders","order_id":"o-1"}"#,
            &format!(
                r#"{{"v":1,"refresh":"orders","x":"{}"}}"#,
                "a".repeat(2_000)
            ),
        ] {
            assert_eq!(PushData::parse(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn tokens_are_printable_and_bounded() {
        let token = |t: &str| PushToken {
            token: t.into(),
            platform: PushPlatform::Fcm,
        };
        assert!(token("dGVzdA:APA91b-x_y").is_valid());
        assert!(!token("").is_valid());
        assert!(!token("two words").is_valid());
        assert!(!token("line\nbreak").is_valid());
        assert!(!token(&"a".repeat(MAX_TOKEN_CHARS + 1)).is_valid());
        assert_eq!(PushPlatform::parse("apns"), Some(PushPlatform::Apns));
        assert_eq!(PushPlatform::parse("gcm"), None);
    }
}
