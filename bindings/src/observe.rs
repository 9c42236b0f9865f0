//! Change notifications: the shell implements `ChangeListener` and re-reads the topic
//! (Kotlin turns it into a `Flow`, Swift into an `AsyncStream`).

use std::sync::Arc;

use waybill_core as core;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Topic {
    /// The privacy settings screen's content.
    Privacy,
    /// Order lists and sync states.
    Orders,
}

mirror_enum!(Topic, core::Topic, Privacy, Orders);

/// Implemented by the app; called on a core thread after the change is durable. Keep it
/// short: post to the UI thread and return.
#[uniffi::export(foreign)]
pub trait ChangeListener: Send + Sync {
    /// `topic` changed.
    fn changed(&self, topic: Topic);
}

/// Adapts a foreign listener to the core's trait.
pub(crate) struct Forward(pub(crate) Arc<dyn ChangeListener>);

impl core::ChangeListener for Forward {
    fn changed(&self, topic: core::Topic) {
        self.0.changed(topic.into());
    }
}
