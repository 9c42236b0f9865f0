package io.waybill.android

import android.app.Activity
import android.content.Intent
import android.net.Uri
import android.provider.MediaStore
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofStep
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.io.File

/** One album photo through the system photo picker (or the document picker before it). */
@RunWith(WaybillTestRunner::class)
@Config(sdk = [24, 29, 34], application = HostApp::class)
class AlbumPickerTest {
    private val app get() = RuntimeEnvironment.getApplication() as HostApp

    @Test
    fun thePickerIsTheSystemOneWhereItExistsAndNeedsNoPermission() {
        val sdk = android.os.Build.VERSION.SDK_INT
        val intent = AlbumPicker(app).intent()
        assertEquals(if (sdk >= 33) MediaStore.ACTION_PICK_IMAGES else Intent.ACTION_GET_CONTENT, intent.action)
        assertEquals("image/*", intent.type)
        assertEquals(sdk >= 33, AlbumPicker.systemPickerAvailable())
    }

    @Test
    fun thePickedImageIsReadOnceCappedAndNothingIsTakenWhenNothingWasPicked() = runBlocking {
        val picker = AlbumPicker(app)
        val small = File(app.cacheDir, "picked.jpg").apply { writeBytes(byteArrayOf(1, 2, 3)) }
        assertArrayEquals(byteArrayOf(1, 2, 3), picker.read(Uri.fromFile(small)))
        val huge = File(app.cacheDir, "huge.jpg")
        java.io.RandomAccessFile(huge, "rw").use { it.setLength(AlbumPicker.MAX_BYTES + 1L) }
        assertThrows(WaybillException.InvalidProof::class.java) { picker.read(Uri.fromFile(huge)) }

        assertNull(picker.complete(app.waybill(), Activity.RESULT_CANCELED, null, "ord-1", ProofKind.DELIVERY, ProofStep.DELIVER))
        // Picked, but the policy is not even accepted: the core refuses, nothing is kept.
        assertThrows(WaybillException::class.java) {
            runBlocking {
                picker.complete(app.waybill(), Activity.RESULT_OK, Intent().setData(Uri.fromFile(small)),
                    "ord-1", ProofKind.DELIVERY, ProofStep.DELIVER)
            }
        }
        assertEquals(emptyList<Any>(), app.waybill().proofs("ord-1"))
    }
}
