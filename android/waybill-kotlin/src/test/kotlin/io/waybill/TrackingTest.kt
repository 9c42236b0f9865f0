package io.waybill

import io.waybill.ffi.Fix
import io.waybill.ffi.GapReason
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.TrackEventKind
import io.waybill.ffi.TrackingPlan
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** A real recorded car trace (Munich, 1 Hz) fed from Kotlin through JNA, then uploaded. */
class TrackingTest {
    @Test
    fun `a trace fed over JNA is filtered, kept durable and uploaded in one batch`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            WaybillClient.open(driverConfig(tmp, server), testSecrets(driverConfig(tmp, server))).use { client ->
                val orderId = client.carryNearestOrder(server)
                client.sync()
                val trace = recordedTrace("x0001-001.json")
                assertEquals(1194, trace.size)

                // The trajectory is sensitive: nothing without its own consent.
                assertThrows<WaybillException.ConsentRequired> { runBlocking { client.recordFixes(orderId, trace.take(10)) } }
                client.decide("trajectory_upload", allow = true, askedVia = "order_start_dialog")
                client.reportPermission(Permission.LOCATION_PRECISE, PermissionState.GRANTED)
                client.reportPermission(Permission.LOCATION_BACKGROUND, PermissionState.GRANTED)
                val plan = client.trackingPlan()
                assertTrue(plan is TrackingPlan.Track && plan.orderId == orderId && plan.intervalMs == 1000u, "$plan")

                var kept = 0
                trace.chunked(10).forEach { kept += client.recordFixes(orderId, it) }
                client.flushFixes()
                val diagnostics = client.trackingDiagnostics(orderId)
                assertTrue(diagnostics.stationary > 300u, "$diagnostics")
                assertTrue(diagnostics.speedOutlier >= 1u, "$diagnostics")
                val gaps = diagnostics.events.map { it.kind }.filterIsInstance<TrackEventKind.Gap>()
                assertEquals(listOf(GapReason.POSITION_JUMP), gaps.map { it.reason }, "the position jump is an explained gap")
                assertTrue(diagnostics.distanceM in 5_000.0..20_000.0, "${diagnostics.distanceM} m")
                assertTrue(kept in 700..900, "kept $kept")

                // Twenty minutes of fixes: the engine uploads what is settled, the tail waits
                // for the next five minutes or the end of the leg.
                val report = client.sync()
                assertEquals(1u, report.trajectoryBatches)
                assertTrue(report.trajectoryBytes in 200uL..1_000uL, "${report.trajectoryBytes} bytes")
                client.deliver(orderId)
                assertEquals(TrackingPlan.NoJob, client.trackingPlan())
                assertEquals(1u, client.sync().trajectoryBatches, "sign-off sends the rest")
            }
        }
    }
}
