//! Forwards the core's `tracing` events to a sink the shell provides (Logcat, os_log),
//! so one log stream covers Rust and the app. Only the core's own targets are forwarded:
//! HTTP-stack internals may print URLs and headers.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// Severity of a log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something unexpected that the core handled.
    Warn,
    /// Milestones (sync done, client opened).
    Info,
    /// Details for developers.
    Debug,
    /// Everything.
    Trace,
}

impl From<&Level> for LogLevel {
    fn from(level: &Level) -> Self {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
    /// Rust module path that logged it, e.g. `waybill_core::sync`.
    pub target: String,
    /// Message with its fields rendered as `key=value`.
    pub message: String,
}

/// Receives the core's log records. Called from any thread; must not block for long.
pub trait LogSink: Send + Sync {
    /// Handles one record.
    fn log(&self, record: LogRecord);
}

struct SinkState {
    sink: Arc<dyn LogSink>,
    max_level: LogLevel,
}

static SINK: RwLock<Option<SinkState>> = RwLock::new(None);
static INSTALLED: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Set while a sink runs, so a sink that logs through tracing cannot recurse.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// Sends the core's records up to `max_level` to `sink`, replacing any earlier sink.
/// Returns false when the host process already has another global `tracing` subscriber
/// (a Rust host such as the CLI); then the host's subscriber receives the records instead.
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) -> bool {
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = Some(SinkState { sink, max_level });
    *INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(Forward).is_ok())
}

/// Stops forwarding.
pub fn clear_log_sink() {
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = None;
}

/// The process's subscriber: events only. The core opens no spans, so there is nothing
/// to register (tracing-subscriber's registry and its slab are not in the library).
struct Forward;

fn is_ours(target: &str) -> bool {
    target.starts_with("waybill")
}

impl Subscriber for Forward {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // "sometimes": the sink and its level change at run time, so ask on every event.
        if is_ours(metadata.target()) && metadata.is_event() {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let guard = SINK.read().unwrap_or_else(|p| p.into_inner());
        metadata.is_event()
            && guard
                .as_ref()
                .is_some_and(|s| LogLevel::from(metadata.level()) <= s.max_level)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Never called for a disabled callsite; an id is still required by the trait.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if IN_SINK.with(Cell::get) {
            return;
        }
        let sink = {
            let guard = SINK.read().unwrap_or_else(|p| p.into_inner());
            match guard.as_ref() {
                Some(s) => Arc::clone(&s.sink),
                None => return,
            }
        };
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let record = LogRecord {
            level: event.metadata().level().into(),
            target: event.metadata().target().to_string(),
            // Phone and ID numbers are masked here, whatever a call site wrote.
            message: crate::mask::scrub(&visitor.message),
        };
        IN_SINK.with(|f| f.set(true));
        sink.log(record);
        IN_SINK.with(|f| f.set(false));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
}

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let fields = std::mem::take(&mut self.message);
            let _ = write!(self.message, "{value:?}");
            if !fields.is_empty() {
                self.message.push(' ');
                self.message.push_str(&fields);
            }
        } else {
            if !self.message.is_empty() {
                self.message.push(' ');
            }
            let _ = write!(self.message, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            if !self.message.is_empty() {
                self.message.push(' ');
            }
            let _ = write!(self.message, "{}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<LogRecord>>);

    impl LogSink for Collect {
        fn log(&self, record: LogRecord) {
            self.0.lock().unwrap().push(record);
        }
    }

    #[test]
    fn records_reach_the_sink_with_fields_and_respect_the_level() {
        let sink = Arc::new(Collect::default());
        assert!(set_log_sink(sink.clone(), LogLevel::Info));
        tracing::info!(target: "waybill_core::test", pushed = 3, "outbox pushed");
        tracing::debug!(target: "waybill_core::test", "too detailed");
        tracing::info!(target: "hyper::proto", "not ours");
        clear_log_sink();
        tracing::info!(target: "waybill_core::test", "after clear");
        set_log_sink(sink.clone(), LogLevel::Info);
        tracing::info!(target: "waybill_core::test", consignee = "13812341234", "calling 13987654321");
        clear_log_sink();
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].level, LogLevel::Info);
        assert_eq!(got[0].target, "waybill_core::test");
        assert_eq!(got[0].message, "outbox pushed pushed=3");
        // Logs contain no unmasked phone number, from the message or from a field.
        assert_eq!(got[1].message, "calling 139****4321 consignee=138****1234");
    }
}
