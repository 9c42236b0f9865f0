package io.waybill

import io.waybill.ffi.Fix
import io.waybill.ffi.LatLon
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.Role
import io.waybill.ffi.Waybill
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.coreVersion
import io.waybill.ffi.ffiCrossingBaseline
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Instant

/**
 * What one fix costs to hand to the core from Kotlin over JNA, against a bare call with the
 * same arguments that does nothing (`ffiCrossingBaseline`): the figure is the ratio.
 * A benchmark, not a test: it prints figures and runs only with `-Dwaybill.bench=true`
 * (`make bench`, on the optimised library).
 */
class FfiCostBench {
    private val calls = 100_000

    private fun fix(i: Int, start: Instant) = Fix(
        at = start.plusSeconds(i.toLong()),
        lat = 48.0 + i * 1e-4, // ~11 m a second, north
        lon = 11.0,
        accuracyM = 5.0,
        elapsedMs = i * 1_000L,
        mock = false,
    )

    private fun nanosEach(block: (Int) -> Unit): LongArray = LongArray(calls) { i ->
        val t0 = System.nanoTime()
        block(i)
        System.nanoTime() - t0
    }

    private fun LongArray.percentile(p: Double): Double = sorted()[((size - 1) * p).toInt()] / 1_000.0

    @Test
    fun `per-fix call against a bare crossing of the same arguments`(@TempDir tmp: Path): Unit = runBlocking {
        assumeTrue(System.getProperty("waybill.bench") == "true", "benchmark: run with make bench")
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val config = WaybillConfig(
                dataDir = tmp.resolve("device").toString(),
                serverUrl = server.baseUrl,
                appId = "com.example.waybill.driver",
                appVersion = "0.1.0-bench",
                role = Role.DRIVER,
            )
            val orderId = WaybillClient.open(config, testSecrets(config)).use { client ->
                client.acceptPolicy("first_run_dialog")
                client.signInByCode(server)
                val orderId = client.refreshOpenOrders(LatLon(31.2304, 121.4737), 60_000).first().id
                client.acceptOrder(orderId)
                client.pickUp(orderId)
                client.sync()
                client.decide("trajectory_upload", allow = true, askedVia = "order_start_dialog")
                client.reportPermission(Permission.LOCATION_PRECISE, PermissionState.GRANTED)
                client.reportPermission(Permission.LOCATION_BACKGROUND, PermissionState.GRANTED)
                orderId
            }
            // The generated object itself: the facade's coroutine hop is not what is measured.
            Waybill.open(config, testSecrets(config), OkHttpTransport()).use { ffi ->
                val start = Instant.now().minusSeconds(2L * calls)
                // Warm-up: JIT, JNA's method lookup, the core's caches.
                repeat(5_000) { ffiCrossingBaseline(orderId, listOf(fix(it, start))) }
                repeat(5_000) { ffi.recordFixes(orderId, listOf(fix(it, start))) }
                repeat(5_000) { coreVersion() }
                val empty = nanosEach { coreVersion() }
                val bare = nanosEach { ffiCrossingBaseline(orderId, listOf(fix(it, start))) }
                val real = nanosEach { ffi.recordFixes(orderId, listOf(fix(5_000 + it, start))) }
                ffi.flushFixes()
                fun line(name: String, ns: LongArray) = println(
                    "%-34s p50 %6.2f µs   p90 %6.2f µs   mean %6.2f µs".format(
                        name, ns.percentile(0.5), ns.percentile(0.9), ns.average() / 1_000.0,
                    ),
                )
                println("\n== one fix per call from Kotlin over JNA, $calls calls each ==")
                line("coreVersion() (no arguments)", empty)
                line("bare crossing (same arguments)", bare)
                line("recordFixes (filter + buffer)", real)
                println(
                    "ratio p50 %.2f×, mean %.2f× (the mean includes a group commit every 64 fixes)".format(
                        real.percentile(0.5) / bare.percentile(0.5), real.average() / bare.average(),
                    ),
                )
            }
        }
    }
}
