package io.waybill.android

import android.Manifest
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationManager
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import android.os.Looper
import io.waybill.ffi.Accuracy
import io.waybill.ffi.Fix
import io.waybill.ffi.Network
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.TrackingPlan
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowNetworkCapabilities
import java.time.Instant

/** The framework glue on Robolectric's Android 7.0, 10 and 14 (API 24, 29, 34), offline. */
@RunWith(WaybillTestRunner::class)
@Config(sdk = [24, 29, 34])
class GlueTest {
    private val app = RuntimeEnvironment.getApplication()
    private val manager = app.getSystemService(LocationManager::class.java)

    private fun location(provider: String, lat: Double, lon: Double, at: Long, accuracy: Float?) =
        Location(provider).apply {
            latitude = lat
            longitude = lon
            time = at
            elapsedRealtimeNanos = 5_000_000_000L
            accuracy?.let { this.accuracy = it }
        }

    private fun deliver(location: Location) {
        shadowOf(manager).simulateLocation(location)
        shadowOf(Looper.getMainLooper()).idle()
    }

    @Test
    fun theControllerRunsTheSourceAsThePlanSaysAndForwardsFixes() {
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        shadowOf(manager).setProviderEnabled(LocationManager.GPS_PROVIDER, true)
        val source = FrameworkLocationSource(manager, Looper.getMainLooper())
        val recorded = mutableListOf<Pair<String, Fix>>()
        val controller = TrackingController(source) { order, fixes -> fixes.forEach { recorded += order to it } }

        controller.apply(TrackingPlan.Track("ord-1", Accuracy.HIGH, 1_000u))
        val at = 1_764_000_000_000L
        deliver(location(LocationManager.GPS_PROVIDER, 48.137, 11.575, at, 4.5f))

        assertEquals("ord-1", controller.tracking)
        assertEquals(1, recorded.size)
        val (order, fix) = recorded.single()
        assertEquals("ord-1", order)
        assertEquals(48.137, fix.lat, 0.0)
        assertEquals(11.575, fix.lon, 0.0)
        assertEquals(Instant.ofEpochMilli(at), fix.at)
        assertEquals(4.5, fix.accuracyM!!, 1e-6)
        assertEquals(5_000L, fix.elapsedMs)
        assertEquals(false, fix.mock)

        // Sign-off: the core's plan says stop; nothing arrives any more.
        controller.apply(TrackingPlan.NoJob)
        deliver(location(LocationManager.GPS_PROVIDER, 48.2, 11.6, at + 1_000, null))
        assertNull(controller.tracking)
        assertEquals(1, recorded.size)
    }

    @Test
    fun aDeviceWithoutGpsFallsBackToTheNetworkAndProviderChangesDoNotCrash() {
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        shadowOf(manager).removeProvider(LocationManager.GPS_PROVIDER)
        shadowOf(manager).setProviderEnabled(LocationManager.NETWORK_PROVIDER, true)
        val source = FrameworkLocationSource(manager, Looper.getMainLooper())
        val received = mutableListOf<Fix>()
        source.start(Accuracy.HIGH, 1_000L) { received += it }
        deliver(location(LocationManager.NETWORK_PROVIDER, 31.23, 121.47, 1_764_000_000_000L, 30f))
        assertEquals(1, received.size)
        // A provider switched off and on again reaches the listener's callbacks.
        shadowOf(manager).setProviderEnabled(LocationManager.NETWORK_PROVIDER, false)
        shadowOf(manager).setProviderEnabled(LocationManager.NETWORK_PROVIDER, true)
        shadowOf(Looper.getMainLooper()).idle()
        source.stop()

        // No provider at all: nothing starts, nothing throws.
        shadowOf(manager).removeProvider(LocationManager.NETWORK_PROVIDER)
        source.start(Accuracy.BALANCED, 1_000L) { received += it }
        source.stop()
        assertEquals(1, received.size)
    }

