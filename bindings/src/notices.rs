//! Service notices (P-69, P-70): shown whatever the settings.

use std::time::SystemTime;

use waybill_core as core;

use crate::error::Result;
use crate::object::Waybill;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// A security incident: its impact and what to do.
    SecurityIncident,
    /// Planned maintenance.
    Maintenance,
    /// The service stops at `stop_at`: collection ends then and the data is deleted.
    ServiceStop,
}

mirror_enum!(
    NoticeKind,
    core::NoticeKind,
    SecurityIncident,
    Maintenance,
    ServiceStop
);

/// A notice the controller signed, verified with the app's control key.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Notice {
    /// The controller's id.
    pub id: String,
    /// What it is about.
    pub kind: NoticeKind,
    /// The heading.
    pub title: String,
    /// Impact and advice, or what stops when.
    pub body: String,
    /// When it was published.
    pub published_at: SystemTime,
    /// For a service stop: when collection stops and the data goes.
    pub stop_at: Option<SystemTime>,
}

impl From<core::Notice> for Notice {
    fn from(n: core::Notice) -> Self {
        Notice {
            id: n.id,
            kind: n.kind.into(),
            title: n.title,
            body: n.body,
            published_at: n.published_at.into(),
            stop_at: n.stop_at.map(Into::into),
        }
    }
}

#[uniffi::export]
impl Waybill {
    /// The service notices kept, newest first: shown whatever the settings.
    pub fn notices(&self) -> Result<Vec<Notice>> {
        Ok(crate::list(self.inner.notices()?))
    }
}
