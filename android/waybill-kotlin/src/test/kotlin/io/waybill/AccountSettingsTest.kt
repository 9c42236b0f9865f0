package io.waybill

import io.waybill.ffi.AccountState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** The account section of the settings screen, against the real library and server. */
class AccountSettingsTest {
    @Test
    fun `the settings model lists both phones, signs the other out, and sends a step-up code`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val phone = freshPhone()
            val firstConfig = driverConfig(tmp.resolve("first"), server)
            val secondConfig = driverConfig(tmp.resolve("second"), server)
            WaybillClient.open(firstConfig, testSecrets(firstConfig)).use { first ->
                WaybillClient.open(secondConfig, testSecrets(secondConfig)).use { second ->
                    for (c in listOf(first, second)) {
                        c.acceptPolicy("first_run_dialog")
                        c.signInByCode(server, phone)
                    }
                    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
                    try {
                        val settings = AccountSettings(first, scope)
                        val loaded = withTimeout(10_000) { settings.state.first { it.devices.size == 2 && !it.busy } }
                        assertTrue(loaded.account is AccountState.SignedIn, "${loaded.account}")
                        assertEquals(1, loaded.devices.count { it.current })
                        assertEquals(null, loaded.realName, "the driver's policy offers no real-name check")

                        val other = loaded.devices.single { !it.current }
                        settings.signOutDevice(other.id).join()
                        assertEquals(listOf(true), settings.state.value.devices.map { it.current })
                        assertEquals(null, settings.state.value.error)

                        settings.requestStepUpCode().join()
                        val sent = settings.state.value.stepUpSentTo
                        assertTrue(sent != null && sent.contains("*") && !sent.contains(phone.drop(4)), "$sent")
                        assertEquals(6, server.latestCode(phone, "step_up").length)

                        // An error lands in the state, never in the collector: a second code within 30 s.
                        settings.requestStepUpCode().join()
                        assertTrue(settings.state.value.error is io.waybill.ffi.WaybillException.RateLimited, "${settings.state.value.error}")

                        settings.signOut().join()
                        withTimeout(10_000) { settings.state.first { it.account == AccountState.Guest } }
                    } finally {
                        scope.cancel()
                    }
                }
            }
        }
    }
}
