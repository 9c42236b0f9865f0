package io.waybill.android

import android.app.Application
import android.app.NotificationManager
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.location.LocationManager
import android.os.Looper
import io.waybill.WaybillClient
import io.waybill.ffi.BackgroundSync
import io.waybill.ffi.Role
import io.waybill.ffi.SyncReport
import io.waybill.ffi.WaybillConfig
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File
import java.time.Instant
import javax.crypto.KeyGenerator

/** The documented sample app ([io.waybill.sample.DriverApp]) on a local server and a software key. */
class HostApp : io.waybill.sample.DriverApp() {
    private val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    override val serverUrl = "http://127.0.0.1:9"
    override fun secrets(): io.waybill.ffi.SecretStore = KeystoreSecretStore(File(noBackupFilesDir, "waybill-secrets")) { key }
    override val syncJobId: Int = 0x4242
}

/**
 * The foreground service and the sync job with the real core, on Android 7.0 (the glue's
 * minSdk), 10 (the service type, background location) and 14 (service type enforcement).
 */
@RunWith(WaybillTestRunner::class)
@Config(sdk = [24, 29, 34], application = HostApp::class)
class ServicesTest {
    @Test
    fun theTrackingServiceGoesForegroundAsLocationAndStopsWhenTheCoreHasNothingToTrack() {
        val controller = Robolectric.buildService(TrackingService::class.java).create()
        val service = controller.get()
        val shadow = shadowOf(service)
        assertEquals(TrackingService.NOTIFICATION_ID, shadow.lastForegroundNotificationId)
        val notification = shadow.lastForegroundNotification
        assertTrue("ongoing", notification.flags and android.app.Notification.FLAG_ONGOING_EVENT != 0)
        if (android.os.Build.VERSION.SDK_INT >= 26) {
            assertEquals(TrackingService.CHANNEL_ID, notification.channelId)
            val channel = service.getSystemService(NotificationManager::class.java).getNotificationChannel(TrackingService.CHANNEL_ID)
            assertEquals(NotificationManager.IMPORTANCE_LOW, channel.importance)
        } else {
            @Suppress("DEPRECATION")
            assertEquals("no channels before 8.0: a low priority instead", android.app.Notification.PRIORITY_LOW, notification.priority)
        }

        // No order held and no consent: the core's plan is NoJob, so the service ends itself.
        controller.startCommand(0, 1)
        val deadline = System.currentTimeMillis() + 5_000
        while (!shadow.isStoppedBySelf && System.currentTimeMillis() < deadline) Thread.sleep(10)
        assertTrue("stopped itself", shadow.isStoppedBySelf)
        controller.destroy()
        assertEquals(null, (service.application as HostApp).tracking.tracking)
    }

