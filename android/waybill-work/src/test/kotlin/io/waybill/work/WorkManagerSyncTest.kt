package io.waybill.work

import android.app.Application
import android.location.LocationManager
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import android.os.Looper
import androidx.work.Configuration
import androidx.work.WorkInfo
import androidx.work.WorkManager
import io.waybill.ReferenceServer
import io.waybill.WaybillClient
import io.waybill.android.FrameworkLocationSource
import io.waybill.android.KeystoreSecretStore
import io.waybill.android.TrackingController
import io.waybill.android.WaybillHost
import io.waybill.carryNearestOrder
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillConfig
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowNetworkCapabilities
import java.io.File
import java.time.Duration
import javax.crypto.KeyGenerator

/**
 * An app that syncs on WorkManager: WorkManager initialised on demand from its
 * `Configuration.Provider` (the way an app that removes the startup initializer does); the
 * core opened lazily on [serverUrl].
 */
class WorkHostApp : Application(), WaybillHost, Configuration.Provider {
    companion object {
        /** Set by each test before the client is first opened. */
        @Volatile var serverUrl = "http://127.0.0.1:9"
    }
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    private val client = scope.async(Dispatchers.IO, start = CoroutineStart.LAZY) {
        WaybillClient.open(
            WaybillConfig(filesDir.path + "/waybill", serverUrl, packageName, "1.0", Role.DRIVER),
            KeystoreSecretStore(File(noBackupFilesDir, "waybill-secrets")) { key },
        )
    }
    override suspend fun waybill(): WaybillClient = client.await()
    override val tracking by lazy {
        TrackingController(FrameworkLocationSource(getSystemService(LocationManager::class.java), Looper.getMainLooper())) { _, _ -> }
    }
    override val workManagerConfiguration: Configuration
        get() = Configuration.Builder()
            .setDefaultProcessName(packageName)
            .build()
}

/**
 * The sync on real WorkManager (work-runtime 2.10, its own Room database and schedulers) in
 * Robolectric's Android 14, against the real core and the reference server: queued order
 * actions wait for a validated network, a run that finds the server down leaves the next
 * run at the core's due time, and that run delivers them. One test: WorkManager is a
 * process singleton, as on a device.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], application = WorkHostApp::class)
class WorkManagerSyncTest {
    @get:Rule val tmp = TemporaryFolder()
    private val app get() = RuntimeEnvironment.getApplication() as WorkHostApp
    private var server: ReferenceServer? = null

    @After fun stop() { server?.close() }

    @Test
    fun queuedActionsWaitForAValidatedNetworkAndReachTheServerThroughTheRunTheCoreAskedFor() = runBlocking {
        val db = tmp.root.toPath().resolve("server.db")
        var server = ReferenceServer.start(db).also { server = it }
        WorkHostApp.serverUrl = server.baseUrl
        val client = app.waybill()
        client.carryNearestOrder(server)
        assertEquals("accept and pickup queued", 2, client.pendingActions())
        server.kill()

        WaybillSyncWorker.schedule(app)
        WaybillSyncWorker.schedule(app) // a second action's schedule replaces the waiting run
        assertEquals(1, live().size)
        settle()
        val waiting = live().single()
        assertEquals("no run before a validated network", 0, waiting.runAttemptCount)

        validateNetwork()
        val first = awaitFinished(waiting.id)
        assertEquals(WorkInfo.State.SUCCEEDED, first.state)
        assertEquals("the server is down: both actions kept", 2, client.pendingActions())
        val next = live().single()
        assertEquals(WorkInfo.State.ENQUEUED, next.state)
        println("WorkManagerSyncTest: the core asked for the next run in ${next.initialDelayMillis} ms")
        assertTrue("the next run waits for the core's due time: ${next.initialDelayMillis} ms", next.initialDelayMillis in 1..Duration.ofMinutes(5).toMillis())

        server = ReferenceServer.start(db, server.address).also { this@WorkManagerSyncTest.server = it }
        // The core's backoff runs on the wall clock, WorkManager's delay on the looper's.
        Thread.sleep(next.initialDelayMillis)
        shadowOf(Looper.getMainLooper()).idleFor(Duration.ofMillis(next.initialDelayMillis + 1))
        assertEquals(WorkInfo.State.SUCCEEDED, awaitFinished(next.id).state)
        assertEquals("delivered by the run the core asked for", 0, client.pendingActions())
        assertTrue("nothing queued, no run left", live().isEmpty())
    }

    private fun work() = WorkManager.getInstance(app)

    /** The unique sync chain's runs that have not finished. */
    private fun live() = work().getWorkInfosForUniqueWork(WaybillSyncWorker.UNIQUE_NAME).get().filter { !it.state.isFinished }

    /** Lets WorkManager's background threads and the main looper catch up. */
    private fun settle() = repeat(10) { shadowOf(Looper.getMainLooper()).idle(); Thread.sleep(50) }

    /**
     * The network WorkManager's constraint tracker waits for: Robolectric's default network
     * is connected but not validated, which a CONNECTED constraint does not accept on 26+.
     */
    private fun validateNetwork() {
        val cm = app.getSystemService(ConnectivityManager::class.java)
        val caps = ShadowNetworkCapabilities.newInstance().also {
            shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
            shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED)
            shadowOf(it).addTransportType(NetworkCapabilities.TRANSPORT_WIFI)
        }
        repeat(100) { if (shadowOf(cm).networkCallbacks.isEmpty()) settle() }
        shadowOf(cm).setNetworkCapabilities(cm.activeNetwork, caps)
        assertTrue("WorkManager tracks the network", shadowOf(cm).networkCallbacks.isNotEmpty())
        shadowOf(cm).networkCallbacks.forEach { it.onCapabilitiesChanged(cm.activeNetwork!!, caps) }
    }

    /** Waits (real time: the core syncs over loopback) for the run [id] to finish. */
    private fun awaitFinished(id: java.util.UUID): WorkInfo {
        repeat(300) {
            shadowOf(Looper.getMainLooper()).idle()
            val infos = work().getWorkInfosForUniqueWork(WaybillSyncWorker.UNIQUE_NAME).get()
            infos.firstOrNull { it.id == id }?.takeIf { it.state.isFinished }?.let { return it }
            Thread.sleep(100)
        }
        error("the sync work did not finish: ${work().getWorkInfosForUniqueWork(WaybillSyncWorker.UNIQUE_NAME).get()}")
    }
}
