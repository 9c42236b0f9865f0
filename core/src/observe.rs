//! Change notifications for the shell: the core says *what* changed, the shell re-reads
//! the view it shows (a Kotlin `Flow`, a Swift `AsyncStream`). Notifications carry no
//! data, so a slow listener never holds a lock or a stale copy.

use std::sync::{Arc, RwLock};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Anything the privacy settings screen shows: policy, decisions, permissions, data
    /// held, rights requests, the transparency log.
    Privacy,
    /// The order lists or an order's sync state.
    Orders,
}

/// Implemented by the shell; called on a core thread after the change is durable.
pub trait ChangeListener: Send + Sync {
    /// `topic` changed; re-read it.
    fn changed(&self, topic: Topic);
}

/// The id [`Listeners::add`] hands back, to remove the listener again.
pub type ListenerId = u64;

/// The registered listeners.
#[derive(Default)]
pub(crate) struct Listeners {
    all: RwLock<Vec<(ListenerId, Arc<dyn ChangeListener>)>>,
    next_id: std::sync::atomic::AtomicU64,
    /// Bumped at every change: anything cached from the database is stale once it moves.
    generation: std::sync::atomic::AtomicU64,
}

impl Listeners {
    pub(crate) fn add(&self, listener: Arc<dyn ChangeListener>) -> ListenerId {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.all
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, listener));
        id
    }

    /// Removes a listener (a stream that ended): it is not called again, and what it holds
    /// (a Swift closure holding the client) is released. Returns whether it was there.
    pub(crate) fn remove(&self, id: ListenerId) -> bool {
        let mut all = self.all.write().unwrap_or_else(|p| p.into_inner());
        let before = all.len();
        all.retain(|(i, _)| *i != id);
        all.len() != before
    }

    /// How many are registered.
    pub(crate) fn count(&self) -> usize {
        self.all.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The current change generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn notify(&self, topic: Topic) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let all = self.all.read().unwrap_or_else(|p| p.into_inner()).clone();
        for (_, listener) in all {
            listener.changed(topic);
        }
    }
}
