package io.waybill.android

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.IBinder
import io.waybill.ffi.TrackingPlan
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/**
 * The foreground service (type `location`) that keeps a driver's trajectory recording
 * while the app is in the background, with its ongoing notification. It applies the core's
 * tracking plan when started and stops itself when the plan says there is nothing to track
 * (no job, consent withdrawn, permission gone); it flushes the fixes it holds when it ends.
 *
 * The app declares it in its manifest with `android:foregroundServiceType="location"` and
 * the `FOREGROUND_SERVICE` and `FOREGROUND_SERVICE_LOCATION` permissions (docs/android.md),
 * and starts it with [start] from a visible activity, after an order action.
 */
class TrackingService : Service() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val host get() = application as WaybillHost

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onCreate() {
        super.onCreate()
        startForeground(NOTIFICATION_ID, notification(this), ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION)
    }

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        scope.launch {
            val plan = host.waybill.trackingPlan()
            host.tracking.apply(plan)
            if (plan !is TrackingPlan.Track) stopSelf()
        }
        // Restarted after the system killed it for memory: the plan decides again.
        return START_STICKY
    }

    override fun onDestroy() {
        host.tracking.apply(TrackingPlan.NoJob)
        // Durable before the process may go: what the core acknowledged stays.
        runBlocking { host.waybill.flushFixes() }
        scope.cancel()
        super.onDestroy()
    }

    companion object {
        /** Id of the ongoing notification. */
        const val NOTIFICATION_ID = 0x5742
        /** Channel of the ongoing notification (low importance: no sound). */
        const val CHANNEL_ID = "waybill.tracking"

        /** Starts (or re-plans) tracking in the foreground. */
        fun start(context: Context) {
            context.startForegroundService(Intent(context, TrackingService::class.java))
        }

        /** Stops tracking. */
        fun stop(context: Context) {
            context.stopService(Intent(context, TrackingService::class.java))
        }

        /** The ongoing notification; the channel is created on first use. */
        fun notification(context: Context): Notification {
            val manager = context.getSystemService(NotificationManager::class.java)
            manager.createNotificationChannel(
                NotificationChannel(CHANNEL_ID, "Trip recording", NotificationManager.IMPORTANCE_LOW),
            )
            return Notification.Builder(context, CHANNEL_ID)
                .setContentTitle("Recording your trip")
                .setContentText("Your route is recorded for the order you carry")
                .setSmallIcon(android.R.drawable.ic_menu_mylocation)
                .setOngoing(true)
                .setCategory(Notification.CATEGORY_SERVICE)
                .build()
        }
    }
}
