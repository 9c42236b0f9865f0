package io.waybill

import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import java.net.ServerSocket
import java.util.concurrent.TimeUnit

/**
 * Toxiproxy (Shopify's TCP fault proxy, the binary `make interop-deps` builds) with one
 * proxy, `waybill`, in front of [upstream]; toxics added and removed over its HTTP API
 * while the client works. The Rust suite drives the same binary (`tests/src/toxiproxy.rs`).
 */
class Toxiproxy(upstream: String) : AutoCloseable {
    private val api: String
    private val process: Process
    private val http = OkHttpClient()
    private val json = "application/json".toMediaType()

    /** Where clients connect. */
    val baseUrl: String

    init {
        val bin = System.getProperty("waybill.toxiproxy.bin")
            ?: error("system property waybill.toxiproxy.bin is not set (run through Maven)")
        check(java.io.File(bin).exists()) { "toxiproxy is not installed: run `make interop-deps`" }
        val port = ServerSocket(0).use { it.localPort }
        process = ProcessBuilder(bin, "-host", "127.0.0.1", "-port", port.toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        api = "http://127.0.0.1:$port"
        repeat(100) {
            val up = runCatching { http.newCall(Request.Builder().url("$api/version").build()).execute().use { it.isSuccessful } }
            if (up.getOrDefault(false)) return@repeat
            Thread.sleep(50)
        }
        val created = call(
            "POST", "/proxies",
            """{"name":"waybill","listen":"127.0.0.1:0","upstream":"$upstream","enabled":true}""",
        )
        val listen = Regex("\"listen\":\"([^\"]+)\"").find(created)!!.groupValues[1]
        baseUrl = "http://$listen"
    }

    private fun call(method: String, path: String, body: String? = null): String {
        val request = Request.Builder().url(api + path).method(method, body?.toRequestBody(json)).build()
        return http.newCall(request).execute().use { reply ->
            check(reply.isSuccessful) { "toxiproxy $method $path: HTTP ${reply.code}" }
            reply.body!!.string()
        }
    }

    /** Adds toxic [name] of [type] on [stream] (`upstream`: client to server). */
    fun add(name: String, type: String, stream: String, attributes: String) {
        call(
            "POST", "/proxies/waybill/toxics",
            """{"name":"$name","type":"$type","stream":"$stream","toxicity":1.0,"attributes":$attributes}""",
        )
    }

    /** Removes toxic [name]. */
    fun remove(name: String) {
        call("DELETE", "/proxies/waybill/toxics/$name")
    }

    override fun close() {
        process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }
}
