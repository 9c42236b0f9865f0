package io.waybill.android

import android.annotation.SuppressLint
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.Looper
import io.waybill.ffi.Accuracy
import io.waybill.ffi.Fix
import java.time.Instant

/**
 * Where fixes come from. The core decides when and how to track ([io.waybill.ffi.TrackingPlan]);
 * a source only starts and stops as told and hands fixes over. The framework one is below;
 * a Play services FusedLocationProviderClient adapter implements the same interface in an
 * app that ships Play services (not on Maven Central, so not built here).
 */
interface LocationSource {
    /** Starts updates at [accuracy] every [intervalMs], replacing any running ones. */
    fun start(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit)

    /** Stops updates; no fix is delivered after it returns. */
    fun stop()
}

/** [LocationSource] over the framework [LocationManager]: GPS for high accuracy, else the network provider. */
class FrameworkLocationSource(
    private val manager: LocationManager,
    private val looper: Looper,
) : LocationSource {
    private var listener: LocationListener? = null

    // The core asks for tracking only once the location permission is granted.
    @SuppressLint("MissingPermission")
    override fun start(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit) {
        stop()
        val provider = when (accuracy) {
            Accuracy.HIGH -> LocationManager.GPS_PROVIDER
            Accuracy.BALANCED -> LocationManager.NETWORK_PROVIDER
        }
        val l = LocationListener { location -> onFixes(listOf(location.toFix())) }
        manager.requestLocationUpdates(provider, intervalMs, 0f, l, looper)
        listener = l
    }

    override fun stop() {
        listener?.let(manager::removeUpdates)
        listener = null
    }
}

/** The core's fix for a framework location: device time, monotonic time, accuracy if known, mock flag. */
fun Location.toFix(): Fix = Fix(
    at = Instant.ofEpochMilli(time),
    lat = latitude,
    lon = longitude,
    accuracyM = if (hasAccuracy()) accuracy.toDouble() else null,
    elapsedMs = elapsedRealtimeNanos.takeIf { it > 0 }?.let { it / 1_000_000 },
    mock = if (Build.VERSION.SDK_INT >= 31) isMock else @Suppress("DEPRECATION") isFromMockProvider,
)
