package io.waybill.android

import io.waybill.ffi.Fix
import io.waybill.ffi.TrackingPlan

/**
 * Applies the core's tracking plan to a [LocationSource]: starts it with the accuracy and
 * interval the core asks for, stops it otherwise, and forwards fixes to the core. Call
 * [apply] with a fresh plan after every order action, permission result and consent change.
 */
class TrackingController(
    private val source: LocationSource,
    private val record: (orderId: String, fixes: List<Fix>) -> Unit,
) {
    /** The order being tracked, if any. */
    var tracking: String? = null
        private set
    private var running: TrackingPlan.Track? = null

    /** Starts, restarts (new order, accuracy or interval) or stops the source. */
    fun apply(plan: TrackingPlan) {
        when (plan) {
            is TrackingPlan.Track -> if (plan != running) {
                source.start(plan.accuracy, plan.intervalMs.toLong()) { fixes -> record(plan.orderId, fixes) }
                running = plan
                tracking = plan.orderId
            }
            else -> {
                source.stop()
                running = null
                tracking = null
            }
        }
    }
}
