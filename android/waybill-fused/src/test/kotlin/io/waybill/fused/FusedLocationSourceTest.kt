package io.waybill.fused

import android.location.Location
import android.location.LocationManager
import android.os.Looper
import com.google.android.gms.common.api.ApiException
import com.google.android.gms.common.api.Status
import com.google.android.gms.location.FusedLocationProviderClient
import com.google.android.gms.location.LocationCallback
import com.google.android.gms.location.LocationRequest
import com.google.android.gms.location.LocationResult
import com.google.android.gms.location.Priority
import com.google.android.gms.tasks.Task
import com.google.android.gms.tasks.Tasks
import io.waybill.android.LocationSource
import io.waybill.ffi.Accuracy
import io.waybill.ffi.Fix
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.lang.reflect.Proxy

/**
 * The fused source on Robolectric at the glue's lowest and newest API. Play services cannot
 * run here: the device without them is Robolectric's own (GoogleApiAvailability answers
 * SERVICE_MISSING), and the device with them is an in-test FusedLocationProviderClient
 * (an interface since 21.0) that records requests and delivers batches as Play services does.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [24, 34])
class FusedLocationSourceTest {
    /** A fused client that records the request and can deliver results or fail the request. */
    private class PlayServices(private val fail: Boolean = false) {
        var request: LocationRequest? = null
        var callback: LocationCallback? = null
        var removed = 0
        val client = Proxy.newProxyInstance(
            FusedLocationProviderClient::class.java.classLoader,
            arrayOf(FusedLocationProviderClient::class.java),
        ) { _, method, args ->
            when (method.name) {
                "requestLocationUpdates" -> {
                    request = args[0] as LocationRequest
                    callback = args[1] as LocationCallback
                    if (fail) Tasks.forException<Void>(ApiException(Status(8 /* INTERNAL_ERROR */))) else Tasks.forResult<Void>(null)
                }
                "removeLocationUpdates" -> { removed++; Tasks.forResult<Void>(null) }
                else -> error("not used by the adapter: ${method.name}")
            } as Task<*>
        } as FusedLocationProviderClient

        fun deliver(vararg locations: Location) = callback!!.onLocationResult(LocationResult.create(locations.toList()))
    }

    private class Recording : LocationSource {
        var started: Pair<Accuracy, Long>? = null
        var stopped = 0
        override fun start(accuracy: Accuracy, intervalMs: Long, onFixes: (List<Fix>) -> Unit) { started = accuracy to intervalMs }
        override fun stop() { stopped++ }
    }

    private fun at(lat: Double, lon: Double, time: Long) = Location("fused").apply {
        latitude = lat; longitude = lon; this.time = time; accuracy = 8f
    }

    @Test
    fun withPlayServicesTheCoresPlanBecomesAFusedRequestAndEachBatchArrivesWholeAndInOrder() {
        val play = PlayServices()
        val fallback = Recording()
        val source = FusedLocationSource(play.client, Looper.getMainLooper(), fallback) { true }
        val got = mutableListOf<List<Fix>>()
        source.start(Accuracy.HIGH, 5_000) { got += it }
        assertEquals(Priority.PRIORITY_HIGH_ACCURACY, play.request!!.priority)
        assertEquals(5_000L, play.request!!.intervalMillis)
        assertEquals("never more often than the plan", 5_000L, play.request!!.minUpdateIntervalMillis)
        play.deliver(at(31.23, 121.47, 1_000), at(31.24, 121.48, 6_000))
        assertEquals(1, got.size)
        assertEquals(listOf(1_000L, 6_000L), got.single().map { it.at.toEpochMilli() })
        assertEquals(8.0, got.single().first().accuracyM!!, 0.0)

        source.start(Accuracy.BALANCED, 30_000) { got += it }
        assertEquals(Priority.PRIORITY_BALANCED_POWER_ACCURACY, play.request!!.priority)
        assertEquals("the first request removed before the second", 1, play.removed)
        val stale = play.callback!!
        source.stop()
        stale.onLocationResult(LocationResult.create(listOf(at(31.25, 121.49, 40_000))))
        assertEquals("nothing after stop()", 1, got.size)
        assertEquals(2, play.removed)
        assertNull("the fallback never started", fallback.started)
        assertFalse(source.onFallback)
    }

    @Test
    fun aFusedRequestPlayServicesRefusesFallsBackToTheFrameworkSource() {
        val play = PlayServices(fail = true)
        val fallback = Recording()
        val source = FusedLocationSource(play.client, Looper.getMainLooper(), fallback) { true }
        source.start(Accuracy.HIGH, 5_000) {}
        shadowOf(Looper.getMainLooper()).idle() // the task's failure listener runs on the main thread
        assertEquals(Accuracy.HIGH to 5_000L, fallback.started)
        assertTrue(source.onFallback)
        source.stop()
        assertEquals(1, fallback.stopped)
    }

    @Test
    fun onADeviceWithoutPlayServicesTheFrameworkProviderTracks() {
        val app = RuntimeEnvironment.getApplication()
        val manager = app.getSystemService(LocationManager::class.java)
        shadowOf(manager).setProviderEnabled(LocationManager.GPS_PROVIDER, true)
        val source = FusedLocationSource.create(app)
        val got = mutableListOf<Fix>()
        source.start(Accuracy.HIGH, 1_000) { got += it }
        assertTrue("Play services are missing here", source.onFallback)
        shadowOf(manager).simulateLocation(Location(LocationManager.GPS_PROVIDER).apply {
            latitude = 31.23; longitude = 121.47; time = 1_000; accuracy = 5f
        })
        shadowOf(Looper.getMainLooper()).idle()
        assertEquals(listOf(31.23), got.map { it.lat })
        source.stop()
    }
}
