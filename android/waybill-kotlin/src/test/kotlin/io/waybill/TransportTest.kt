package io.waybill

import io.waybill.ffi.LatLon
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import okhttp3.OkHttpClient
import okhttp3.tls.HandshakeCertificates
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Collections

/**
 * The library sends through the app's OkHttp (ADR 0014), so what the app configures there
 * applies to Waybill's traffic: its interceptors see every request, the JVM's proxy
 * settings route it, and a TLS-inspecting proxy's CA (a fleet phone's MDM) is accepted
 * exactly when the app's trust includes it.
 */
class TransportTest {
    private fun config(tmp: Path, name: String, url: String) = WaybillConfig(
        dataDir = tmp.resolve(name).toString(),
        serverUrl = url,
        appId = "com.example.waybill.driver",
        appVersion = "0.1.0-test",
        role = Role.DRIVER,
    )

    @Test
    fun `the app's interceptors see every request the core makes`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val seen = Collections.synchronizedList(mutableListOf<String>())
            val appClient = OkHttpClient.Builder()
                .addInterceptor { chain ->
                    val request = chain.request()
                    seen += "${request.method} ${request.url.encodedPath} ${request.header("User-Agent")}"
                    chain.proceed(request)
                }
                .build()
            val config = config(tmp, "device", server.baseUrl)
            WaybillClient.open(config, testSecrets(config), OkHttpTransport(appClient)).use { client ->
                val orderId = client.carryNearestOrder(server)
                client.sync()
                assertEquals(io.waybill.ffi.OrderStatus.PICKED_UP, client.order(orderId).status)
            }
            val paths = seen.map { it.split(" ").take(2).joinToString(" ") }
            for (expected in listOf("POST /v1/sign-in/codes", "GET /v1/orders/open", "POST /v1/actions", "GET /v1/changes")) {
                assertTrue(expected in paths, "$expected in $paths")
            }
            assertTrue(seen.all { it.split(" ")[2].startsWith("waybill/") }, "the core's User-Agent: $seen")
        }
    }

    @Test
    fun `through the system proxy a TLS-inspecting CA is accepted only when the app trusts it`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            InterceptingProxy(server.address, "api.waybill.test").use { proxy ->
                // The JVM's proxy settings (what an Android device's Wi-Fi or MDM proxy is to
                // its apps): the client below configures no proxy of its own.
                val previous = listOf("https.proxyHost", "https.proxyPort").associateWith { System.getProperty(it) }
                System.setProperty("https.proxyHost", "127.0.0.1")
                System.setProperty("https.proxyPort", proxy.port.toString())
                try {
                    val url = "https://api.waybill.test"
                    val untrusting = config(tmp, "untrusting", url)
                    WaybillClient.open(untrusting, testSecrets(untrusting), OkHttpTransport()).use { client ->
                        client.acceptPolicy("first_run_dialog")
                        client.declareAge(30)
                        assertThrows<WaybillException.Offline> { client.requestSignInCode(freshPhone()) }
                    }
                    assertTrue(proxy.refusedHandshakes >= 1, "the unknown CA was refused in the handshake")

                    val trust = HandshakeCertificates.Builder()
                        .addTrustedCertificate(proxy.ca.certificate)
                        .addPlatformTrustedCertificates()
                        .build()
                    val appClient = OkHttpClient.Builder()
                        .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager)
                        .build()
                    val trusting = config(tmp, "trusting", url)
                    WaybillClient.open(trusting, testSecrets(trusting), OkHttpTransport(appClient)).use { client ->
                        client.acceptPolicy("first_run_dialog")
                        client.signInByCode(server)
                        val offers = client.refreshOpenOrders(LatLon(31.2304, 121.4737), 60_000)
                        assertTrue(offers.isNotEmpty())
                        client.acceptOrder(offers.first().id)
                        assertEquals(0u, client.sync().remaining)
                    }
                } finally {
                    previous.forEach { (k, v) -> if (v == null) System.clearProperty(k) else System.setProperty(k, v) }
                }
                assertTrue(proxy.connects.isNotEmpty() && proxy.connects.all { it == "api.waybill.test:443" }, "${proxy.connects}")
            }
        }
    }
}
