package io.waybill.android

import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Build
import android.os.ext.SdkExtensions
import android.provider.MediaStore
import io.waybill.WaybillClient
import io.waybill.ffi.Proof
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofSource
import io.waybill.ffi.ProofStep
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * One photo from the album as a proof (P-19), through the system photo picker: the person
 * picks one image and the app gets that one, with no storage permission and no view of
 * the rest of the library (Android 13+, and 11–12 with the picker's SDK extension);
 * elsewhere the document picker for `image/` types. The picked image is read once, at most
 * [MAX_BYTES], and handed to the core, which checks and strips it like a camera photo.
 */
class AlbumPicker(private val context: Context) {
    /** The intent to start for a result (`startActivityForResult`, or an ActivityResult launcher). */
    fun intent(): Intent =
        if (systemPickerAvailable()) {
            Intent(MediaStore.ACTION_PICK_IMAGES).setType("image/*")
        } else {
            Intent(Intent.ACTION_GET_CONTENT).setType("image/*").addCategory(Intent.CATEGORY_OPENABLE)
        }

    /**
     * After the result: the proof the core took from the picked image, or null if the person
     * picked nothing. Core refusals (no consent, no job, not an image) are thrown as
     * [WaybillException]s; an image over [MAX_BYTES] as `InvalidProof` before it is all read.
     */
    suspend fun complete(
        client: WaybillClient,
        resultCode: Int,
        data: Intent?,
        orderId: String,
        kind: ProofKind,
        step: ProofStep,
    ): Proof? {
        val uri = data?.data
        if (resultCode != android.app.Activity.RESULT_OK || uri == null) return null
        val bytes = withContext(Dispatchers.IO) { read(uri) }
        return client.takeProofFromAlbum(orderId, kind, step, ProofSource.Bytes(bytes))
    }

    /** The picked image's bytes, refused past [MAX_BYTES] without reading further. */
    internal fun read(uri: Uri): ByteArray {
        val stream = context.contentResolver.openInputStream(uri)
            ?: throw WaybillException.InvalidProof("the picked image cannot be opened")
        return stream.use { input ->
            val out = java.io.ByteArrayOutputStream()
            val buffer = ByteArray(64 * 1024)
            while (true) {
                val n = input.read(buffer)
                if (n < 0) break
                if (out.size() + n > MAX_BYTES) {
                    throw WaybillException.InvalidProof("the picked image is over $MAX_BYTES bytes")
                }
                out.write(buffer, 0, n)
            }
            out.toByteArray()
        }
    }

    companion object {
        /** The core's cap on an image proof (25 MiB). */
        const val MAX_BYTES = 25 * 1024 * 1024

        /** Whether the system photo picker exists here (13+, or 11–12 with SDK extension 2). */
        fun systemPickerAvailable(sdk: Int = Build.VERSION.SDK_INT): Boolean = when {
            sdk >= Build.VERSION_CODES.TIRAMISU -> true
            sdk >= Build.VERSION_CODES.R -> SdkExtensions.getExtensionVersion(Build.VERSION_CODES.R) >= 2
            else -> false
        }
    }
}
