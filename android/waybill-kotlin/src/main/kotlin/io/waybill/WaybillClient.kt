package io.waybill

import io.waybill.ffi.LatLon
import io.waybill.ffi.Order
import io.waybill.ffi.OrderList
import io.waybill.ffi.Rejection
import io.waybill.ffi.SyncReport
import io.waybill.ffi.Waybill
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * Idiomatic Kotlin entry point to the Waybill core.
 *
 * Every call is a `suspend` function that is safe to call from the main thread: network
 * calls are Rust async functions (they never block a thread), and local database calls
 * run on [ioDispatcher]. Failures are [WaybillException] subclasses, a sealed hierarchy
 * generated from the core's error enum, so `when` over them is exhaustive.
 *
 * One client per data directory; [close] it when done (or use `use {}`). A killed process
 * loses nothing the core acknowledged.
 */
class WaybillClient private constructor(
    private val ffi: Waybill,
    private val ioDispatcher: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /** Opens (creating or migrating) the client's database. No network traffic. */
        suspend fun open(
            config: WaybillConfig,
            ioDispatcher: CoroutineDispatcher = Dispatchers.IO,
        ): WaybillClient = withContext(ioDispatcher) { WaybillClient(Waybill.open(config), ioDispatcher) }
    }

    /** Registers this installation once; returns the account id. */
    suspend fun signIn(): String = ffi.signIn()

    /** The signed-in account id, or null. */
    suspend fun accountId(): String? = withContext(ioDispatcher) { ffi.accountId() }

    /** Downloads open offers within [radiusMeters] of [near] (sent rounded to ~1 km). */
    suspend fun refreshOpenOrders(near: LatLon, radiusMeters: Int): List<Order> {
        require(radiusMeters > 0) { "radiusMeters must be positive" }
        return ffi.refreshOpenOrders(near, radiusMeters.toUInt())
    }

    /** Orders from the local cache; works offline. */
    suspend fun orders(which: OrderList): List<Order> = withContext(ioDispatcher) { ffi.orders(which) }

    /** One order from the local cache. */
    suspend fun order(orderId: String): Order = withContext(ioDispatcher) { ffi.order(orderId) }

    /** Accepts an offer; durable on return, sent by the next [sync]. Works offline. */
    suspend fun acceptOrder(orderId: String): Order = withContext(ioDispatcher) { ffi.acceptOrder(orderId) }

    /** Local actions still waiting for the server. */
    suspend fun pendingActions(): Int = withContext(ioDispatcher) { ffi.pendingActions().toInt() }

    /** Pushes queued actions; throws [WaybillException.Offline] when the server is unreachable. */
    suspend fun sync(): SyncReport = ffi.sync()

    /** Refusals the UI has not dismissed. */
    suspend fun rejections(): List<Rejection> = withContext(ioDispatcher) { ffi.rejections() }

    /** Forgets a refusal the user has seen. */
    suspend fun dismissRejection(id: Long) = withContext(ioDispatcher) { ffi.dismissRejection(id) }

    override fun close() = ffi.close()
}
