package io.waybill.android

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import android.net.ConnectivityManager
import io.waybill.ffi.BackgroundSync
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import java.time.Instant

/**
 * Background sync on the framework's JobScheduler (WorkManager is AndroidX, not on Maven
 * Central: an app that uses it calls `WaybillClient.syncInBackground` from a worker the
 * same way). The job runs when a network is up, gives the core a time budget well inside
 * the system's window, and schedules the next run when the core says queued work is due.
 */
class SyncJobService : JobService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private var running: Job? = null

    override fun onStartJob(params: JobParameters): Boolean {
        val host = application as WaybillHost
        val network = Connectivity.current(getSystemService(ConnectivityManager::class.java))
        running = scope.launch {
            val run = host.waybill.syncInBackground(BUDGET_MILLIS, network)
            scheduleNext(this@SyncJobService, run)
            jobFinished(params, false)
        }
        return true
    }

    /** The system ends the window early: the core's work is safe to stop and redo. */
    override fun onStopJob(params: JobParameters): Boolean {
        running?.cancel()
        return true
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    companion object {
        /** Job id of the sync job. */
        const val JOB_ID = 0x5743
        /** The core's budget per run: well inside JobScheduler's window (10 minutes, less on Android 14 for some apps). */
        const val BUDGET_MILLIS = 60_000L

        /** Schedules a sync as soon as a network is up (after an order action, on start). */
        fun schedule(context: Context, delayMillis: Long = 0) {
            val job = JobInfo.Builder(JOB_ID, ComponentName(context, SyncJobService::class.java))
                .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
                .setMinimumLatency(delayMillis.coerceAtLeast(0))
                .setBackoffCriteria(30_000, JobInfo.BACKOFF_POLICY_EXPONENTIAL)
                .build()
            context.getSystemService(JobScheduler::class.java).schedule(job)
        }

        /** The next run: when the earliest queued action is due, if any is left. */
        fun scheduleNext(context: Context, run: BackgroundSync, now: Instant = Instant.now()) {
            val due = run.nextAttemptAt ?: return
            schedule(context, (due.toEpochMilli() - now.toEpochMilli()).coerceAtLeast(0))
        }
    }
}
