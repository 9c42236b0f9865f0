package io.waybill

import io.waybill.ffi.LatLon
import io.waybill.ffi.Order
import io.waybill.ffi.OrderList
import io.waybill.ffi.OrderStatus
import io.waybill.ffi.Role
import io.waybill.ffi.SyncState
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** A driver's day offline, from Kotlin: every state reaches the UI through the core's listener. */
class OrderLifecycleTest {
    private val shanghai = LatLon(lat = 31.2304, lon = 121.4737)

    @Test
    fun `a driver accepts, picks up and delivers with the server down, then sync completes`(@TempDir tmp: Path): Unit = runBlocking {
        val serverDb = tmp.resolve("server.sqlite3")
        var server = ReferenceServer.start(serverDb)
        val config = WaybillConfig(
            dataDir = tmp.resolve("device").toString(),
            serverUrl = server.baseUrl,
            appId = "com.example.waybill.driver",
            appVersion = "0.1.0-test",
            role = Role.DRIVER,
        )
        WaybillClient.open(config, testSecrets(config)).use { client ->
            client.acceptPolicy("first_run_dialog")
            client.signInByCode(server)
            val orderId = client.refreshOpenOrders(shanghai, 60_000).first().id

            val seen = Channel<List<Order>>(Channel.UNLIMITED)
            val collector = launch { client.ordersFlow(OrderList.MINE).collect { seen.send(it) } }
            suspend fun next(): Order? = withTimeout(10_000) { seen.receive() }.singleOrNull()
            assertEquals(null, next(), "nothing is mine yet")

            val address = server.address
            server.kill() // offline from here
            client.acceptOrder(orderId)
            assertEquals(OrderStatus.ACCEPTED to SyncState.PENDING, next()!!.let { it.status to it.syncState })
            client.pickUp(orderId)
            assertEquals(OrderStatus.PICKED_UP, next()!!.status)
            client.reportException(orderId, "queue at the dock")
            // The list did not change (an exception keeps the status): nothing is emitted.
            assertTrue(withTimeoutOrNull(300) { seen.receive() } == null, "no re-emission of an unchanged list")
            client.deliver(orderId)
            assertEquals(OrderStatus.DELIVERED to SyncState.PENDING, next()!!.let { it.status to it.syncState })
            assertThrows<WaybillException.InvalidTransition> { runBlocking { client.pickUp(orderId) } }
            assertThrows<WaybillException.Offline> { runBlocking { client.sync() } }
            val queued = client.pending()
            assertEquals(listOf("accept", "pick_up", "report_exception", "deliver"), queued.map { it.action })
            assertTrue(queued.all { it.attempts == 1u && it.lastError != null && it.nextAttemptAt != null })

            server = ReferenceServer.start(serverDb, address)
            val report = client.sync()
            assertEquals(4u, report.pushed)
            assertEquals(1u, report.pushRequests, "one batch for the four actions")
            var final = next()!!
            while (final.syncState != SyncState.SYNCED) final = next()!!
            assertEquals(OrderStatus.DELIVERED, final.status)
            assertTrue(client.pending().isEmpty())
            collector.cancel()

            // Closing completes every flow; no error reaches a collector.
            val watching = async { client.privacySettings.toList() }
            delay(200)
            client.close()
            assertTrue(withTimeout(5_000) { watching.await() }.isNotEmpty())
        }
        server.close()
    }
}
