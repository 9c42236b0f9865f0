package io.waybill.android

import android.annotation.SuppressLint
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.Bundle
import android.os.Looper
import io.waybill.ffi.Accuracy
import io.waybill.ffi.Fix
import java.time.Instant

/**
 * Where fixes come from. The core decides when and how to track ([io.waybill.ffi.TrackingPlan]);
 * a source only starts and stops as told and hands fixes over. The framework one is below;
 * `io.waybill.fused.FusedLocationSource` (artifact `waybill-fused`) is the one on Play
 * services, with this one as its fallback.
 */
interface LocationSource {
    /** Starts updates at [accuracy] every [intervalMs], replacing any running ones. */
    fun start(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit)

    /** Stops updates; no fix is delivered after it returns. */
    fun stop()
}

/**
 * [LocationSource] over the framework [LocationManager]: GPS for high accuracy, the network
 * provider for balanced, each falling back to the other when the device lacks it; with
 * neither, no update runs (the core marks the silence as a gap).
 */
class FrameworkLocationSource(
    private val manager: LocationManager,
    private val looper: Looper,
) : LocationSource {
    private var listener: LocationListener? = null

    // The core asks for tracking only once the location permission is granted.
    @SuppressLint("MissingPermission")
    override fun start(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit) {
        stop()
        val preferred = when (accuracy) {
            Accuracy.HIGH -> listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)
            Accuracy.BALANCED -> listOf(LocationManager.NETWORK_PROVIDER, LocationManager.GPS_PROVIDER)
        }
        val available = manager.allProviders
        val provider = preferred.firstOrNull { it in available } ?: return
        // An object, not a lambda: before Android 11 the provider callbacks are abstract, and
        // a lambda listener throws AbstractMethodError the first time a provider changes.
        val l = object : LocationListener {
            override fun onLocationChanged(location: Location) = onFixes(listOf(location.toFix()))
            override fun onProviderEnabled(provider: String) {}
            override fun onProviderDisabled(provider: String) {}
            @Deprecated("Called before Android 10 only")
            @Suppress("OVERRIDE_DEPRECATION")
            override fun onStatusChanged(provider: String?, status: Int, extras: Bundle?) {}
        }
        try {
            manager.requestLocationUpdates(provider, intervalMs, 0f, l, looper)
        } catch (e: IllegalArgumentException) {
            return // the provider went away between the check and the call
        }
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
