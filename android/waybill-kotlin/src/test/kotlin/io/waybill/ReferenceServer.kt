package io.waybill

import java.io.BufferedReader
import java.io.InputStreamReader
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The real `waybill-server` binary as a child process on a loopback port. */
class ReferenceServer private constructor(private val process: Process, val baseUrl: String) : AutoCloseable {
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
            return ReferenceServer(process, firstLine.trim())
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
}

/** A driver app's configuration on [tmp]/device talking to [server]. */
fun driverConfig(tmp: Path, server: ReferenceServer) = io.waybill.ffi.WaybillConfig(
    dataDir = tmp.resolve("device").toString(),
    serverUrl = server.baseUrl,
    appId = "com.example.waybill.driver",
    appVersion = "0.1.0-test",
    role = io.waybill.ffi.Role.DRIVER,
)

/** The driver accepts the policy, signs in, takes the nearest offer near Shanghai and loads it; returns its id. */
suspend fun WaybillClient.carryNearestOrder(): String {
    acceptPolicy("first_run_dialog")
    signIn()
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
