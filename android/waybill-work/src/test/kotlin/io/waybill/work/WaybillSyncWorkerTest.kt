package io.waybill.work

import androidx.work.ListenableWorker
import androidx.work.NetworkType
import io.waybill.ffi.BackgroundSync
import io.waybill.ffi.SyncReport
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import java.time.Duration
import java.time.Instant

/**
 * The WorkManager sync's request and its reading of the core's answer, on Robolectric's
 * Android 14 against the real work-runtime classes; [WorkManagerSyncTest] runs it on
 * WorkManager itself.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class WaybillSyncWorkerTest {
    @Test
    fun theRequestWaitsForANetworkBacksOffAndStartsNoSoonerThanAsked() {
        val request = WaybillSyncWorker.request(Duration.ofMinutes(1))
        val spec = request.workSpec
        assertEquals(NetworkType.CONNECTED, spec.constraints.requiredNetworkType)
        assertEquals(Duration.ofMinutes(1).toMillis(), spec.initialDelay)
        assertEquals(30_000L, spec.backoffDelayDuration)
        assertEquals(androidx.work.BackoffPolicy.EXPONENTIAL, spec.backoffPolicy)
        assertEquals(WaybillSyncWorker::class.java.name, spec.workerClassName)
    }

    @Test
    fun aFailedRunRetriesAndQueuedWorkAsksForTheNextAtTheCoresDueTime() {
        val now = Instant.parse("2026-12-01T10:00:00Z")
        val report = SyncReport(0u, emptyList(), 2u, 0u, 0u, 0u, 0u, false, 0u, 0uL, 0u, 0uL, 0u, 0u, 0u, 0u, 0u, 0u)
        val (failed, none) = WaybillSyncWorker.outcome(null, now)
        assertEquals(ListenableWorker.Result.retry(), failed)
        assertNull(none)
        val (queued, next) = WaybillSyncWorker.outcome(BackgroundSync(report, 2u, now.plusSeconds(90), "offline"), now)
        assertEquals(ListenableWorker.Result.success(), queued)
        assertEquals(Duration.ofSeconds(90), next)
        val (done, nothing) = WaybillSyncWorker.outcome(BackgroundSync(report, 0u, null, null), now)
        assertEquals(ListenableWorker.Result.success(), done)
        assertNull(nothing)
    }
}
