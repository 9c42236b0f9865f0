//! Log forwarding to the app: the shell implements `LogSink` (Logcat, os_log) and the core's
//! tracing records arrive there.

use std::sync::Arc;

use waybill_core::logging as core;

/// Severity of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Failures.
    Error,
    /// Handled surprises.
    Warn,
    /// Milestones.
    Info,
    /// Developer detail.
    Debug,
    /// Everything.
    Trace,
}

mirror_enum!(LogLevel, core::LogLevel, Error, Warn, Info, Debug, Trace);

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
    /// Rust module that logged it.
    pub target: String,
    /// Message with `key=value` fields.
    pub message: String,
}

/// A sink failed; the record is dropped, the core goes on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum LogSinkError {
    /// The app's sink threw.
    #[error("log sink failed: {reason}")]
    Failed {
        /// What the app said.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for LogSinkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        LogSinkError::Failed { reason: e.reason }
    }
}

/// Implemented by the app to receive the core's logs. Called from core threads.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    /// Handles one record. A thrown exception drops the record and nothing else.
    fn log(&self, record: LogRecord) -> Result<(), LogSinkError>;
}

struct Forward(Arc<dyn LogSink>);

impl core::LogSink for Forward {
    fn log(&self, record: core::LogRecord) {
        // A failing sink must not break the operation that logged.
        let _ = self.0.log(LogRecord {
            level: record.level.into(),
            target: record.target,
            message: record.message,
        });
    }
}

/// Sends the core's records up to `max_level` to `sink`, replacing any earlier sink.
/// Returns false if the process already had another Rust log subscriber.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) -> bool {
    core::set_log_sink(Arc::new(Forward(sink)), max_level.into())
}
