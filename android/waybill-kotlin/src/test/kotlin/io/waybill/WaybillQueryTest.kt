package io.waybill

import io.waybill.ffi.MilestoneKind
import io.waybill.ffi.OrderStatus
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * The waybill query from Kotlin (seed 000, P-39), over JNA against the real server: the
 * shipper's order carries its number, a signed-out phone sees its public status and keeps
 * nothing, a consenting shipper follows it and clears the history at once.
 */
class WaybillQueryTest {
    private fun config(tmp: Path, name: String, server: ReferenceServer) = WaybillConfig(
        dataDir = tmp.resolve(name).toString(),
        serverUrl = server.baseUrl,
        appId = "com.example.waybill.$name",
        appVersion = "0.1.0-test",
        role = Role.SHIPPER,
    )

    @Test
    fun `anyone queries a number, only a consenting shipper keeps and follows it`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val shipperConfig = config(tmp, "shipper", server)
            val guestConfig = config(tmp, "guest", server)
            WaybillClient.open(shipperConfig, testSecrets(shipperConfig)).use { shipper ->
                WaybillClient.open(guestConfig, testSecrets(guestConfig)).use { guest ->
                    shipper.acceptPolicy("first_run_dialog")
                    shipper.signInByCode(server)
                    val errand = shipper.placeErrand(
                        sampleErrand(),
                        mayShareParties = true,
                    )
                    shipper.sync()
                    val number = shipper.order(errand.id).waybillNo!!
                    assertEquals(18, number.length)

                    val seen = guest.queryWaybill(number)!!
                    assertEquals(OrderStatus.OPEN, seen.status)
                    assertEquals(listOf(MilestoneKind.PLACED), seen.milestones.map { it.kind })
                    assertTrue(guest.keptWaybills().isEmpty(), "nothing kept without the consent")
                    val unknown = "000000079927398713"
                    assertNull(guest.queryWaybill(unknown))
                    assertThrows<WaybillException.InvalidInput> { guest.queryWaybill(number.dropLast(1) + ((number.last() - '0' + 1) % 10)) }

                    assertThrows<WaybillException.ConsentRequired> { shipper.followWaybill(number) }
                    shipper.decide("convenience", true, "settings_switch")
                    assertEquals(OrderStatus.OPEN, shipper.followWaybill(number).status)
                    assertTrue(shipper.keptWaybills().single().followed)
                    assertEquals(1u, shipper.sync().waybillsRefreshed)
                    assertEquals(1, shipper.clearConvenience())
                    assertTrue(shipper.keptWaybills().isEmpty())
                    assertEquals(0u, shipper.sync().waybillsRefreshed)
                }
            }
        }
    }
}
