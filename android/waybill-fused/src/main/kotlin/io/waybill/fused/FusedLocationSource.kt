package io.waybill.fused

import android.annotation.SuppressLint
import android.content.Context
import android.location.LocationManager
import android.os.Looper
import com.google.android.gms.common.ConnectionResult
import com.google.android.gms.common.GoogleApiAvailability
import com.google.android.gms.location.FusedLocationProviderClient
import com.google.android.gms.location.LocationCallback
import com.google.android.gms.location.LocationRequest
import com.google.android.gms.location.LocationResult
import com.google.android.gms.location.LocationServices
import com.google.android.gms.location.Priority
import io.waybill.android.FrameworkLocationSource
import io.waybill.android.LocationSource
import io.waybill.android.toFix
import io.waybill.ffi.Accuracy
import io.waybill.ffi.Fix

/**
 * [LocationSource] over Play services' fused location provider, for apps that ship Play
 * services: Wi-Fi and cell positions blended with GPS give a first fix sooner and a
 * balanced plan a usable position for less power than the framework's network provider.
 * Where Play services are missing, disabled or too old (devices sold without them, many
 * fleet phones in China), or when the fused request fails, [fallback] tracks instead, so
 * a plan never goes unserved. The core still decides when and how precisely to track.
 */
class FusedLocationSource(
    private val client: FusedLocationProviderClient,
    private val looper: Looper,
    private val fallback: LocationSource,
    private val playServicesReady: () -> Boolean,
) : LocationSource {
    companion object {
        /** The fused source for [context], with the framework source as its fallback. */
        fun create(context: Context, looper: Looper = Looper.getMainLooper()): FusedLocationSource =
            FusedLocationSource(
                LocationServices.getFusedLocationProviderClient(context),
                looper,
                FrameworkLocationSource(context.getSystemService(LocationManager::class.java), looper),
            ) { GoogleApiAvailability.getInstance().isGooglePlayServicesAvailable(context) == ConnectionResult.SUCCESS }

        /** The fused request for the core's plan: never more often than the plan's interval. */
        fun request(accuracy: Accuracy, intervalMs: Long): LocationRequest =
            LocationRequest.Builder(
                when (accuracy) {
                    Accuracy.HIGH -> Priority.PRIORITY_HIGH_ACCURACY
                    Accuracy.BALANCED -> Priority.PRIORITY_BALANCED_POWER_ACCURACY
                },
                intervalMs,
            ).setMinUpdateIntervalMillis(intervalMs).build()
    }

    private var callback: LocationCallback? = null

    /** Whether the last [start] is served by [fallback] rather than the fused provider. */
    @Volatile var onFallback = false
        private set

    // The core asks for tracking only once the location permission is granted.
    @SuppressLint("MissingPermission")
    @Synchronized
    override fun start(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit) {
        stop()
        if (!playServicesReady()) return useFallback(accuracy, intervalMs, onFixes)
        val cb = object : LocationCallback() {
            override fun onLocationResult(result: LocationResult) {
                // A batch queued before stop() or a restart belongs to no running request.
                if (callback === this) onFixes(result.locations.map { it.toFix() })
            }
        }
        callback = cb
        client.requestLocationUpdates(request(accuracy, intervalMs), cb, looper).addOnFailureListener {
            synchronized(this) {
                if (callback === cb) {
                    callback = null
                    useFallback(accuracy, intervalMs, onFixes)
                }
            }
        }
    }

    private fun useFallback(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit) {
        onFallback = true
        fallback.start(accuracy, intervalMs, onFixes)
    }

    @Synchronized
    override fun stop() {
        callback?.let { client.removeLocationUpdates(it) }
        callback = null
        if (onFallback) fallback.stop()
        onFallback = false
    }
}
