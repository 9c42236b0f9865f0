package io.waybill

import io.waybill.ffi.Fix
import io.waybill.ffi.LatLon
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofSource
import io.waybill.ffi.ProofStep
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.security.MessageDigest
import java.time.Instant

/**
 * The library as it ships (no HTTP stack of its own: OkHttp carries every request) through
 * real network faults, against the real server: a slow link, replies cut after the server
 * committed, connections reset mid-request. Every action, trajectory batch and proof lands
 * exactly once (the Rust suite runs six faults over reqwest: `tests/tests/fault_proxy.rs`).
 */
class NetworkFaultTest {
    private data class Fault(val what: String, val toxics: List<List<String>>)

    private val faults = listOf(
        Fault("latency 400 ± 200 ms", listOf(listOf("lat", "latency", "downstream", """{"latency":400,"jitter":200}"""))),
        Fault("replies cut after 200 bytes (the server committed)", listOf(listOf("cut", "limit_data", "downstream", """{"bytes":200}"""))),
        Fault("connections reset 30 ms into a request", listOf(listOf("reset", "reset_peer", "upstream", """{"timeout":30}"""))),
    )

    /** Seven minutes of driving north that ended a minute ago (40 fixes, 10 s apart): more
     *  than the upload cadence, so a batch goes at the next sync. */
    private fun recentDrive(): List<Fix> {
        val start = Instant.now().minusSeconds(480)
        return (0 until 40).map { n -> Fix(start.plusSeconds(n * 10L), 31.254321 + n * 1e-4, 121.456789, 4.0, null, false) }
    }

    /** `key count` rows of [sql] on the server's database (python3's sqlite3, read-only). */
    private fun serverCounts(db: Path, sql: String): Map<String, Int> {
        val script = "import sqlite3,sys\n" +
            "c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)\n" +
            "for k,n in c.execute(sys.argv[2]): print(k, n)\n"
        val process = ProcessBuilder("python3", "-c", script, db.toString(), sql).redirectErrorStream(true).start()
        val out = process.inputStream.bufferedReader().readText()
        check(process.waitFor() == 0) { out }
        return out.lines().filter { it.isNotBlank() }.associate { line -> line.split(" ").let { it[0] to it[1].toInt() } }
    }

    private suspend fun syncUntilClean(client: WaybillClient): Int {
        for (attempt in 1..5) {
            val report = try { client.sync() } catch (e: WaybillException.Offline) { null }
            if (report != null && report.remaining == 0u && report.completed) return attempt
        }
        error("the client did not recover within 5 syncs once the fault was gone")
    }

    @Test
    fun `every effect lands once through real network faults over OkHttp`(@TempDir tmp: Path): Unit = runBlocking {
        val db = tmp.resolve("server.sqlite3")
        ReferenceServer.start(db).use { server ->
            Toxiproxy(server.address).use { tox ->
                val config = io.waybill.ffi.WaybillConfig(
                    tmp.resolve("device").toString(), tox.baseUrl, "com.example.waybill.driver", "0.1.0-test",
                    io.waybill.ffi.Role.DRIVER,
                )
                WaybillClient.open(config, testSecrets(config), OkHttpTransport()).use { client ->
                    val carried = client.carryNearestOrder(server)
                    client.decide("trajectory_upload", allow = true, askedVia = "order_start_dialog")
                    client.reportPermission(Permission.LOCATION_PRECISE, PermissionState.GRANTED)
                    client.reportPermission(Permission.LOCATION_BACKGROUND, PermissionState.GRANTED)
                    client.decide("proof_photos", allow = true, askedVia = "exception_screen")
                    client.reportPermission(Permission.CAMERA, PermissionState.GRANTED)
                    client.sync()
                    val offers = client.refreshOpenOrders(LatLon(31.2304, 121.4737), 60_000)
                        .map { it.id }.filter { it != carried }.take(faults.size)
                    assertEquals(faults.size, offers.size)
                    val proofs = mutableListOf<String>()
                    val tally = mutableListOf<String>()
                    for ((i, fault) in faults.withIndex()) {
                        fault.toxics.forEach { (name, type, stream, attributes) -> tox.add(name, type, stream, attributes) }
                        client.acceptOrder(offers[i])
                        if (i == 1) {
                            // The batch whose reply is cut after the server stored it.
                            client.recordFixes(carried, recentDrive())
                            client.flushFixes()
                            val photo = ByteArray(300_000).also { java.util.Random(i.toLong()).nextBytes(it) }
                            proofs += client.takeProof(carried, ProofKind.DAMAGE, ProofStep.REPORT_EXCEPTION, ProofSource.Bytes(pngWith(photo))).sha256
                        }
                        val during = runCatching { client.sync() }
                        val error = during.exceptionOrNull()
                        assertTrue(error == null || error is WaybillException.Offline, "${fault.what}: typed Offline, got $error")
                        fault.toxics.forEach { tox.remove(it[0]) }
                        tally += "${fault.what}: ${if (error == null) "ok" else "offline"}, clean after ${syncUntilClean(client)}"
                    }
                    println(tally.joinToString("\n"))
                    assertEquals(0, client.pendingActions())
                    val events = serverCounts(db, "SELECT order_id || ':' || kind, count(*) FROM order_events GROUP BY 1")
                    val points = serverCounts(db, "SELECT order_id, count(*) FROM trajectory_points GROUP BY 1")
                    // The simplifier keeps at least the ends of the drive.
                    assertTrue((points[carried] ?: 0) >= 2, "trajectory on the server: $points")
                    for (order in offers) assertEquals(1, events["$order:accepted"], "$order accepted once: $events")
                    assertEquals(1, events["$carried:picked_up"], "$events")
                    val held = tmp.resolve("server.sqlite3.uploads").toFile().listFiles().orEmpty().map { file ->
                        MessageDigest.getInstance("SHA-256").digest(file.readBytes()).joinToString("") { "%02x".format(it) }
                    }
                    for (sha in proofs) assertEquals(1, held.count { it == sha }, "proof $sha held once, byte-identical")
                }
            }
        }
    }
}
