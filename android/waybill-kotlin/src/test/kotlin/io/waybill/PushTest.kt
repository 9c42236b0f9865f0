package io.waybill

import io.waybill.ffi.LatLon
import io.waybill.ffi.OrderStatus
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.PushPlatform
import io.waybill.ffi.PushState
import io.waybill.ffi.PushTopic
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * Push from Kotlin (P-23), against the real server: the token is refused without the
 * consent, registered with it, and the push the server sends for the driver's acceptance
 * (read from the reference sender's file) becomes one targeted sync in the shipper's app.
 */
class PushTest {
    private val shanghai = LatLon(lat = 31.2304, lon = 121.4737)

    private fun config(tmp: Path, name: String, server: ReferenceServer, role: Role) = WaybillConfig(
        dataDir = tmp.resolve(name).toString(),
        serverUrl = server.baseUrl,
        appId = "com.example.waybill.$name",
        appVersion = "0.1.0-test",
        role = role,
    )

    /** The pushes the reference server's sender wrote: one JSON line each. */
    private fun pushes(server: ReferenceServer): List<String> =
        Path.of("${server.db}.dev-pushes.jsonl").toFile().takeIf { it.exists() }?.readLines() ?: emptyList()

    @Test
    fun `a push is refused without consent and once allowed brings the status in one targeted sync`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val shipperConfig = config(tmp, "shipper", server, Role.SHIPPER)
            val driverConfig = config(tmp, "driver", server, Role.DRIVER)
            WaybillClient.open(shipperConfig, testSecrets(shipperConfig)).use { shipper ->
                WaybillClient.open(driverConfig, testSecrets(driverConfig)).use { driver ->
                    shipper.acceptPolicy("first_run_dialog")
                    shipper.signInByCode(server)
                    assertThrows<WaybillException.ConsentRequired> { shipper.setPushToken("fcm-kotlin", PushPlatform.FCM) }
                    assertEquals(PushState.OFF, shipper.pushState())

                    shipper.reportPermission(Permission.NOTIFICATIONS, PermissionState.GRANTED)
                    shipper.decide("push_notifications", true, "settings_switch")
                    assertEquals(PushState.WAITING, shipper.setPushToken("fcm-kotlin", PushPlatform.FCM))
                    val errand = shipper.placeErrand(
                        sampleErrand(),
                        mayShareParties = true,
                    )
                    assertEquals(1u, shipper.sync().pushRegistrations)
                    assertEquals(PushState.REGISTERED, shipper.pushState())

                    driver.acceptPolicy("first_run_dialog")
                    driver.signInByCode(server)
                    driver.refreshOpenOrders(shanghai, 60_000)
                    driver.acceptOrder(errand.id)
                    driver.sync()
                    val sent = pushes(server)
                    assertEquals(1, sent.size, "$sent")
                    assertTrue(sent.single().contains("\"token\":\"fcm-kotlin\""))
                    val data = Regex("\"data\":(\\{[^}]*\\})").find(sent.single())!!.groupValues[1]
                    val refreshed = shipper.handlePush(data)
                    assertEquals(PushTopic.ORDERS, refreshed.topic)
                    assertEquals(1u, refreshed.pulled)
                    assertEquals(OrderStatus.ACCEPTED, shipper.order(errand.id).status)
                    assertThrows<WaybillException.InvalidInput> { shipper.handlePush("{\"v\":1,\"refresh\":\"orders\",\"order_id\":\"x\"}") }
                }
            }
        }
    }
}
