package io.waybill

import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofSource
import io.waybill.ffi.ProofStep
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.nio.file.Paths
import java.security.MessageDigest
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.takeWhile
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withTimeout
import io.waybill.ffi.Proof

/** A delivery photo handed over JNA as a camera file: kept stripped, under its hash. */
class ProofTest {
    private val photo = Paths.get("..", "..", "tests", "data", "images", "canon-gps.jpg").toAbsolutePath()

    /** A structurally valid PNG of about [size] bytes (one IDAT chunk of noise). */
    private fun bigPng(size: Int): ByteArray = pngWith(ByteArray(size).also { java.util.Random(7).nextBytes(it) })

    @Test
    fun `a proof goes pending, uploading with progress, then done`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            WaybillClient.open(driverConfig(tmp, server), testSecrets(driverConfig(tmp, server))).use { client ->
                val orderId = client.carryNearestOrder(server)
                client.decide("proof_photos", allow = true, askedVia = "delivery_screen")
                client.reportPermission(Permission.CAMERA, PermissionState.GRANTED)
                client.sync()

                val proof = client.takeProof(orderId, ProofKind.DELIVERY, ProofStep.DELIVER, ProofSource.Bytes(bigPng(8 shl 20)))
                assertEquals(0uL, proof.uploadedBytes, "pending")
                val seen = async(Dispatchers.Default) {
                    client.proofsFlow(orderId).takeWhile { it.single().uploadedAt == null }.toList()
                }
                client.proofsFlow(orderId).first() // the collector is running
                assertEquals(1u, client.sync().proofsUploaded)
                val states = withTimeout(30_000) { seen.await() }.map { it.single() }
                val progress = states.map { it.uploadedBytes }.filter { it > 0uL }
                assertTrue(progress.any { it < proof.bytes } && progress.all { it <= proof.bytes }, "uploading: $progress of ${proof.bytes}")
                assertEquals(progress.sorted(), progress, "progress only grows")
                val done: Proof = client.proofs(orderId).single()
                assertEquals(proof.bytes, done.uploadedBytes)
                assertTrue(done.uploadedAt != null, "done")
            }
        }
    }

    @Test
    fun `a delivery photo is taken from the camera's file, stripped and kept under its hash`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            WaybillClient.open(driverConfig(tmp, server), testSecrets(driverConfig(tmp, server))).use { client ->
                val orderId = client.carryNearestOrder(server)
                client.sync()
                val source = ProofSource.File(photo.toString())
                assertThrows<WaybillException.ConsentRequired> {
                    runBlocking { client.takeProof(orderId, ProofKind.DELIVERY, ProofStep.DELIVER, source) }
                }
                client.decide("proof_photos", allow = true, askedVia = "delivery_screen")
                client.reportPermission(Permission.CAMERA, PermissionState.GRANTED)

                val proof = client.takeProof(orderId, ProofKind.DELIVERY, ProofStep.DELIVER, source)
                val onDisk = tmp.resolve("device").resolve("proofs").resolve("${proof.sha256}.jpg").toFile().readBytes()
                val stored = client.proofImage(proof.sha256)
                assertFalse(onDisk.toList().windowed(64, 64).contains(stored.takeLast(64)), "the file is sealed at rest")
                val hex = MessageDigest.getInstance("SHA-256").digest(stored).joinToString("") { "%02x".format(it) }
                assertEquals(hex, proof.sha256)
                assertTrue(stored.size < photo.toFile().length(), "metadata dropped")
                assertFalse(String(stored, Charsets.ISO_8859_1).contains("123456789012"), "the camera serial is gone")
                assertEquals(listOf(proof), client.proofs(orderId))
                assertEquals(0uL, proof.uploadedBytes)

                assertThrows<WaybillException.InvalidProof> {
                    runBlocking { client.takeProof(orderId, ProofKind.DAMAGE, ProofStep.REPORT_EXCEPTION, ProofSource.Bytes(ByteArray(500))) }
                }
            }
        }
    }
}
