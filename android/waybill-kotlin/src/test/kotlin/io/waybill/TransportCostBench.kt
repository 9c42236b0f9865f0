package io.waybill

import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import kotlinx.coroutines.runBlocking
import okhttp3.OkHttpClient
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.atomic.AtomicLong

/**
 * What a request costs through the app's OkHttp over JNA (ADR 0014), with the same
 * procedure as the Rust `transport_cost` bench over reqwest: an idle sync's wall time and
 * requests, and a recorded drive synced every trace minute — requests per driving hour
 * and trajectory body bytes per fix. A benchmark, not a test: it prints figures and runs
 * only with `-Dwaybill.bench=true` (`make bench`, on the optimised library).
 */
class TransportCostBench {
    @Test
    fun `idle sync and a recorded drive through OkHttp`(@TempDir tmp: Path): Unit = runBlocking {
        assumeTrue(System.getProperty("waybill.bench") == "true", "benchmark: run with make bench")
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val requests = AtomicLong()
            val appClient = OkHttpClient.Builder()
                .addInterceptor { chain -> requests.incrementAndGet(); chain.proceed(chain.request()) }
                .build()
            val config = driverConfig(tmp, server)
            WaybillClient.open(config, testSecrets(config), OkHttpTransport(appClient)).use { client ->
                val order = client.carryNearestOrder(server)
                client.decide("trajectory_upload", allow = true, askedVia = "order_start_dialog")
                client.reportPermission(Permission.LOCATION_PRECISE, PermissionState.GRANTED)
                client.reportPermission(Permission.LOCATION_BACKGROUND, PermissionState.GRANTED)
                client.sync()
                repeat(100) { client.sync() } // warm-up: JIT, the connection pool

                val before = requests.get()
                val idle = DoubleArray(100) {
                    val t0 = System.nanoTime()
                    client.sync()
                    (System.nanoTime() - t0) / 1e6
                }.sorted()
                val idleRequests = (requests.get() - before) / 100.0

                val trace = recordedTrace("x0001-001.json")
                val hours = Duration.between(trace.first().at, trace.last().at).seconds / 3600.0
                val driveBefore = requests.get()
                var body = 0uL
                var last = trace.first().at
                for (chunk in trace.chunked(10)) {
                    client.recordFixes(order, chunk)
                    val t = chunk.last().at
                    if (Duration.between(last, t) >= Duration.ofMinutes(1)) {
                        last = t
                        body += client.sync().trajectoryBytes
                    }
                }
                client.flushFixes()
                body += client.sync().trajectoryBytes
                val drive = requests.get() - driveBefore
                println("\n== the app's transport (OkHttp over JNA), same procedure as the Rust transport_cost bench ==")
                println("idle sync: p50 %.2f ms, p90 %.2f ms, %.1f requests each".format(idle[49], idle[89], idleRequests))
                println(
                    "drive x0001-001 (%d fixes, %.2f h, a sync per trace minute): %d requests = %.0f per driving hour; %d body bytes = %.2f B per fix".format(
                        trace.size, hours, drive, drive / hours, body.toLong(), body.toDouble() / trace.size,
                    ),
                )
            }
        }
    }
}
