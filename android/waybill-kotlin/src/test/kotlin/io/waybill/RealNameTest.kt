package io.waybill

import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState
import io.waybill.ffi.ProofSource
import io.waybill.ffi.RealNameState
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO
import kotlin.random.Random

/** The shipper's optional real-name check from Kotlin, through the real library and server. */
class RealNameTest {
    private fun noisePng(seed: Int): ByteArray {
        val random = Random(seed)
        val image = BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB)
        for (x in 0 until 96) for (y in 0 until 64) image.setRGB(x, y, random.nextInt())
        return ByteArrayOutputStream().also { ImageIO.write(image, "png", it) }.toByteArray()
    }

    @Test
    fun `a real-name check is optional, sent once, and leaves no image on the device`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val config = driverConfig(tmp, server).copy(appId = "com.example.waybill.shipper", role = Role.SHIPPER)
            WaybillClient.open(config, testSecrets(config)).use { shipper ->
                shipper.acceptPolicy("first_run_dialog")
                shipper.signInByCode(server)
                val card = ProofSource.Bytes(noisePng(1))
                val face = ProofSource.Bytes(noisePng(2))
                assertThrows<WaybillException.ConsentRequired> { runBlocking { shipper.verifyRealName(card, face) } }
                assertEquals(RealNameState.Unverified, shipper.realNameState())

                shipper.decide("real_name_verification", allow = true, askedVia = "real_name_screen")
                shipper.reportPermission(Permission.CAMERA, PermissionState.GRANTED)
                val state = shipper.verifyRealName(card, face)
                assertTrue(state is RealNameState.Verified, "$state")
                val identity = Path.of(config.dataDir, "identity")
                assertTrue(!Files.exists(identity) || Files.list(identity).use { it.count() } == 0L)

                shipper.deleteRealName()
                assertEquals(RealNameState.Unverified, shipper.realNameState())
            }
        }
    }
}
