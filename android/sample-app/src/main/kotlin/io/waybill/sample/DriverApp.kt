package io.waybill.sample

// The driver app of docs/android.md: CI compiles it, runs it as the Robolectric tests'
// application at API 24, 29 and 34 (`ServicesTest` subclasses it for the test server and
// key), and packages it into the signed sample APK (scripts/build-apk.sh). The doc quotes
// this file.

import android.app.Application
import android.location.LocationManager
import android.os.Looper
import io.waybill.OkHttpTransport
import io.waybill.WaybillClient
import io.waybill.android.AlbumPicker
import io.waybill.android.CameraHandOff
import io.waybill.android.FixRecorder
import io.waybill.android.FrameworkLocationSource
import io.waybill.android.KeystoreSecretStore
import io.waybill.android.Permissions
import io.waybill.android.SyncJobService
import io.waybill.android.TrackingController
import io.waybill.android.TrackingService
import io.waybill.android.WaybillHost
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofStep
import io.waybill.ffi.Role
import io.waybill.ffi.SecretStore
import io.waybill.ffi.WaybillConfig
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.launch
import okhttp3.OkHttpClient

open class DriverApp : Application(), WaybillHost {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The server; the team's own. */
    protected open val serverUrl = "https://api.example.com"

    /** Where the data key lives: the Android Keystore on a device. */
    protected open fun secrets(): SecretStore = KeystoreSecretStore.forApp(this)

    /** The app's one HTTP client: Waybill's requests go through it too (its proxy, trust, pins). */
    protected open val http by lazy { OkHttpClient() }

    // Opened once, on the IO dispatcher, the first time anything needs it: the main thread
    // never waits for migrations.
    private val client = scope.async(Dispatchers.IO, start = CoroutineStart.LAZY) {
        WaybillClient.open(WaybillConfig(filesDir.path + "/waybill", serverUrl, packageName, "1.0", Role.DRIVER), secrets(), OkHttpTransport(http))
    }
    override suspend fun waybill(): WaybillClient = client.await()

    // Fixes reach the core one batch after the other, in the order they were taken.
    private val fixes = FixRecorder(scope) { orderId, batch -> waybill().recordFixes(orderId, batch) }
    override val tracking by lazy {
        TrackingController(
            FrameworkLocationSource(getSystemService(LocationManager::class.java), Looper.getMainLooper()),
            fixes::offer,
        )
    }
    val camera by lazy { CameraHandOff(this, "$packageName.waybill.capture") }
    val album by lazy { AlbumPicker(this) } // the system photo picker: no storage permission

    /** After each order action and consent change: track in the foreground, sync when online. */
    fun afterAction(): TrackingService.Start {
        SyncJobService.schedule(this)
        return TrackingService.start(this) // PermissionMissing / NotAllowedInBackground: ask at the tracking screen
    }

    /** Activity.onRequestPermissionsResult (and onResume: Settings may have changed them). */
    fun onPermissions(names: Array<out String>) = scope.launch {
        Permissions.fromRequest(this@DriverApp, names).forEach { (p, state) -> waybill().reportPermission(p, state) }
        afterAction()
    }

    /** The policy in force, for the sample's screen. */
    fun showPolicy(show: (String) -> Unit) = scope.launch { show(waybill().policyStatus().toString()) }

    /** Activity.onActivityResult of `camera.prepare().intent`. */
    fun onPhoto(capture: CameraHandOff.Capture, result: Int, orderId: String) = scope.launch {
        camera.complete(waybill(), capture, result, orderId, ProofKind.DELIVERY, ProofStep.DELIVER)
        SyncJobService.schedule(this@DriverApp)
    }

    /** Activity.onActivityResult of `album.intent()`: one photo from the album as the proof. */
    fun onAlbumPhoto(result: Int, data: android.content.Intent?, orderId: String) = scope.launch {
        album.complete(waybill(), result, data, orderId, ProofKind.DELIVERY, ProofStep.DELIVER)
        SyncJobService.schedule(this@DriverApp)
    }
}
