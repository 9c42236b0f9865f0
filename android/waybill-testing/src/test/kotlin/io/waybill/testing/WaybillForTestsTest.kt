package io.waybill.testing

import io.waybill.ffi.OrderList
import io.waybill.ffi.PolicyStatus
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** What an app's unit test gets: the real core, offline, on a throwaway directory. */
class WaybillForTestsTest {
    @Test
    fun `an app unit test runs the real rules offline`(): Unit = runBlocking {
        WaybillForTests.open(Role.SHIPPER).use { client ->
            assertEquals(PolicyStatus.NotAccepted, client.policyStatus())
            client.acceptPolicy("unit_test")
            assertTrue(client.policyStatus() is PolicyStatus.Accepted)
            assertEquals(emptyList<Any>(), client.ordersFlow(OrderList.MINE).first())
            // No server: a network call is Offline, never a hang or a crash.
            assertThrows<WaybillException> { runBlocking { client.sync() } }
        }
    }
}
