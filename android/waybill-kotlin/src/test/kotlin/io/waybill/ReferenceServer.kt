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
