package io.waybill.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import io.waybill.ffi.SecretStore
import io.waybill.ffi.SecretStoreException
import java.io.File
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The core's secure store on Android: each secret (the core's data key) is a small file in
 * `noBackupFilesDir`, sealed with AES-256-GCM under a key that lives in the Android
 * Keystore and never leaves it (hardware-backed where the device has it). `noBackupFilesDir`
 * keeps the sealed file out of cloud backups, and the Keystore key cannot be restored on
 * another device anyway.
 *
 * [wrappingKey] is the Keystore key in an app; tests pass a software key because
 * Robolectric has no `AndroidKeyStore` provider.
 */
class KeystoreSecretStore(
    private val dir: File,
    private val wrappingKey: () -> SecretKey,
) : SecretStore {
    override fun load(name: String): ByteArray? = guarded {
        val file = fileOf(name)
        if (!file.exists()) return@guarded null
        val sealed = file.readBytes()
        if (sealed.size <= IV_BYTES) throw IllegalStateException("sealed secret $name is truncated")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES))
        cipher.updateAAD(name.toByteArray())
        cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES)
    }

    override fun save(name: String, value: ByteArray) = guarded {
        // The Keystore picks the IV itself (callers may not choose one for its keys).
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        cipher.updateAAD(name.toByteArray())
        val sealed = cipher.iv + cipher.doFinal(value)
        dir.mkdirs()
        val tmp = File(dir, ".$name.tmp")
        tmp.outputStream().use { out ->
            out.write(sealed)
            out.fd.sync()
        }
        if (!tmp.renameTo(fileOf(name))) throw IllegalStateException("cannot replace the secret $name")
    }

    override fun delete(name: String) = guarded {
        val file = fileOf(name)
        if (file.exists() && !file.delete()) throw IllegalStateException("cannot delete the secret $name")
    }

    private fun fileOf(name: String): File {
        require(name.matches(Regex("[A-Za-z0-9._-]{1,64}"))) { "secret names are plain file names" }
        return File(dir, "$name.sealed")
    }

    /** Platform failures reach the core as its typed error, never as a crash. */
    private inline fun <T> guarded(block: () -> T): T =
        try {
            block()
        } catch (e: SecretStoreException) {
            throw e
        } catch (e: Exception) {
            throw SecretStoreException.Failed("${e::class.java.simpleName}: ${e.message}")
        }

    companion object {
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val IV_BYTES = 12
        private const val TAG_BITS = 128

        /** Alias of the wrapping key in the Android Keystore. */
        const val KEY_ALIAS = "io.waybill.secrets.v1"

        /** The store an app uses: files in `noBackupFilesDir`, the key in the Android Keystore. */
        fun forApp(context: Context): KeystoreSecretStore =
            KeystoreSecretStore(File(context.noBackupFilesDir, "waybill-secrets")) { androidKeystoreKey(KEY_ALIAS) }

        /** The AES-256-GCM key under [alias] in the Android Keystore, created on first use. */
        fun androidKeystoreKey(alias: String): SecretKey {
            val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
            (keyStore.getKey(alias, null) as? SecretKey)?.let { return it }
            val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
            generator.init(
                KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                    .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                    .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                    .setKeySize(256)
                    .build(),
            )
            return generator.generateKey()
        }
    }
}
