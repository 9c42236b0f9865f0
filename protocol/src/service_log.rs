//! Service logs (P-37): what the driver did and when (appointment, navigation, pickup,
//! arrival, sign-off), recorded on the device only under the `service_logs` consent, held
//! there until the server has them, and kept by the server as network logs for the
//! period the Cybersecurity Law asks (at least six months; seed 002: "留存相关的网络日志
//! 不少于六个月"). An event carries no personal value beyond the order id and the time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ActionKind;

/// The retention class the server files service events under.
pub const RETENTION_CLASS: &str = "network_log_180d";

/// Days the server keeps a service event after receiving it.
pub const RETENTION_DAYS: u32 = 180;

/// Events in one `POST /v1/service-events`.
pub const MAX_EVENTS: usize = 200;

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ServiceEventKind {
    /// An order action (its wire name: `pick_up`, `arrive`, `deliver`, `appoint`...).
    Action(ActionKind),
    /// A map or navigation screen opened (`navigation_opened`).
    NavigationOpened,
}

impl ServiceEventKind {
    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceEventKind::Action(kind) => kind.as_str(),
            ServiceEventKind::NavigationOpened => "navigation_opened",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<ServiceEventKind> {
        match s {
            "navigation_opened" => Some(ServiceEventKind::NavigationOpened),
            _ => ActionKind::parse(s).map(ServiceEventKind::Action),
        }
    }
}

impl TryFrom<String> for ServiceEventKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ServiceEventKind::parse(&s).ok_or_else(|| format!("unknown service event kind {s:?}"))
    }
}

impl From<ServiceEventKind> for String {
    fn from(k: ServiceEventKind) -> String {
        k.as_str().to_string()
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceEvent {
    /// Made on the device; the server stores an id once per account (a retry is a no-op).
    pub event_id: String,
    /// What happened: an order action's wire name or `navigation_opened`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "pick_up"))]
    pub kind: ServiceEventKind,
    /// The order it concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// When, by the device's clock.
    pub at: DateTime<Utc>,
}

/// `POST /v1/service-events`: at most [`MAX_EVENTS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceEvents {
    /// The events, oldest first.
    pub events: Vec<ServiceEvent>,
}

/// The reply: the events are held by the server (the device may delete its copies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceEventsHeld {
    /// Events of the request the server holds (sent now or before).
    pub held: u32,
    /// The class they are filed under ([`RETENTION_CLASS`]).
    pub retention_class: String,
    /// Days the server keeps them after receipt.
    pub kept_days: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_their_wire_names_and_unknown_ones_are_refused() {
        for kind in [
            ServiceEventKind::Action(ActionKind::PickUp),
            ServiceEventKind::Action(ActionKind::Deliver),
            ServiceEventKind::NavigationOpened,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(
                serde_json::from_str::<ServiceEventKind>(&json).unwrap(),
                kind
            );
        }
        assert!(serde_json::from_str::<ServiceEventKind>("\"phone_number\"").is_err());
    }
}
