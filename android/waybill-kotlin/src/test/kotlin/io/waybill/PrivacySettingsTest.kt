package io.waybill

import io.waybill.ffi.DecisionKind
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionAsk
import io.waybill.ffi.PermissionState
import io.waybill.ffi.PolicyStatus
import io.waybill.ffi.PurposeState
import io.waybill.ffi.Role
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import io.waybill.ffi.DataAction
import io.waybill.ffi.RequestStatus
import io.waybill.ffi.RightKind
import io.waybill.ffi.SettingsView
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** The privacy settings screen and consent receipts, from Kotlin through JNA. */
class PrivacySettingsTest {
    private fun config(dir: Path) = WaybillConfig(
        dataDir = dir.toString(),
        serverUrl = "http://127.0.0.1:9",
        appId = "com.example.waybill.driver",
        appVersion = "0.1.0-test",
        role = Role.DRIVER,
    )

    @Test
    fun `nothing is sent before the policy is accepted`(@TempDir tmp: Path): Unit = runBlocking {
        WaybillClient.open(config(tmp), testSecrets(config(tmp))).use { client ->
            assertEquals(PolicyStatus.NotAccepted, client.policyStatus())
            val error = assertThrows<WaybillException.ConsentRequired> { runBlocking { client.requestSignInCode("+8613800138000") } }
            assertEquals("account", error.purpose)
        }
    }

    @Test
    fun `settings screen round trip - toggle an optional purpose and see the change`(@TempDir tmp: Path): Unit = runBlocking {
        WaybillClient.open(config(tmp), testSecrets(config(tmp))).use { client ->
            client.acceptPolicy("first_run_dialog")
            val before = client.privacySettings.first()
            assertTrue(before.policyStatus is PolicyStatus.Accepted)
            val photos = before.purposes.single { it.id == "proof_photos" }
            assertTrue(!photos.core && photos.switchable)
            assertEquals(PurposeState.NeedsConsent, photos.state)
            // Core purposes come first; trajectory is flagged sensitive (separate consent).
            assertTrue(before.purposes.first().core)
            assertTrue(before.purposes.single { it.id == "trajectory_upload" }.sensitive)
            assertTrue(before.sdks.any { it.name.contains("AMap") })

            // The in-app choice comes before any OS prompt.
            assertEquals(PermissionAsk.DecideInApp("proof_photos"), client.permissionAsk("proof_photos", userInitiated = true))
            client.decide("proof_photos", allow = true, askedVia = "settings_switch")
            val allowed = client.privacySettings.first().purposes.single { it.id == "proof_photos" }
            assertEquals(PurposeState.NeedsPermission(Permission.CAMERA), allowed.state)

            val ask = client.permissionAsk("proof_photos", userInitiated = true)
            assertTrue(ask is PermissionAsk.Ask && ask.rationale.isNotBlank(), "$ask")
            client.reportPermission(Permission.CAMERA, PermissionState.GRANTED)
            assertEquals(PurposeState.Allowed, client.privacySettings.first().purposes.single { it.id == "proof_photos" }.state)

            client.decide("proof_photos", allow = false, askedVia = "settings_switch")
            assertEquals(PurposeState.Withdrawn, client.purposeState("proof_photos"))
        }
    }

    @Test
    fun `a consent decision returns a chained receipt`(@TempDir tmp: Path): Unit = runBlocking {
        WaybillClient.open(config(tmp), testSecrets(config(tmp))).use { client ->
            val accepted = client.acceptPolicy("first_run_dialog")
            assertEquals(DecisionKind.POLICY_ACCEPTED, accepted.first().kind)
            val receipt = client.decide("trajectory_upload", allow = true, askedVia = "separate_consent_dialog")
            assertEquals(DecisionKind.GRANTED, receipt.kind)
            assertEquals("trajectory_upload", receipt.purpose)
            assertEquals(64, receipt.hash.length)
            assertEquals(accepted.last().hash, receipt.prevHash)
            assertEquals(accepted.size + 1, client.verifyConsentLedger())
            assertEquals(receipt, client.privacySettings.first().receipts.first(), "newest first")

            val bad = assertThrows<WaybillException.InvalidManifest> {
                runBlocking { client.installManifest("""{"schema": 1, "app": "driver"}""") }
            }
            assertTrue(bad.reason.isNotBlank())
        }
    }
}

/** Personal data and the user's rights over it, from Kotlin against the reference server. */
class PersonalDataTest {
    private val shanghai = io.waybill.ffi.LatLon(lat = 31.2304, lon = 121.4737)

    @Test
    fun `the settings flow follows changes the core makes itself, and rights requests carry a deadline`(@TempDir tmp: Path): Unit = runBlocking {
        ReferenceServer.start(tmp.resolve("server.sqlite3")).use { server ->
            val config = WaybillConfig(
                dataDir = tmp.resolve("device").toString(),
                serverUrl = server.baseUrl,
                appId = "com.example.waybill.driver",
                appVersion = "0.1.0-test",
                role = Role.DRIVER,
            )
            WaybillClient.open(config, testSecrets(config)).use { client ->
                client.acceptPolicy("first_run_dialog")
                val phone = freshPhone()
                client.signInByCode(server, phone)
                val orderId = client.refreshOpenOrders(shanghai, 60_000).first().id
                client.acceptOrder(orderId)

                // The sync is no privacy call of the facade: the flow re-emits because the
                // core's listener says the data held changed (a consignee contact arrived).
                fun holdsContact(v: SettingsView) = v.dataHeld.any { it.category == "consignee_contact" && it.items == 1u }
                val views = Channel<SettingsView>(Channel.UNLIMITED)
                val collector = launch { client.privacySettings.collect { views.send(it) } }
                assertTrue(!holdsContact(views.receive()), "collecting before the sync")
                client.sync()
                val view = withTimeout(10_000) {
                    var v = views.receive()
                    while (!holdsContact(v)) v = views.receive()
                    v
                }
                collector.cancel()
                assertTrue(view.transparency.any { it.action == DataAction.RECEIVED }, "${view.transparency}")

                val full = client.orderContact(orderId, reveal = true)!!
                val masked = client.orderContact(orderId, reveal = false)!!
                assertTrue(!full.masked && masked.masked && masked.consigneePhone.contains("****"))

                val request = client.requestRight(RightKind.CORRECTION, "my plate number is wrong", server.stepUpCode(client, phone))
                assertEquals(RequestStatus.QUEUED, request.status)
                assertTrue(request.dueAt.isAfter(request.createdAt.plus(java.time.Duration.ofDays(14))))
                assertEquals(1u, client.sync().rightsRequestsSent)
                assertEquals(RequestStatus.RECEIVED, client.rightsRequests().single().status)
                assertTrue(client.exportPersonalData().contains("\"format\": \"waybill-export/1\""))

                client.cancelAccount(server.stepUpCode(client, phone))
                assertEquals(null, client.accountId())
                assertEquals(PolicyStatus.NotAccepted, client.policyStatus())
            }
        }
    }
}
