package io.waybill

import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import java.io.InputStream
import java.io.OutputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.Collections
import javax.net.ssl.SSLSocket
import kotlin.concurrent.thread

/**
 * A TLS-inspecting proxy as fleet phones have one (MDM installs its CA): it answers
 * `CONNECT host:443`, terminates TLS with a certificate for `host` signed by its own CA
 * ([ca]), and forwards the decrypted bytes to [upstream] (the reference server, plain
 * HTTP on loopback). A client that does not trust [ca] refuses the handshake.
 */
class InterceptingProxy(private val upstream: String, host: String) : AutoCloseable {
    /** The proxy's own root, as an MDM would install it. */
    val ca: HeldCertificate = HeldCertificate.Builder().certificateAuthority(0).commonName("Fleet Inspection CA").build()
    private val serverCertificates = HandshakeCertificates.Builder()
        .heldCertificate(
            HeldCertificate.Builder().commonName(host).addSubjectAlternativeName(host).signedBy(ca).build(),
        )
        .build()
    private val listener = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    private val open = Collections.synchronizedList(mutableListOf<Socket>())

    /** The `CONNECT` targets asked for, in order. */
    val connects: MutableList<String> = Collections.synchronizedList(mutableListOf())

    /** Handshakes the client refused (it did not trust [ca]). */
    @Volatile var refusedHandshakes = 0

    val port: Int get() = listener.localPort

    init {
        thread(isDaemon = true, name = "intercepting-proxy") {
            while (!listener.isClosed) {
                val client = try { listener.accept() } catch (e: java.io.IOException) { break }
                open += client
                thread(isDaemon = true) { serve(client) }
            }
        }
    }

    private fun serve(client: Socket) {
        val target = readConnect(client.getInputStream()) ?: return client.close()
        connects += target
        client.getOutputStream().apply { write("HTTP/1.1 200 Connection established\r\n\r\n".toByteArray()); flush() }
        val tls = serverCertificates.sslSocketFactory()
            .createSocket(client, client.inetAddress.hostAddress, client.port, true) as SSLSocket
        tls.useClientMode = false
        try {
            tls.startHandshake()
        } catch (e: javax.net.ssl.SSLException) {
            refusedHandshakes++
            return client.close()
        }
        val (host, port) = upstream.split(":")
        val server = Socket(host, port.toInt())
        open += server
        thread(isDaemon = true) { pipe(server.getInputStream(), tls.outputStream, tls, server) }
        pipe(tls.inputStream, server.getOutputStream(), tls, server)
    }

    /** The `CONNECT` request's target, its header block consumed. */
    private fun readConnect(input: InputStream): String? {
        val head = StringBuilder()
        while (!head.endsWith("\r\n\r\n")) {
            val b = input.read()
            if (b < 0) return null
            head.append(b.toChar())
        }
        val first = head.lineSequence().first().split(" ")
        return if (first.size >= 2 && first[0] == "CONNECT") first[1] else null
    }

    private fun pipe(from: InputStream, to: OutputStream, vararg close: Socket) {
        try {
            val buffer = ByteArray(16 * 1024)
            while (true) {
                val n = from.read(buffer)
                if (n < 0) break
                to.write(buffer, 0, n)
                to.flush()
            }
        } catch (e: java.io.IOException) {
            // one side went away
        } finally {
            close.forEach { runCatching { it.close() } }
        }
    }

    override fun close() {
        listener.close()
        open.forEach { runCatching { it.close() } }
    }
}
