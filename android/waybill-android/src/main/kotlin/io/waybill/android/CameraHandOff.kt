package io.waybill.android

import android.app.Activity
import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.content.Intent
import android.database.Cursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import android.provider.MediaStore
import io.waybill.WaybillClient
import io.waybill.ffi.Proof
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofSource
import io.waybill.ffi.ProofStep
import java.io.File
import java.util.UUID

/**
 * Hands the camera app a file to write a proof photo into, then gives it to the core's
 * intake and deletes it. The camera's original carries EXIF (GPS, device serial): the core
 * keeps only the stripped, sealed copy, and this class makes sure the original does not
 * stay in the cache whatever happens (cancelled, refused, failed).
 *
 * The app declares [CaptureProvider] in its manifest under [authority] (exported false,
 * grantUriPermissions true); AndroidX's FileProvider is not needed.
 */
class CameraHandOff(private val context: Context, private val authority: String) {
    /** One photo being taken: the intent to start and the file the camera writes. */
    class Capture(val intent: Intent, val file: File)

    /** The `ACTION_IMAGE_CAPTURE` intent with a private output file the camera may write. */
    fun prepare(): Capture {
        val file = File(folder(context), "${UUID.randomUUID()}.jpg")
        file.createNewFile()
        val uri = Uri.Builder().scheme("content").authority(authority).appendPath(file.name).build()
        val intent = Intent(MediaStore.ACTION_IMAGE_CAPTURE)
            .putExtra(MediaStore.EXTRA_OUTPUT, uri)
            .addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION or Intent.FLAG_GRANT_READ_URI_PERMISSION)
        return Capture(intent, file)
    }

    /**
     * After `onActivityResult`: the proof the core took from the photo, or null if the
     * user cancelled. Core refusals (no consent, no job, not an image) are thrown as
     * `WaybillException`s. The camera's file is deleted in every case.
     */
    suspend fun complete(
        client: WaybillClient,
        capture: Capture,
        resultCode: Int,
        orderId: String,
        kind: ProofKind,
        step: ProofStep,
    ): Proof? = try {
        if (resultCode != Activity.RESULT_OK || capture.file.length() == 0L) {
            null
        } else {
            client.takeProof(orderId, kind, step, ProofSource.File(capture.file.path))
        }
    } finally {
        capture.file.delete()
    }

    companion object {
        /** The folder of photos being taken (cache: the system may clear it, nothing there is kept). */
        fun folder(context: Context): File = File(context.cacheDir, "waybill-camera").apply { mkdirs() }
    }
}

/** Serves the files of [CameraHandOff.folder] to the camera app for writing, nothing else. */
class CaptureProvider : ContentProvider() {
    override fun onCreate(): Boolean = true

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor {
        val dir = CameraHandOff.folder(context!!)
        val name = uri.lastPathSegment ?: throw SecurityException("no file in $uri")
        val file = File(dir, name)
        if (file.parentFile != dir || !file.exists()) throw SecurityException("not a capture file: $uri")
        return ParcelFileDescriptor.open(file, ParcelFileDescriptor.parseMode(mode))
    }

    override fun getType(uri: Uri): String = "image/jpeg"
    override fun query(uri: Uri, p: Array<String>?, s: String?, a: Array<String>?, o: String?): Cursor? = null
    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, s: String?, a: Array<String>?): Int = 0
    override fun update(uri: Uri, v: ContentValues?, s: String?, a: Array<String>?): Int = 0
}
