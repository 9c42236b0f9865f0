package io.waybill.work

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequest
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import io.waybill.android.BackgroundRun
import io.waybill.ffi.BackgroundSync
import java.time.Duration
import java.time.Instant

/**
 * The core's background sync as WorkManager work: one unique chain (`io.waybill.sync`),
 * persisted by WorkManager across reboots, run when a network is up, given the core's time
 * budget, retried with WorkManager's exponential backoff when the run failed, and followed
 * by the next run at the core's `nextAttemptAt` when queued work is left. A core error
 * becomes a retry, never a crash. The app's `Application` implements
 * [io.waybill.android.WaybillHost].
 */
class WaybillSyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val run = BackgroundRun.sync(applicationContext)
        val (result, next) = outcome(run, Instant.now())
        next?.let { schedule(applicationContext, it, ExistingWorkPolicy.APPEND_OR_REPLACE) }
        return result
    }

    companion object {
        /** The unique work's name. */
        const val UNIQUE_NAME = "io.waybill.sync"

        /**
         * What a run means for WorkManager: a failed run retries with the backoff; a run
         * with queued work left asks for the next at the core's due time; else done.
         */
        fun outcome(run: BackgroundSync?, now: Instant): Pair<Result, Duration?> = when {
            run == null -> Result.retry() to null
            run.nextAttemptAt != null ->
                Result.success() to Duration.between(now, run.nextAttemptAt).coerceAtLeast(Duration.ZERO)
            else -> Result.success() to null
        }

        /** The request: any network, exponential backoff from 30 s, not before [delay]. */
        fun request(delay: Duration = Duration.ZERO): OneTimeWorkRequest =
            OneTimeWorkRequestBuilder<WaybillSyncWorker>()
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, Duration.ofSeconds(30))
                .setInitialDelay(delay)
                .build()

        /**
         * Schedules a sync (after an order action, on start): one chain for the app, so
         * calling it again replaces a waiting run instead of adding one.
         */
        fun schedule(
            context: Context,
            delay: Duration = Duration.ZERO,
            policy: ExistingWorkPolicy = ExistingWorkPolicy.REPLACE,
        ) {
            WorkManager.getInstance(context).enqueueUniqueWork(UNIQUE_NAME, policy, request(delay))
        }
    }
}
