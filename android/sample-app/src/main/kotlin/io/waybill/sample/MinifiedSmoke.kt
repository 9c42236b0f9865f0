package io.waybill.sample

import io.waybill.WaybillClient
import io.waybill.ffi.ChangeListener
import io.waybill.ffi.Role
import io.waybill.ffi.SecretStore
import io.waybill.ffi.Topic
import io.waybill.ffi.WaybillConfig
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import java.nio.file.Files

/**
 * Run by scripts/build-apk.sh on the R8-minified sample (JVM, desktop library): the
 * consumer rules must leave JNA and the bindings whole enough to open the core, call it,
 * and be called back (the secret store). Prints the policy status, exits non-zero on failure.
 */
object MinifiedSmoke {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking {
        val dir = Files.createTempDirectory("waybill-minified").toString()
        val secrets = object : SecretStore {
            private val values = mutableMapOf<String, ByteArray>()
            override fun load(name: String): ByteArray? = values[name]
            override fun save(name: String, value: ByteArray) { values[name] = value }
            override fun delete(name: String) { values.remove(name) }
        }
        WaybillClient.open(WaybillConfig(dir, "http://127.0.0.1:9", "io.waybill.sample", "1.0", Role.DRIVER), secrets).use { client ->
            client.acceptPolicy("minified_smoke")
            val status = client.policyStatus()
            println("${args.firstOrNull() ?: "minified facade"}: $status, ${client.privacySettings.first().purposes.size} purposes, ${client.listenerCount()} listener")
        }
        check(ChangeListener::class.java.name == "io.waybill.ffi.ChangeListener") { "bindings renamed" }
        check(Topic.values().isNotEmpty())
    }
}
