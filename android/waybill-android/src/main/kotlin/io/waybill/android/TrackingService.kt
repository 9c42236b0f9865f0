package io.waybill.android

import android.Manifest
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.content.pm.ServiceInfo
import android.os.Build
import android.os.IBinder
import android.util.Log
import io.waybill.ffi.TrackingPlan
import kotlinx.coroutines.CoroutineExceptionHandler
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
 * and starts it with [start] from a visible activity, after an order action. Every call it
 * makes exists at minSdk 24: the channel (26), `startForegroundService` (26) and the
 * service type (29) are used only where they exist.
 */
class TrackingService : Service() {
    // A core error (a malformed reply, a full disk) stops tracking; it never kills the app.
    private val failures = CoroutineExceptionHandler { _, e ->
        Log.w(TAG, "tracking stopped: ${e.javaClass.simpleName}")
        runCatching { host.tracking.apply(TrackingPlan.NoJob) }
        stopSelf()
    }
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default + failures)
    private val host get() = application as WaybillHost

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onCreate() {
        super.onCreate()
        // [start] checked the permission; it can be revoked in between. Android 14 refuses
        // a location service without it (SecurityException): nothing is recorded then.
        try {
            goForeground()
        } catch (e: SecurityException) {
            Log.w(TAG, "location permission gone before the service started")
            stopSelf()
        }
    }

    private fun goForeground() {
        val notification = notification(this)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            startForeground(NOTIFICATION_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION)
        } else {
            startForeground(NOTIFICATION_ID, notification)
        }
    }

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        scope.launch {
            val plan = host.waybill().trackingPlan()
            host.tracking.apply(plan)
            if (plan !is TrackingPlan.Track) stopSelf()
        }
        // Restarted after the system killed it for memory: the plan decides again.
        return START_STICKY
    }

    override fun onDestroy() {
        runCatching { host.tracking.apply(TrackingPlan.NoJob) }
        // Durable before the process may go: what the core acknowledged stays. A failure
        // here is logged; the fixes it held are the only loss, and the core says so.
        try {
            runBlocking { host.waybill().flushFixes() }
        } catch (e: Exception) {
            Log.w(TAG, "flush on stop failed: ${e.javaClass.simpleName}")
        }
        scope.cancel()
        super.onDestroy()
    }

    /** What [start] did. */
    sealed interface Start {
        /** The service is starting in the foreground. */
        data object Started : Start

        /** No location permission: ask for it at the tracking screen, then start again. */
        data object PermissionMissing : Start

        /**
         * Android 12+ refused to start a foreground service while the app is in the
         * background: start it from a visible activity (the order screen).
         */
        data object NotAllowedInBackground : Start
    }

    companion object {
        private const val TAG = "Waybill"

        /** Id of the ongoing notification. */
        const val NOTIFICATION_ID = 0x5742

        /** Channel of the ongoing notification (low importance: no sound). */
        const val CHANNEL_ID = "waybill.tracking"

        /**
         * Starts (or re-plans) tracking in the foreground. Checked first, so the system
         * never sees a foreground service that cannot go foreground (which it answers by
         * crashing the app): the location permission, and Android 12's rule that a
         * foreground service starts only while the app is visible.
         */
        fun start(context: Context): Start {
            val granted = listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
                .any { context.checkSelfPermission(it) == PackageManager.PERMISSION_GRANTED }
            if (!granted) return Start.PermissionMissing
            val intent = Intent(context, TrackingService::class.java)
            return try {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
                    context.startForegroundService(intent)
                } else {
                    context.startService(intent)
                }
                Start.Started
            } catch (e: IllegalStateException) {
                // ForegroundServiceStartNotAllowedException (31+) is an IllegalStateException.
                Start.NotAllowedInBackground
            }
        }

        /** Stops tracking. */
        fun stop(context: Context) {
            context.stopService(Intent(context, TrackingService::class.java))
        }

        /** The ongoing notification; the channel is created on first use where channels exist. */
        fun notification(context: Context): Notification {
            val builder = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
                val manager = context.getSystemService(NotificationManager::class.java)
                manager.createNotificationChannel(
                    NotificationChannel(CHANNEL_ID, "Trip recording", NotificationManager.IMPORTANCE_LOW),
                )
                Notification.Builder(context, CHANNEL_ID)
            } else {
                @Suppress("DEPRECATION")
                Notification.Builder(context).setPriority(Notification.PRIORITY_LOW)
            }
            return builder
                .setContentTitle("Recording your trip")
                .setContentText("Your route is recorded for the order you carry")
                .setSmallIcon(android.R.drawable.ic_menu_mylocation)
                .setOngoing(true)
                .setCategory(Notification.CATEGORY_SERVICE)
                .build()
        }
    }
}
