package io.waybill

import io.waybill.ffi.LogLevel
import io.waybill.ffi.LogRecord
import io.waybill.ffi.LogSink
import io.waybill.ffi.setLogSink

/**
 * Routes the core's log records to the app's logger (Logcat on Android, any logger on the
 * JVM). The handler runs on core threads: keep it short and non-blocking. An exception it
 * throws drops that record only.
 */
object WaybillLogs {
    /** Installs [handler] for records up to [maxLevel], replacing any earlier handler. */
    fun install(maxLevel: LogLevel = LogLevel.INFO, handler: (LogRecord) -> Unit): Boolean =
        setLogSink(
            object : LogSink {
                override fun log(record: LogRecord) = handler(record)
            },
            maxLevel,
        )
}
