package io.waybill.android

import io.waybill.WaybillClient

/**
 * Implemented by the app's `Application`: the services the system starts on their own
 * ([TrackingService], [SyncJobService]) reach the app's one client and tracking controller
 * through it, as WorkManager reaches its configuration through `Configuration.Provider`.
 */
interface WaybillHost {
    /** The app's client (one per data directory, opened once). */
    val waybill: WaybillClient

    /** The controller that feeds fixes from the location source to [waybill]. */
    val tracking: TrackingController
}
