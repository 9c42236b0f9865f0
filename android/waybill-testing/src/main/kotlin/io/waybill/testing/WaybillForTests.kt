package io.waybill.testing

import io.waybill.WaybillClient
import io.waybill.ffi.Role
import io.waybill.ffi.SecretStore
import io.waybill.ffi.WaybillConfig
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap

/** A secret store in memory: the data key lives as long as the test. */
class InMemorySecretStore : SecretStore {
    private val values = ConcurrentHashMap<String, ByteArray>()
    override fun load(name: String): ByteArray? = values[name]?.copyOf()
    override fun save(name: String, value: ByteArray) { values[name] = value.copyOf() }
    override fun delete(name: String) { values.remove(name) }
}

/**
 * Opens the real core for an app's JVM unit test: a fresh temporary data directory, an
 * in-memory key, and a server that is not there unless [serverUrl] names one (every
 * network call is then `Offline`, as on a phone without a network; local calls, the
 * offline queue, the privacy gate and the flows behave as on a device). Close it with
 * `use {}`; the directory is deleted with the client.
 */
object WaybillForTests {
    /** A client for [role] on a new temporary directory. */
    suspend fun open(
        role: Role = Role.DRIVER,
        serverUrl: String = "http://127.0.0.1:9",
        dataDir: Path = Files.createTempDirectory("waybill-test"),
    ): WaybillClient {
        val appId = if (role == Role.DRIVER) "com.example.driver" else "com.example.shipper"
        val client = WaybillClient.open(WaybillConfig(dataDir.toString(), serverUrl, appId, "test", role), InMemorySecretStore())
        dataDir.toFile().deleteOnExit()
        return client
    }
}
