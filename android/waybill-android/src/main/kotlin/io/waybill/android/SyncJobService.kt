package io.waybill.android

import android.Manifest
import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import android.content.pm.PackageManager
import io.waybill.ffi.BackgroundSync
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import java.time.Instant

/**
 * Background sync on the framework's JobScheduler. The job runs when a network is up,
 * gives the core a time budget well inside the system's window, survives a reboot (with
 * `RECEIVE_BOOT_COMPLETED`, which the library's manifest declares), and then either
 * schedules the next run at the time the core says queued work is due, or, when the run
 * failed (offline, server down, a core error), asks the system to retry with its backoff.
 * A failure never leaves the job's coroutine: it cannot crash the app.
 *
 * Its job id is the host's [WaybillHost.syncJobId], so it cannot collide with the app's
 * own jobs.
 */
class SyncJobService : JobService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private var running: Job? = null

    override fun onStartJob(params: JobParameters): Boolean {
        running = scope.launch {
            val run = BackgroundRun.sync(this@SyncJobService)
            val retry = run == null || (run.lastError != null && run.pending > 0u && run.nextAttemptAt == null)
            jobFinished(params, retry)
            if (run != null) scheduleNext(this@SyncJobService, run)
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
        /** Job id of the sync job unless the host chooses another ([WaybillHost.syncJobId]). */
        const val DEFAULT_JOB_ID = 0x5743

        /** The core's budget per run: well inside JobScheduler's window (10 minutes, less on Android 14 for some apps). */
        const val BUDGET_MILLIS = BackgroundRun.BUDGET_MILLIS

        /** The job id the app uses: its host's choice, or [DEFAULT_JOB_ID]. */
        fun jobId(context: Context): Int =
            (context.applicationContext as? WaybillHost)?.syncJobId ?: DEFAULT_JOB_ID

        /** Schedules a sync as soon as a network is up (after an order action, on start). */
        fun schedule(context: Context, delayMillis: Long = 0) {
            // Persisting without the boot permission throws: the job then lasts until reboot.
            val persisted = context.checkSelfPermission(Manifest.permission.RECEIVE_BOOT_COMPLETED) ==
                PackageManager.PERMISSION_GRANTED
            val job = JobInfo.Builder(jobId(context), ComponentName(context, SyncJobService::class.java))
                .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
                .setMinimumLatency(delayMillis.coerceAtLeast(0))
                .setBackoffCriteria(30_000, JobInfo.BACKOFF_POLICY_EXPONENTIAL)
                .setPersisted(persisted)
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