    @Test
    fun aCoreErrorStopsTrackingWithoutKillingTheApp() {
        val uncaught = mutableListOf<Throwable>()
        val previous = Thread.getDefaultUncaughtExceptionHandler()
        Thread.setDefaultUncaughtExceptionHandler { _, e -> synchronized(uncaught) { uncaught += e } }
        try {
            val controller = Robolectric.buildService(TrackingService::class.java).create()
            val shadow = shadowOf(controller.get())
            // Every call of a closed client fails: what a core error looks like to the glue.
            runBlocking { (controller.get().application as HostApp).waybill() }.close()
            controller.startCommand(0, 1)
            val deadline = System.currentTimeMillis() + 5_000
            while (!shadow.isStoppedBySelf && System.currentTimeMillis() < deadline) Thread.sleep(10)
            assertTrue("stopped itself", shadow.isStoppedBySelf)
            controller.destroy()
            Thread.sleep(100)
            assertEquals("no exception reached the process", emptyList<Throwable>(), synchronized(uncaught) { uncaught.toList() })
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous)
        }
    }

    @Test
    fun fixesReachTheCoreInTheOrderTheyWereTaken() {
        val recorded = java.util.Collections.synchronizedList(mutableListOf<Long>())
        val done = java.util.concurrent.CountDownLatch(50)
        val scope = kotlinx.coroutines.CoroutineScope(kotlinx.coroutines.Dispatchers.Default)
        val recorder = FixRecorder(scope) { _, fixes ->
            // A core call takes longer for some batches than for others.
            kotlinx.coroutines.delay((fixes.single().elapsedMs!! % 7).toLong())
            recorded += fixes.single().elapsedMs!!
            done.countDown()
        }
        for (i in 0L until 50L) {
            recorder.offer("ord-1", listOf(io.waybill.ffi.Fix(Instant.ofEpochMilli(i), 31.2, 121.4, 5.0, i, false)))
        }
        assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS))
        assertEquals((0L until 50L).toList(), recorded.toList())
        scope.coroutineContext[kotlinx.coroutines.Job]?.cancel()
    }

    @Test
    fun trackingStartsOnlyWithTheLocationPermissionAndNeverFromTheBackground() {
        val app = org.robolectric.RuntimeEnvironment.getApplication()
        assertEquals(TrackingService.Start.PermissionMissing, TrackingService.start(app))
        assertEquals("no service the system would kill the app for", null, shadowOf(app).nextStartedService)

        shadowOf(app).grantPermissions(android.Manifest.permission.ACCESS_FINE_LOCATION)
        assertEquals(TrackingService.Start.Started, TrackingService.start(app))
        assertEquals(TrackingService::class.java.name, shadowOf(app).nextStartedService.component!!.className)

        // Android 12+ refuses a foreground service started from the background
        // (ForegroundServiceStartNotAllowedException, an IllegalStateException).
        val inBackground = object : android.content.ContextWrapper(app) {
            override fun startForegroundService(service: android.content.Intent?) =
                throw IllegalStateException("startForegroundService() not allowed: app is in background")
            override fun startService(service: android.content.Intent?) =
                throw IllegalStateException("Not allowed to start service: app is in background")
        }
        assertEquals(TrackingService.Start.NotAllowedInBackground, TrackingService.start(inBackground))
    }

    @Test
    fun theSyncJobWaitsForANetworkAndTheNextRunFollowsTheCoresDueTime() {
        val app = org.robolectric.RuntimeEnvironment.getApplication()
        val scheduler = app.getSystemService(JobScheduler::class.java)
        SyncJobService.schedule(app)
        // The host's id, so the app's own jobs cannot collide with it.
        assertEquals(0x4242, SyncJobService.jobId(app))
        val job = shadowOf(scheduler).getPendingJob(0x4242)!!
        assertEquals(JobInfo.NETWORK_TYPE_ANY, job.networkType)
        assertEquals(0L, job.minLatencyMillis)
        assertEquals("not persisted without the boot permission (persisting would throw)", false, job.isPersisted)
        shadowOf(app).grantPermissions(android.Manifest.permission.RECEIVE_BOOT_COMPLETED)
        SyncJobService.schedule(app)
        assertTrue("survives a reboot", shadowOf(scheduler).getPendingJob(0x4242)!!.isPersisted)

        val now = Instant.parse("2026-11-29T10:00:00Z")
        val run = BackgroundSync(SyncReport(0u, emptyList(), 2u, 0u, 0u, 0u, 0u, false, 0u, 0uL, 0u, 0uL, 0u, 0u, 0u, 0u, 0u, 0u), 2u, now.plusSeconds(90), "offline")
        SyncJobService.scheduleNext(app, run, now)
        assertEquals(90_000L, shadowOf(scheduler).getPendingJob(0x4242)!!.minLatencyMillis)
        scheduler.cancelAll()
        SyncJobService.scheduleNext(app, BackgroundSync(run.report, 0u, null, null), now)
        assertTrue("nothing queued: no next run", scheduler.allPendingJobs.isEmpty())
    }
}
