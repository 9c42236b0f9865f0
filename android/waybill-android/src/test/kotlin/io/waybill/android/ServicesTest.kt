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
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File
import java.time.Instant
import javax.crypto.KeyGenerator

/** An app as a team writes it: one client, one tracking controller, exposed to the services. */
class HostApp : Application(), WaybillHost {
    override val waybill: WaybillClient by lazy {
        val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        runBlocking {
            WaybillClient.open(
                WaybillConfig(File(filesDir, "waybill").path, "http://127.0.0.1:9", "com.example.driver", "1.0", Role.DRIVER),
                KeystoreSecretStore(File(noBackupFilesDir, "waybill-secrets")) { key },
            )
        }
    }
    override val tracking: TrackingController by lazy {
        TrackingController(FrameworkLocationSource(getSystemService(LocationManager::class.java), Looper.getMainLooper())) { id, fixes ->
            runBlocking { waybill.recordFixes(id, fixes) }
        }
    }
}

/** The foreground service and the sync job on Robolectric's Android 14, with the real core. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], application = HostApp::class)
class ServicesTest {
    @Test
    fun theTrackingServiceGoesForegroundAsLocationAndStopsWhenTheCoreHasNothingToTrack() {
        val controller = Robolectric.buildService(TrackingService::class.java).create()
        val service = controller.get()
        val shadow = shadowOf(service)
        assertEquals(TrackingService.NOTIFICATION_ID, shadow.lastForegroundNotificationId)
        val notification = shadow.lastForegroundNotification
        assertEquals(TrackingService.CHANNEL_ID, notification.channelId)
        assertTrue("ongoing", notification.flags and android.app.Notification.FLAG_ONGOING_EVENT != 0)
        val channel = service.getSystemService(NotificationManager::class.java).getNotificationChannel(TrackingService.CHANNEL_ID)
        assertEquals(NotificationManager.IMPORTANCE_LOW, channel.importance)

        // No order held and no consent: the core's plan is NoJob, so the service ends itself.
        controller.startCommand(0, 1)
        val deadline = System.currentTimeMillis() + 5_000
        while (!shadow.isStoppedBySelf && System.currentTimeMillis() < deadline) Thread.sleep(10)
        assertTrue("stopped itself", shadow.isStoppedBySelf)
        controller.destroy()
        assertEquals(null, (service.application as HostApp).tracking.tracking)
    }

    @Test
    fun theSyncJobWaitsForANetworkAndTheNextRunFollowsTheCoresDueTime() {
        val app = org.robolectric.RuntimeEnvironment.getApplication()
        val scheduler = app.getSystemService(JobScheduler::class.java)
        SyncJobService.schedule(app)
        val job = shadowOf(scheduler).getPendingJob(SyncJobService.JOB_ID)!!
        assertEquals(JobInfo.NETWORK_TYPE_ANY, job.networkType)
        assertEquals(0L, job.minLatencyMillis)

        val now = Instant.parse("2026-11-29T10:00:00Z")
        val run = BackgroundSync(SyncReport(0u, emptyList(), 2u, 0u, 0u, 0u, 0u, false, 0u, 0uL, 0u, 0uL, 0u), 2u, now.plusSeconds(90), "offline")
        SyncJobService.scheduleNext(app, run, now)
        assertEquals(90_000L, shadowOf(scheduler).getPendingJob(SyncJobService.JOB_ID)!!.minLatencyMillis)
        scheduler.cancelAll()
        SyncJobService.scheduleNext(app, BackgroundSync(run.report, 0u, null, null), now)
        assertTrue("nothing queued: no next run", scheduler.allPendingJobs.isEmpty())
    }
}
