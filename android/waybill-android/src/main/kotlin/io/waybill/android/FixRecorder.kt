package io.waybill.android

import io.waybill.ffi.Fix
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch

/**
 * Hands the fixes a [TrackingController] forwards to the core one batch after the other,
 * in the order the location source delivered them. Launching a coroutine per batch on a
 * multi-threaded dispatcher would record them out of order, and the core drops a fix
 * older than the last one it kept as "backwards". A failure is logged, never thrown into
 * the location callback.
 */
class FixRecorder(
    scope: CoroutineScope,
    private val record: suspend (orderId: String, fixes: List<Fix>) -> Unit,
) {
    private val queue = Channel<Pair<String, List<Fix>>>(Channel.UNLIMITED)

    init {
        scope.launch {
            for ((orderId, fixes) in queue) {
                loggedOrNull("recording fixes") { record(orderId, fixes) }
            }
        }
    }

    /** Queues a batch (returns at once; called on the location source's thread). */
    fun offer(orderId: String, fixes: List<Fix>) {
        queue.trySend(orderId to fixes)
    }
}
