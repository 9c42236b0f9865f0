package io.waybill

import io.waybill.ffi.LatLon
import io.waybill.ffi.LogLevel
import io.waybill.ffi.LogRecord
import io.waybill.ffi.OrderList
import io.waybill.ffi.OrderStatus
import io.waybill.ffi.RejectionReason
import io.waybill.ffi.Role
import io.waybill.ffi.SyncState
import io.waybill.ffi.Unavailable
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import io.waybill.ffi.coreVersion
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Collections

/**
 * The walking skeleton's slice from Kotlin: generated bindings, loaded through JNA from the
 * real cargo-built library, talking to the real reference server process on loopback.
 */
class DriverSliceTest {
    private val shanghai = LatLon(lat = 31.2304, lon = 121.4737)

    private fun config(dir: Path, serverUrl: String) = WaybillConfig(
        dataDir = dir.toString(),
        serverUrl = serverUrl,
        appId = "com.example.waybill.driver",
        appVersion = "0.1.0-test",
        role = Role.DRIVER,
    )

    @Test
    fun `driver signs in, downloads offers, accepts offline after a restart, and syncs once`(@TempDir tmp: Path): Unit = runBlocking {
        val records = Collections.synchronizedList(mutableListOf<LogRecord>())
        assertTrue(WaybillLogs.install(LogLevel.INFO) { records.add(it) })
        assertTrue(coreVersion().isNotBlank())

        val serverDb = tmp.resolve("server.sqlite3")
        val device = tmp.resolve("device")
        var server = ReferenceServer.start(serverDb)
        val url = server.baseUrl

        val target = WaybillClient.open(config(device, url), testSecrets(config(device, url))).use { client ->
            client.acceptPolicy("first_run_dialog")
            val account = client.signInByCode(server).accountId
            assertEquals(account, client.accountId())
            val offers = client.refreshOpenOrders(shanghai, radiusMeters = 60_000)
            assertTrue(offers.size >= 3, "offers: $offers")
            offers.first().id
        }

        server.kill()
        WaybillClient.open(config(device, url), testSecrets(config(device, url))).use { client ->
            // Offline after a restart: the list comes from the cache.
            assertTrue(client.orders(OrderList.OPEN).any { it.id == target })
            assertThrows<WaybillException.Offline> { runBlocking { client.refreshOpenOrders(shanghai, 60_000) } }

            val accepted = client.acceptOrder(target)
            assertEquals(OrderStatus.ACCEPTED, accepted.status)
            assertEquals(SyncState.PENDING, accepted.syncState)
            assertThrows<WaybillException.Offline> { runBlocking { client.sync() } }
            assertEquals(1, client.pendingActions())
            // The parcel's label, scanned offline, names the order just accepted.
            val scanned = client.findByCode("https://wb.example/w/$target")
            assertTrue(scanned is io.waybill.ffi.ScanMatch.Mine && scanned.order.id == target, "$scanned")
            assertEquals(io.waybill.ffi.ParcelCheck.Matches, client.checkParcel(target, target))
        }

        server = ReferenceServer.start(serverDb, listen = url.removePrefix("http://"))
        server.use {
            WaybillClient.open(config(device, url), testSecrets(config(device, url))).use { client ->
                assertEquals(1, client.pendingActions(), "still queued after the restart")
                val report = client.sync()
                assertEquals(1u, report.pushed)
                assertEquals(0, client.pendingActions())
                val order = client.order(target)
                assertEquals(SyncState.SYNCED, order.syncState)
                assertTrue(order.assignedToMe)
                assertEquals(listOf(target), client.orders(OrderList.MINE).map { it.id })
            }
        }

        assertTrue(records.any { it.message.contains("action queued") && it.message.contains("action=accept") }, "core logs reached Kotlin: $records")
        assertTrue(records.none { it.message.contains("tok_") }, "tokens never logged in clear")
    }

    @Test
    fun `accepting an order another driver took is a typed error`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            WaybillClient.open(config(tmp.resolve("a"), server.baseUrl), testSecrets(config(tmp.resolve("a"), server.baseUrl))).use { first ->
                WaybillClient.open(config(tmp.resolve("b"), server.baseUrl), testSecrets(config(tmp.resolve("b"), server.baseUrl))).use { late ->
                    first.acceptPolicy("first_run_dialog")
                    late.acceptPolicy("first_run_dialog")
                    first.signInByCode(server)
                    late.signInByCode(server)
                    val target = first.refreshOpenOrders(shanghai, 60_000).first().id
                    late.refreshOpenOrders(shanghai, 60_000)

                    first.acceptOrder(target)
                    assertEquals(1u, first.sync().pushed)

                    // The late driver's stale cache lets it queue; the server refuses it.
                    late.acceptOrder(target)
                    val report = late.sync()
                    assertEquals(listOf(RejectionReason.TAKEN_BY_ANOTHER_DRIVER), report.rejected.map { it.reason })
                    assertTrue(late.orders(OrderList.MINE).isEmpty(), "rolled back")

                    val error = assertThrows<WaybillException.OrderNotAvailable> {
                        runBlocking { late.acceptOrder(target) }
                    }
                    assertEquals(target, error.orderId)
                    assertEquals(Unavailable.TAKEN_BY_ANOTHER_DRIVER, error.reason)

                    val rejection = late.rejections().single()
                    late.dismissRejection(rejection.id)
                    assertTrue(late.rejections().isEmpty())
                }
            }
        }
    }

    @Test
    fun `bad input and missing session are typed errors, not crashes`(@TempDir tmp: Path): Unit = runBlocking {
        assertThrows<WaybillException.InvalidConfig> {
            runBlocking { WaybillClient.open(config(tmp, "ftp://nowhere"), testSecrets(config(tmp, "ftp://nowhere"))) }
        }
        WaybillClient.open(config(tmp.resolve("d"), "http://127.0.0.1:9"), testSecrets(config(tmp.resolve("d"), "http://127.0.0.1:9"))).use { client ->
            client.acceptPolicy("first_run_dialog")
            assertThrows<WaybillException.NotSignedIn> { runBlocking { client.acceptOrder("ord-sh-0001") } }
            assertThrows<WaybillException.InvalidInput> {
                runBlocking { client.refreshOpenOrders(LatLon(Double.NaN, 0.0), 1_000) }
            }
            assertThrows<WaybillException.OrderNotFound> { runBlocking { client.order("nope") } }
        }
    }

    @Test
    fun `a secure store that fails or lost the key is KeyUnavailable and the data stays`(@TempDir tmp: Path): Unit = runBlocking {
        val config = config(tmp.resolve("k"), "http://127.0.0.1:9")
        val failing = object : io.waybill.ffi.SecretStore {
            override fun load(name: String): ByteArray? = throw IllegalStateException("keystore locked")
            override fun save(name: String, value: ByteArray) = Unit
            override fun delete(name: String) = Unit
        }
        val thrown = assertThrows<WaybillException.KeyUnavailable> { runBlocking { WaybillClient.open(config, failing) } }
        assertTrue("keystore locked" in thrown.message.orEmpty(), thrown.message)
        WaybillClient.open(config, testSecrets(config)).use { it.acceptPolicy("first_run_dialog") }
        // A reset Keystore (key gone, a new one made) must not open the old data.
        assertThrows<WaybillException.KeyUnavailable> {
            runBlocking { WaybillClient.open(config, DirSecretStore(tmp.resolve("other-keys"))) }
        }
        WaybillClient.open(config, testSecrets(config)).use {
            assertEquals(io.waybill.ffi.PolicyStatus.Accepted::class, it.policyStatus()::class)
        }
    }
}
