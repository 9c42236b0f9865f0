package io.waybill.android

import io.waybill.WaybillClient

/**
 * Implemented by the app's `Application`: the services the system starts on their own
 * ([TrackingService], [SyncJobService]) reach the app's one client and tracking controller
 * through it, as WorkManager reaches its configuration through `Configuration.Provider`.
 */
interface WaybillHost {
    /**
     * The app's client (one per data directory, opened once, off the main thread: a
     * `CoroutineStart.LAZY` `async` on `Dispatchers.IO` awaited here, never `runBlocking`).
     */
    suspend fun waybill(): WaybillClient

    /** The controller that feeds fixes from the location source to [waybill]. */
    val tracking: TrackingController

    /** The JobScheduler id of the sync job: override it if the app's own jobs use this one. */
    val syncJobId: Int get() = SyncJobService.DEFAULT_JOB_ID
}
