package io.waybill

import java.io.BufferedReader
import java.io.InputStreamReader
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The real `waybill-server` binary as a child process on a loopback port. */
class ReferenceServer private constructor(
    private val process: Process,
    val baseUrl: String,
    /** Its database file; the development code sender writes next to it. */
    val db: Path,
) : AutoCloseable {
    companion object {
        fun start(db: Path, listen: String = "127.0.0.1:0"): ReferenceServer {
            val bin = System.getProperty("waybill.server.bin")
                ?: error("system property waybill.server.bin is not set (run through Maven)")
            val process = ProcessBuilder(bin, "--db", db.toString(), "--listen", listen, "--seed-demo")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start()
            val firstLine = BufferedReader(InputStreamReader(process.inputStream)).readLine()
                ?: error("waybill-server exited before printing its address")
            check(firstLine.startsWith("http://127.0.0.1:")) { "unexpected first line: $firstLine" }
            return ReferenceServer(process, firstLine.trim(), db)
        }
    }

    /** host:port, to restart on the same address. */
    val address: String get() = baseUrl.removePrefix("http://")

    /** SIGKILL: to the client this looks like losing the network. */
    fun kill() {
        process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }

    override fun close() = kill()

    /**
     * The newest code the development sender wrote for [phone] (E.164) and [purpose]: the
     * tests' stand-in for reading the SMS (`<db>.dev-codes.jsonl`, one JSON line per code).
     */
    fun latestCode(phone: String, purpose: String = "sign_in"): String {
        val file = Path.of("$db.dev-codes.jsonl").toFile()
        val line = file.readLines().last { it.contains("\"phone\":\"$phone\"") && it.contains("\"purpose\":\"$purpose\"") }
        return Regex("\"code\":\"(\\d{6})\"").find(line)!!.groupValues[1]
    }
}

private val nextPhone = java.util.concurrent.atomic.AtomicLong(ProcessHandle.current().pid() * 1_000)

/** A test number no other client of this JVM uses (E.164, +1 555 range). */
fun freshPhone(): String = "+1555" + (nextPhone.getAndIncrement() % 100_000_000).toString().padStart(8, '0')

/** Answers the age question (an adult) and signs in with the code the server sent to [phone]. */
suspend fun WaybillClient.signInByCode(server: ReferenceServer, phone: String = freshPhone()): io.waybill.ffi.SignedIn {
    declareAge(30)
    requestSignInCode(phone)
    return signInWithCode(phone, server.latestCode(phone))
}

/** A driver app's configuration on [tmp]/device talking to [server]. */
fun driverConfig(tmp: Path, server: ReferenceServer) = io.waybill.ffi.WaybillConfig(
    dataDir = tmp.resolve("device").toString(),
    serverUrl = server.baseUrl,
    appId = "com.example.waybill.driver",
    appVersion = "0.1.0-test",
    role = io.waybill.ffi.Role.DRIVER,
)

/**
 * A recorded trace of `tests/data/traces/` in the barefoot JSON format
 * (`{"point":"POINT(lon lat)","time":"yyyy-MM-dd HH:mm:ssZ"}`), as fixes.
 */
fun recordedTrace(name: String): List<io.waybill.ffi.Fix> {
    val text = java.nio.file.Paths.get("..", "..", "tests", "data", "traces", name).toFile().readText()
    val format = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxx")
    return Regex(""""point":"POINT\(([-0-9.]+) ([-0-9.]+)\)","time":"([^"]+)"""").findAll(text).map { m ->
        val (lon, lat, time) = m.destructured
        io.waybill.ffi.Fix(
            at = java.time.OffsetDateTime.parse(time, format).toInstant(),
            lat = lat.toDouble(),
            lon = lon.toDouble(),
            accuracyM = null,
            elapsedMs = null,
            mock = false,
        )
    }.toList()
}

/** A structurally valid PNG (4×4 header) whose one IDAT chunk carries [idat]. */
fun pngWith(idat: ByteArray): ByteArray {
    val out = java.io.ByteArrayOutputStream()
    out.write(byteArrayOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte(), 13, 10, 26, 10))
    fun chunk(kind: String, data: ByteArray) {
        val body = kind.toByteArray() + data
        out.write(java.nio.ByteBuffer.allocate(4).putInt(data.size).array())
        out.write(body)
        out.write(java.nio.ByteBuffer.allocate(4).putInt(java.util.zip.CRC32().apply { update(body) }.value.toInt()).array())
    }
    chunk("IHDR", byteArrayOf(0, 0, 4, 0, 0, 0, 4, 0, 8, 2, 0, 0, 0))
    chunk("IDAT", idat)
    chunk("IEND", ByteArray(0))
    return out.toByteArray()
}

/** A shipper's errand in Shanghai (seed 003: sender, recipient, goods). */
fun sampleErrand() = io.waybill.ffi.NewErrand(
    "Jing'an, shop 1", io.waybill.ffi.LatLon(31.2404, 121.4737), "Pudong, Lujiazui", io.waybill.ffi.LatLon(31.2397, 121.4998),
    "documents", 0.5, 2_500, "CNY",
    io.waybill.ffi.Parties("陈静", "13700001111", "黄洋", "13600002222", "Pudong, No. 88 Century Avenue"),
)

/** A fresh step-up code for [client], signed in with [phone]. */
suspend fun ReferenceServer.stepUpCode(client: WaybillClient, phone: String): String {
    client.requestStepUpCode()
    return latestCode(phone, "step_up")
}

/** The driver accepts the policy, signs in, takes the nearest offer near Shanghai and loads it; returns its id. */
suspend fun WaybillClient.carryNearestOrder(server: ReferenceServer): String {
    acceptPolicy("first_run_dialog")
    signInByCode(server)
    val orderId = refreshOpenOrders(io.waybill.ffi.LatLon(31.2304, 121.4737), 60_000).first().id
    acceptOrder(orderId)
    pickUp(orderId)
    return orderId
}

/**
 * The tests' secure store: files beside the data directory (`<dataDir>.keys`), so a client
 * reopened on the same directory finds its data key. Apps use the Android Keystore-backed
 * store of `waybill-android` (or the iOS Keychain) instead.
 */
class DirSecretStore(private val dir: Path) : io.waybill.ffi.SecretStore {
    override fun load(name: String): ByteArray? =
        dir.resolve(name).toFile().takeIf { it.exists() }?.readBytes()

    override fun save(name: String, value: ByteArray) {
        dir.toFile().mkdirs()
        dir.resolve(name).toFile().writeBytes(value)
    }

    override fun delete(name: String) {
        dir.resolve(name).toFile().delete()
    }
}

/** The tests' secure store for [config]'s data directory. */
fun testSecrets(config: io.waybill.ffi.WaybillConfig) = DirSecretStore(Path.of(config.dataDir + ".keys"))
