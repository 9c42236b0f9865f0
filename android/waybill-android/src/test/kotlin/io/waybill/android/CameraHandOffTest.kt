package io.waybill.android

import android.app.Activity
import android.content.Intent
import android.content.pm.ProviderInfo
import android.net.Uri
import android.provider.MediaStore
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofStep
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.annotation.Config

/** The camera hand-off on Robolectric's Android 14 with the real core behind it. */
@RunWith(WaybillTestRunner::class)
@Config(sdk = [24, 29, 34], application = HostApp::class)
class CameraHandOffTest {
    private val authority = "com.example.driver.waybill.capture"
    private val provider = Robolectric.buildContentProvider(CaptureProvider::class.java)
        .create(ProviderInfo().apply { authority = this@CameraHandOffTest.authority }).get()
    private val app get() = provider.context!!.applicationContext as HostApp

    @Test
    fun theCameraGetsAWritablePrivateFileAndNothingElse() {
        val capture = CameraHandOff(app, authority).prepare()
        assertEquals(MediaStore.ACTION_IMAGE_CAPTURE, capture.intent.action)
        @Suppress("DEPRECATION") // the typed overload is API 33; this runs at 24 too
        val uri = capture.intent.getParcelableExtra<Uri>(MediaStore.EXTRA_OUTPUT)!!
        assertEquals(authority, uri.authority)
        assertTrue(capture.intent.flags and Intent.FLAG_GRANT_WRITE_URI_PERMISSION != 0)
        provider.openFile(uri, "w").use { fd ->
            java.io.FileOutputStream(fd.fileDescriptor).write(byteArrayOf(1, 2, 3))
        }
        assertEquals(3L, capture.file.length())
        assertThrows(SecurityException::class.java) {
            provider.openFile(Uri.parse("content://$authority/..%2Fshared_prefs%2Fx.xml"), "r")
        }
        assertThrows(SecurityException::class.java) { provider.openFile(Uri.parse("content://$authority/nope.jpg"), "w") }
    }

    @Test
    fun theCamerasOriginalIsDeletedWhetherCancelledOrRefusedByTheCore() = runBlocking {
        val handOff = CameraHandOff(app, authority)
        val cancelled = handOff.prepare()
        assertNull(handOff.complete(app.waybill(), cancelled, Activity.RESULT_CANCELED, "ord-1", ProofKind.DELIVERY, ProofStep.DELIVER))
        assertFalse(cancelled.file.exists())

        // A photo with the policy not even accepted: the core refuses, the file still goes.
        val taken = handOff.prepare()
        taken.file.writeBytes(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte()) + ByteArray(100))
        assertThrows(WaybillException::class.java) {
            runBlocking { handOff.complete(app.waybill(), taken, Activity.RESULT_OK, "ord-1", ProofKind.DELIVERY, ProofStep.DELIVER) }
        }
        assertFalse(taken.file.exists())
        assertTrue(CameraHandOff.folder(app).listFiles()!!.isEmpty())
    }
}
