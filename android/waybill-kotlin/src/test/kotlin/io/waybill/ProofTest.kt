package io.waybill

import io.waybill.ffi.LatLon
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofSource
import io.waybill.ffi.ProofStep
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillConfig
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

/** A delivery photo handed over JNA as a camera file: kept stripped, under its hash. */
class ProofTest {
    private val photo = Paths.get("..", "..", "tests", "data", "images", "canon-gps.jpg").toAbsolutePath()

    @Test
    fun `a delivery photo is taken from the camera's file, stripped and kept under its hash`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val config = WaybillConfig(
                dataDir = tmp.resolve("device").toString(),
                serverUrl = server.baseUrl,
                appId = "com.example.waybill.driver",
                appVersion = "0.1.0-test",
                role = Role.DRIVER,
            )
            WaybillClient.open(config).use { client ->
                client.acceptPolicy("first_run_dialog")
                client.signIn()
                val orderId = client.refreshOpenOrders(LatLon(31.2304, 121.4737), 60_000).first().id
                client.acceptOrder(orderId)
                client.pickUp(orderId)
                client.sync()
                val source = ProofSource.File(photo.toString())
                assertThrows<WaybillException.ConsentRequired> {
                    runBlocking { client.takeProof(orderId, ProofKind.DELIVERY, ProofStep.DELIVER, source) }
                }
                client.decide("proof_photos", allow = true, askedVia = "delivery_screen")
                client.reportPermission(Permission.CAMERA, PermissionState.GRANTED)

                val proof = client.takeProof(orderId, ProofKind.DELIVERY, ProofStep.DELIVER, source)
                val stored = tmp.resolve("device").resolve("proofs").resolve("${proof.sha256}.jpg").toFile().readBytes()
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
