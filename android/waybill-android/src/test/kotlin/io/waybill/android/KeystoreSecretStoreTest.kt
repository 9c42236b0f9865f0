package io.waybill.android

import io.waybill.ffi.SecretStoreException
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.io.File
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * The Keystore-backed store on Robolectric's Android 14. Robolectric has no
 * `AndroidKeyStore` provider, so the wrapping key here is a software AES key; the
 * Keystore call itself (`androidKeystoreKey`) needs a device or emulator.
 */
@RunWith(WaybillTestRunner::class)
@Config(sdk = [34])
class KeystoreSecretStoreTest {
    private val app = RuntimeEnvironment.getApplication()
    private val key: SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    private val dir = File(app.noBackupFilesDir, "waybill-secrets")

    @Test
    fun secretsRoundTripSealedInNoBackupFilesAndAreDeleted() {
        val store = KeystoreSecretStore(dir) { key }
        assertNull(store.load("waybill.data_key.v1"))
        val secret = ByteArray(32) { (it * 37 + 11).toByte() }
        store.save("waybill.data_key.v1", secret)
        assertArrayEquals(secret, store.load("waybill.data_key.v1"))
        val onDisk = File(dir, "waybill.data_key.v1.sealed").readBytes()
        assertEquals(12 + 32 + 16, onDisk.size)
        assertFalse("the secret is not on disk in clear", onDisk.toList().windowed(8).contains(secret.take(8)))
        assertTrue(dir.path.startsWith(app.noBackupFilesDir.path))
        store.delete("waybill.data_key.v1")
        assertNull(store.load("waybill.data_key.v1"))
    }

    @Test
    fun anotherKeyOrAlteredFileIsATypedErrorNotACrash() {
        KeystoreSecretStore(dir) { key }.save("k", byteArrayOf(1, 2, 3))
        val other = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        assertThrows(SecretStoreException.Failed::class.java) { KeystoreSecretStore(dir) { other }.load("k") }
        val file = File(dir, "k.sealed")
        file.writeBytes(file.readBytes().also { it[it.size - 1] = (it[it.size - 1] + 1).toByte() })
        assertThrows(SecretStoreException.Failed::class.java) { KeystoreSecretStore(dir) { key }.load("k") }
        assertThrows(SecretStoreException.Failed::class.java) { KeystoreSecretStore(dir) { key }.load("../escape") }
    }

    @Test
    fun theCoreOpensWithItAndReopensWithTheSameKey() {
        val data = File(app.filesDir, "waybill").path
        val config = io.waybill.ffi.WaybillConfig(data, "http://127.0.0.1:9", "com.example.driver", "1.0", io.waybill.ffi.Role.DRIVER)
        io.waybill.ffi.Waybill.open(config, KeystoreSecretStore(dir) { key }, io.waybill.OkHttpTransport()).use { it.acceptPolicy("first_run_dialog") }
        io.waybill.ffi.Waybill.open(config, KeystoreSecretStore(dir) { key }, io.waybill.OkHttpTransport()).use {
            assertTrue(it.policyStatus() is io.waybill.ffi.PolicyStatus.Accepted)
        }
        assertTrue(File(dir, "waybill.data_key.v1.sealed").exists())
    }
}
