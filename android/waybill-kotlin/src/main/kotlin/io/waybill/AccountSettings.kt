package io.waybill

import io.waybill.ffi.AccountState
import io.waybill.ffi.DeviceSession
import io.waybill.ffi.RealNameState
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the account part of the settings screen shows. */
data class AccountSettingsState(
    /** Guest, signed in, signed out, suspended or closed. */
    val account: AccountState = AccountState.Guest,
    /** The account's devices, this one marked `current` (empty until loaded or when signed out). */
    val devices: List<DeviceSession> = emptyList(),
    /** The real-name check, in apps whose policy offers one (the shipper's); else null. */
    val realName: RealNameState? = null,
    /** Where the last step-up code went (masked), to show "code sent to …". */
    val stepUpSentTo: String? = null,
    /** An action is running. */
    val busy: Boolean = false,
    /** The last action's typed failure, for the UI to explain (rate limit, offline…). */
    val error: WaybillException? = null,
)

/**
 * The account section of the settings screen as a view-model any UI can collect: the
 * account's standing, its devices, the real-name state, and the actions (sign out another
 * device, this one or every one; ask a step-up code for a rights request). It has no
 * AndroidX dependency: wrap it in the app's `ViewModel` and pass `viewModelScope`. Failures
 * land in [AccountSettingsState.error], never in the collector.
 */
class AccountSettings(private val client: WaybillClient, private val scope: CoroutineScope) {
    private val mutable = MutableStateFlow(AccountSettingsState())

    /** The state to render; re-emitted on every change. */
    val state: StateFlow<AccountSettingsState> = mutable.asStateFlow()

    init {
        scope.launch {
            client.accountStates.collect { account ->
                mutable.update { it.copy(account = account) }
                if (account is AccountState.SignedIn) refresh() else mutable.update { it.copy(devices = emptyList()) }
            }
        }
    }

    /** Reloads the devices (network) and the real-name state. */
    fun refresh(): Job = act {
        val devices = client.accountDevices().devices
        val offersRealName = client.privacySettings.first().purposes.any { it.id == "real_name_verification" }
        val realName = if (offersRealName) client.realNameState() else null
        mutable.update { it.copy(devices = devices, realName = realName) }
    }

    /** Signs another device of the account out (a lost phone); the list is reloaded. */
    fun signOutDevice(deviceId: String): Job = act {
        client.signOutDevice(deviceId)
        mutable.update { s -> s.copy(devices = s.devices.filterNot { it.id == deviceId }) }
    }

    /** Signs this device (or every device) out; what this device holds is wiped. */
    fun signOut(everywhere: Boolean = false): Job = act { client.signOut(everywhere) }

    /** Sends a step-up code to the account's number (for export, deletion, correction, closing). */
    fun requestStepUpCode(): Job = act {
        val sent = client.requestStepUpCode()
        mutable.update { it.copy(stepUpSentTo = sent.phoneMasked) }
    }

    private fun act(block: suspend () -> Unit): Job = scope.launch {
        mutable.update { it.copy(busy = true, error = null) }
        try {
            block()
        } catch (e: WaybillException) {
            mutable.update { it.copy(error = e) }
        } finally {
            mutable.update { it.copy(busy = false) }
        }
    }
}