    @Test
    fun theNetworkIsReadAsTheCoreNeedsIt() {
        fun caps(vararg capabilities: Int) = ShadowNetworkCapabilities.newInstance().also { nc ->
            capabilities.forEach { shadowOf(nc).addCapability(it) }
        }
        assertEquals(Network.OFFLINE, Connectivity.of(null))
        assertEquals(Network.OFFLINE, Connectivity.of(caps()))
        assertEquals(Network.METERED, Connectivity.of(caps(NetworkCapabilities.NET_CAPABILITY_INTERNET)))
        assertEquals(
            Network.UNMETERED,
            Connectivity.of(caps(NetworkCapabilities.NET_CAPABILITY_INTERNET, NetworkCapabilities.NET_CAPABILITY_NOT_METERED)),
        )
        val manager = app.getSystemService(ConnectivityManager::class.java)
        val seen = mutableListOf<Network>()
        val callback = Connectivity.watch(manager) { seen += it }
        assertTrue(shadowOf(manager).networkCallbacks.contains(callback))
        manager.unregisterNetworkCallback(callback)
        assertTrue(shadowOf(manager).networkCallbacks.isEmpty())
    }

    @Test
    fun aFixWithoutAccuracyCarriesNone() {
        val fix = location(LocationManager.NETWORK_PROVIDER, 1.0, 2.0, 1_000, null).toFix()
        assertNull(fix.accuracyM)
    }

    @Test
    fun permissionsAreReadFromTheOsAndFromRequestResults() {
        shadowOf(app).grantPermissions(Manifest.permission.CAMERA)
        shadowOf(app).denyPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        val now = Permissions.current(app)
        assertEquals(PermissionState.GRANTED, now[Permission.CAMERA])
        assertEquals(PermissionState.DENIED, now[Permission.LOCATION_PRECISE])
        assertEquals(Permission.values().size, now.size)

        val result = Permissions.fromRequest(
            arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, "com.example.UNKNOWN", Manifest.permission.CAMERA),
            intArrayOf(PackageManager.PERMISSION_GRANTED, PackageManager.PERMISSION_GRANTED, PackageManager.PERMISSION_DENIED),
        )
        assertEquals(
            mapOf(Permission.LOCATION_PRECISE to PermissionState.GRANTED, Permission.CAMERA to PermissionState.DENIED),
            result,
        )
        assertTrue(Permission.values().all { it in Permissions.byAndroidName.values })
    }

    @Test
    fun eachVersionIsReadAsItGrants() {
        val sdk = android.os.Build.VERSION.SDK_INT
        // Notifications: a runtime permission from 13; before, on unless turned off.
        assertEquals(
            if (sdk >= 33) PermissionState.DENIED else PermissionState.GRANTED,
            Permissions.stateOf(app, Permission.NOTIFICATIONS),
        )
        assertEquals(if (sdk >= 33) listOf(Manifest.permission.POST_NOTIFICATIONS) else emptyList<String>(),
            Permissions.toRequest(Permission.NOTIFICATIONS))
        // Background location: its own permission from 10; before, it comes with foreground.
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        assertEquals(
            if (sdk >= 29) PermissionState.DENIED else PermissionState.GRANTED,
            Permissions.stateOf(app, Permission.LOCATION_BACKGROUND),
        )
        // Photos: nothing to ask where the system photo picker exists (it hands over the
        // one photo picked: LIMITED); external storage before 13 otherwise.
        assertEquals(
            if (sdk >= 33) PermissionState.LIMITED else PermissionState.DENIED,
            Permissions.stateOf(app, Permission.PHOTOS),
        )
        assertEquals(sdk < 33, Permissions.toRequest(Permission.PHOTOS).isNotEmpty())
        shadowOf(app).grantPermissions(Manifest.permission.READ_EXTERNAL_STORAGE)
        assertEquals(
            if (sdk >= 33) PermissionState.LIMITED else PermissionState.GRANTED,
            Permissions.stateOf(app, Permission.PHOTOS),
        )
        if (sdk >= 34) {
            shadowOf(app).grantPermissions(Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED)
            assertEquals(PermissionState.LIMITED, Permissions.stateOf(app, Permission.PHOTOS))
            val picked = Permissions.fromRequest(
                arrayOf(Manifest.permission.READ_MEDIA_IMAGES, Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED),
                intArrayOf(PackageManager.PERMISSION_DENIED, PackageManager.PERMISSION_GRANTED),
            )
            assertEquals(mapOf(Permission.PHOTOS to PermissionState.LIMITED), picked)
            assertEquals(mapOf(Permission.PHOTOS to PermissionState.LIMITED),
                Permissions.fromRequest(app, arrayOf(Manifest.permission.READ_MEDIA_IMAGES, Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED)))
        }
    }
}
