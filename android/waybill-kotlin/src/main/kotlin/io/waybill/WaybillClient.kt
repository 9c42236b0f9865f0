package io.waybill

import io.waybill.ffi.AccountDevices
import io.waybill.ffi.AccountState
import io.waybill.ffi.BackgroundSync
import io.waybill.ffi.CodeSent
import io.waybill.ffi.SignedIn
import io.waybill.ffi.ChangeListener
import io.waybill.ffi.HistoryEntry
import io.waybill.ffi.Resolution
import io.waybill.ffi.Network
import io.waybill.ffi.DataEvent
import io.waybill.ffi.Capture
import io.waybill.ffi.Fix
import io.waybill.ffi.Proof
import io.waybill.ffi.ProofCheck
import io.waybill.ffi.ProofKind
import io.waybill.ffi.ProofRule
import io.waybill.ffi.ProofSource
import io.waybill.ffi.ProofStep
import io.waybill.ffi.RealNameState
import io.waybill.ffi.LatLon
import io.waybill.ffi.NewErrand
import io.waybill.ffi.OrderContact
import io.waybill.ffi.PendingAction
import io.waybill.ffi.RightKind
import io.waybill.ffi.RightsRequest
import io.waybill.ffi.Topic
import io.waybill.ffi.TrackingDiagnostics
import io.waybill.ffi.TrackingPlan
import io.waybill.ffi.Order
import io.waybill.ffi.OrderList
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionAsk
import io.waybill.ffi.PermissionState
import io.waybill.ffi.PolicyStatus
import io.waybill.ffi.PurposeState
import io.waybill.ffi.HttpTransport
import io.waybill.ffi.Receipt
import io.waybill.ffi.Rejection
import io.waybill.ffi.SecretStore
import io.waybill.ffi.SettingsView
import io.waybill.ffi.SyncReport
import io.waybill.ffi.Waybill
import io.waybill.ffi.WaybillConfig
import io.waybill.ffi.WaybillException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.mapNotNull
import kotlinx.coroutines.flow.takeWhile
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/**
 * Idiomatic Kotlin entry point to the Waybill core.
 *
 * Every call is a `suspend` function that is safe to call from the main thread: network
 * calls are Rust async functions (they never block a thread), and local database calls
 * run on [ioDispatcher]. Failures are [WaybillException] subclasses, a sealed hierarchy
 * generated from the core's error enum, so `when` over them is exhaustive.
 *
 * One client per data directory; [close] it when done (or use `use {}`). A killed process
 * loses nothing the core acknowledged.
 */
class WaybillClient private constructor(
    private val ffi: Waybill,
    private val ioDispatcher: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /**
         * Opens (creating or migrating) the client's database. Personal data in it is sealed
         * with a key kept in [secrets] (on Android `io.waybill.android.KeystoreSecretStore`),
         * created there on first use. Every request goes through [transport]: pass
         * `OkHttpTransport(appClient)` so the app's proxy, trust and pinning apply (the
         * library has no HTTP stack of its own). No network traffic.
         */
        suspend fun open(
            config: WaybillConfig,
            secrets: SecretStore,
            transport: HttpTransport = OkHttpTransport(),
            ioDispatcher: CoroutineDispatcher = Dispatchers.IO,
        ): WaybillClient = withContext(ioDispatcher) {
            WaybillClient(Waybill.open(config, secrets, transport), ioDispatcher)
        }
    }

    /**
     * Ends every network call in flight with [WaybillException.Cancelled]. Cancelling the
     * coroutine that awaits a call already ends it in the core; this is for other threads.
     */
    fun cancelRunning() = ffi.cancelRunning()

    /** How many change listeners the core holds (this client registers one for its flows). */
    fun listenerCount(): UInt = ffi.listenerCount()

    /**
     * Sends a one-time code to the number as the person typed it (country code needed;
     * full-width digits and separators are fine). Throws `AgeNotDeclared` until the age
     * question was answered, `RateLimited` with the seconds to wait.
     */
    suspend fun requestSignInCode(phone: String): CodeSent = ffi.requestSignInCode(phone)

    /**
     * Signs in to the number's account with the code it received (opening it if the number
     * has none): the same account on every phone. `CodeInvalid` for a wrong or expired code.
     */
    suspend fun signInWithCode(phone: String, code: String): SignedIn = ffi.signInWithCode(phone, code)

    /**
     * Renews this device's session with its key, without a code; returns the account id.
     * `SignInRequired` when the device needs a code (never signed in, or signed out elsewhere).
     */
    suspend fun signIn(): String = ffi.signIn()

    /** How the account stands here: guest, signed in, signed out, suspended or closed. */
    suspend fun accountState(): AccountState = withContext(ioDispatcher) { ffi.accountState() }

    /** The account (number masked) and the devices signed in to it. */
    suspend fun accountDevices(): AccountDevices = ffi.accountDevices()

    /** Signs another device of the account out (a lost phone). */
    suspend fun signOutDevice(deviceId: String) = ffi.signOutDevice(deviceId)

    /** Signs this device (or [everywhere]) out and wipes what this device holds. */
    suspend fun signOut(everywhere: Boolean = false) = ffi.signOut(everywhere)

    /** Sends a step-up code to the account's number, for a rights request or the cancellation. */
    suspend fun requestStepUpCode(): CodeSent = ffi.requestStepUpCode()

    /**
     * The shipper's optional real-name check (separate consent, camera): both images are
     * stripped, sealed, sent, and deleted from the device once the server has decided.
     */
    suspend fun verifyRealName(idCard: ProofSource, face: ProofSource): RealNameState =
        ffi.verifyRealName(idCard, face)

    /** Where the real-name check stands (local only). */
    suspend fun realNameState(): RealNameState = withContext(ioDispatcher) { ffi.realNameState() }

    /** Deletes the real-name outcome here and on the server; `RecentDelivery` within 7 days of a delivery. */
    suspend fun deleteRealName() = ffi.deleteRealName()

    /** Open offers near a coarse position without an account; nothing is stored or identifies the device. */
    suspend fun browseOffersAsGuest(near: LatLon): List<Order> = ffi.browseOffersAsGuest(near)

    /** The signed-in account id, or null. */
    suspend fun accountId(): String? = withContext(ioDispatcher) { ffi.accountId() }

    /** Downloads open offers within [radiusMeters] of [near] (sent rounded to ~1 km). */
    suspend fun refreshOpenOrders(near: LatLon, radiusMeters: Int): List<Order> {
        require(radiusMeters > 0) { "radiusMeters must be positive" }
        return ffi.refreshOpenOrders(near, radiusMeters.toUInt())
    }

    /** Orders from the local cache; works offline. */
    suspend fun orders(which: OrderList): List<Order> = withContext(ioDispatcher) { ffi.orders(which) }

    /** One order from the local cache. */
    suspend fun order(orderId: String): Order = withContext(ioDispatcher) { ffi.order(orderId) }

    /** Accepts an offer; durable on return, sent by the next [sync]. Works offline. */
    suspend fun acceptOrder(orderId: String): Order = withContext(ioDispatcher) { ffi.acceptOrder(orderId) }

    /** Goods loaded (accepted → picked up); durable on return, works offline. */
    suspend fun pickUp(orderId: String): Order = withContext(ioDispatcher) { ffi.pickUp(orderId) }

    /** Signed off (picked up → delivered); durable on return, works offline. */
    suspend fun deliver(orderId: String): Order = withContext(ioDispatcher) { ffi.deliver(orderId) }

    /** The driver reached stop [stopIndex] of the order's route (status unchanged); works offline. */
    suspend fun arrive(orderId: String, stopIndex: Int): Order =
        withContext(ioDispatcher) { ffi.arrive(orderId, stopIndex.coerceAtLeast(0).toUInt()) }

    /** The driver agreed a delivery time with the consignee; works offline. */
    suspend fun setAppointment(orderId: String, at: java.time.Instant): Order =
        withContext(ioDispatcher) { ffi.setAppointment(orderId, at) }

    /** Reports a problem on an order (status unchanged); works offline. */
    suspend fun reportException(orderId: String, note: String): Order =
        withContext(ioDispatcher) { ffi.reportException(orderId, note) }

    /**
     * A shipper places an errand; durable on return, works offline. [mayShareParties]: the
     * user confirmed they may give the sender's and recipient's data (else
     * [WaybillException.ThirdPartyConfirmationRequired]).
     */
    suspend fun placeErrand(errand: NewErrand, mayShareParties: Boolean): Order =
        withContext(ioDispatcher) { ffi.placeErrand(errand, mayShareParties) }

    /**
     * Checks one contact the person picked in the OS picker (`ACTION_PICK` on
     * `CommonDataKinds.Phone`, one row) for a sender or recipient: under the `contact_pick`
     * consent with the contacts permission; kept only as the errand's party once placed.
     */
    suspend fun pickContact(contact: io.waybill.ffi.PickedContact): io.waybill.ffi.PickedContact =
        withContext(ioDispatcher) { ffi.pickContact(contact) }

    /**
     * The person's position for the pickup point: under `locate_me` with the location
     * permission granted, rounded to about 100 m and not kept. Typing the address needs
     * nothing.
     */
    suspend fun locateMe(at: LatLon): LatLon = withContext(ioDispatcher) { ffi.locateMe(at) }

    /** A shipper cancels an errand not yet delivered; works offline. */
    suspend fun cancelErrand(orderId: String): Order = withContext(ioDispatcher) { ffi.cancelErrand(orderId) }

    /** Queued actions with attempts, last error and next attempt time. */
    suspend fun pending(): List<PendingAction> = withContext(ioDispatcher) { ffi.pending() }

    /** Withdraws a queued action and the later ones of its order; returns how many. */
    suspend fun cancelPending(seq: Long): Int = withContext(ioDispatcher) { ffi.cancelPending(seq).toInt() }

    /** Local actions still waiting for the server. */
    suspend fun pendingActions(): Int = withContext(ioDispatcher) { ffi.pendingActions().toInt() }

    /** Pushes queued actions; throws [WaybillException.Offline] when the server is unreachable. */
    suspend fun sync(): SyncReport = ffi.sync()

    /**
     * For the WorkManager job: the most valuable work first within [budgetMillis], nothing
     * when [network] is offline; schedule the next run at the result's `nextAttemptAt`.
     */
    suspend fun syncInBackground(budgetMillis: Long, network: Network): BackgroundSync =
        ffi.syncInBackground(budgetMillis.coerceIn(0, UInt.MAX_VALUE.toLong()).toUInt(), network)

    /** An order's history: my actions with their fate, and the server's changes. */
    suspend fun orderHistory(orderId: String): List<HistoryEntry> = withContext(ioDispatcher) { ffi.orderHistory(orderId) }

    /** Orders whose id, places or goods contain [text]; works offline. */
    suspend fun searchOrders(text: String): List<Order> = withContext(ioDispatcher) { ffi.searchOrders(text) }

    /** Edits the note of a queued exception report; false if it was already sent. */
    suspend fun editPendingNote(seq: Long, note: String): Boolean = withContext(ioDispatcher) { ffi.editPendingNote(seq, note) }

    /** Settles a rejection with one of its `choices`. */
    suspend fun resolveRejection(id: Long, resolution: Resolution) = withContext(ioDispatcher) { ffi.resolveRejection(id, resolution) }

    /** The order a parcel's scanned waybill code names, from the cache (offline); `NoOrder` is an answer. */
    suspend fun findByCode(scanned: String): io.waybill.ffi.ScanMatch = withContext(ioDispatcher) { ffi.findByCode(scanned) }

    /** Whether the parcel being scanned is the one [orderId] names (before a pickup or a sign-off). */
    suspend fun checkParcel(orderId: String, scanned: String): io.waybill.ffi.ParcelCheck =
        withContext(ioDispatcher) { ffi.checkParcel(orderId, scanned) }

    /**
     * Keeps the token the push SDK gave (FCM, Huawei, Umeng; first or rotated) for the
     * next sync to register. Only under the `push_notifications` consent with the
     * notifications permission (`ConsentRequired` / `PermissionRequired` otherwise, and
     * nothing is kept): without it the app polls.
     */
    suspend fun setPushToken(token: String, platform: io.waybill.ffi.PushPlatform): io.waybill.ffi.PushState =
        withContext(ioDispatcher) { ffi.setPushToken(token, platform) }

    /**
     * The service notices kept (security incidents, maintenance, the end of the service),
     * newest first, each verified with the app's control key: show them whatever the
     * settings (P-69); a `SERVICE_STOP` says when collection ends and the data goes (P-70).
     */
    suspend fun notices(): List<io.waybill.ffi.Notice> = withContext(ioDispatcher) { ffi.notices() }

    /** Where the push registration stands (settings screen). */
    suspend fun pushState(): io.waybill.ffi.PushState = withContext(ioDispatcher) { ffi.pushState() }

    /**
     * A push the app's messaging service received, its data as delivered: checked
     * (`InvalidInput` for anything else), then the targeted sync it asks for (the change
     * feed for `ORDERS`). A push never says what changed, only where to look.
     */
    suspend fun handlePush(payload: String): io.waybill.ffi.PushRefresh = ffi.handlePush(payload)

    /**
     * The courier of this shipper's errand between pickup and delivery: the route since
     * pickup, the latest position, the distances covered and left (the state alone before
     * pickup and after delivery). Each call fetches only what is new; nothing is stored.
     */
    suspend fun followCourier(orderId: String): io.waybill.ffi.CourierTrack = ffi.followCourier(orderId)

    /**
     * [followCourier] every [everyMillis] while collected, emitting when the track changed,
     * until the errand is delivered or cancelled. A failed pull (offline) is skipped.
     */
    fun courierFlow(orderId: String, everyMillis: Long = 15_000): Flow<io.waybill.ffi.CourierTrack> = kotlinx.coroutines.flow.flow {
        while (!closed) {
            val track = try {
                followCourier(orderId)
            } catch (e: WaybillException) {
                null
            }
            if (track != null) {
                emit(track)
                if (track.state == io.waybill.ffi.CourierState.DELIVERED || track.state == io.waybill.ffi.CourierState.CANCELLED) break
            }
            kotlinx.coroutines.delay(everyMillis)
        }
    }.distinctUntilChanged()

    /**
     * A waybill's public status by its number (typed, or a scanned label: a URL around it
     * is fine); `null` when no order has it. Works signed out with every optional purpose
     * refused; kept in the history only under the `convenience` consent. A mistyped digit
     * fails the check digit (`InvalidInput`) before anything is sent.
     */
    suspend fun queryWaybill(number: String): io.waybill.ffi.WaybillStatus? = ffi.queryWaybill(number)

    /**
     * Follows a waybill: a `WAYBILLS` push (with push allowed) and every sync refresh it in
     * [keptWaybills]. Needs the `convenience` consent and a signed-in account.
     */
    suspend fun followWaybill(number: String): io.waybill.ffi.WaybillStatus = ffi.followWaybill(number)

    /** Stops following a waybill (kept as looked up); the server hears at the next sync. */
    suspend fun unfollowWaybill(number: String): Boolean = withContext(ioDispatcher) { ffi.unfollowWaybill(number) }

    /** Forgets one waybill of the history, and its follow on the server at the next sync. */
    suspend fun forgetWaybill(number: String): Boolean = withContext(ioDispatcher) { ffi.forgetWaybill(number) }

    /** The waybills looked up or followed, most recent first (convenience data, P-39). */
    suspend fun keptWaybills(): List<io.waybill.ffi.KeptWaybill> = withContext(ioDispatcher) { ffi.keptWaybills() }

    /** The addresses of recent errands, most recent first, to fill the next errand's form. */
    suspend fun savedAddresses(): List<io.waybill.ffi.SavedAddress> = withContext(ioDispatcher) { ffi.savedAddresses() }

    /** The sender and item of the last errand, if kept. */
    suspend fun lastSender(): io.waybill.ffi.LastSender? = withContext(ioDispatcher) { ffi.lastSender() }

    /** Clears every convenience datum at once (the consent stays); returns the rows deleted. */
    suspend fun clearConvenience(): Int = withContext(ioDispatcher) { ffi.clearConvenience().toInt() }

    /** The marketing messages kept, newest first (only pulled under the `marketing` consent). */
    suspend fun marketingMessages(): List<io.waybill.ffi.MarketingMessage> = withContext(ioDispatcher) { ffi.marketingMessages() }

    /**
     * The unsubscribe of a marketing message (P-64): withdraws the `marketing` consent,
     * deletes the messages kept; none is pulled again until the person opts back in.
     */
    suspend fun unsubscribeMarketing(messageId: String): Receipt = withContext(ioDispatcher) { ffi.unsubscribeMarketing(messageId) }

    /** Refusals the UI has not dismissed. */
    suspend fun rejections(): List<Rejection> = withContext(ioDispatcher) { ffi.rejections() }

    /** Forgets a refusal the user has seen. */
    suspend fun dismissRejection(id: Long) = withContext(ioDispatcher) { ffi.dismissRejection(id) }

    // Bumped when the core reports a change (after it is durable): whatever made it (a
    // switch, a sync, a retention sweep, a cancellation), the flows re-read the core's view.
    private val privacyChanges = MutableStateFlow(0L)
    private val orderChanges = MutableStateFlow(0L)
    @Volatile private var closed = false

    private val listenerId = ffi.addListener(object : ChangeListener {
        override fun changed(topic: Topic) = when (topic) {
            Topic.PRIVACY -> privacyChanges.update { it + 1 }
            Topic.ORDERS -> orderChanges.update { it + 1 }
        }
    })

    /**
     * A view of the core re-read at every change of [changes]: emitted only when it differs
     * from the last one; a read that fails (a busy database) is skipped, not thrown into
     * the collector, and the flow completes when the client is closed.
     */
    private fun <T> view(changes: MutableStateFlow<Long>, read: () -> T): Flow<T> =
        changes.takeWhile { !closed }.mapNotNull {
            withContext(ioDispatcher) {
                try {
                    read()
                } catch (e: WaybillException) {
                    null
                } catch (e: IllegalStateException) {
                    // UniFFI's answer to a call on a closed object: the flow then completes.
                    if (closed) null else throw e
                }
            }
        }.distinctUntilChanged()

    private suspend fun <T> privacyChange(block: () -> T): T = withContext(ioDispatcher) { block() }

    /** How the account stands, re-emitted (when it changed) after every change the core reports. */
    val accountStates: Flow<AccountState> = view(privacyChanges) { ffi.accountState() }

    /** The privacy settings screen, re-emitted when a change the core reports changed it. */
    val privacySettings: Flow<SettingsView> = view(privacyChanges) { ffi.privacySettings() }

    /** An order list from the cache, re-emitted when a change the core reports changed it. */
    fun ordersFlow(which: OrderList): Flow<List<Order>> = view(orderChanges) { ffi.orders(which) }

    /** The consignor's and consignee's contact: full only if [reveal] and the order is open and yours. */
    suspend fun orderContact(orderId: String, reveal: Boolean): OrderContact? =
        withContext(ioDispatcher) { ffi.orderContact(orderId, reveal) }

    /** Records location fixes for the order being carried (needs the trajectory consent). */
    suspend fun recordFixes(orderId: String, fixes: List<Fix>): Int =
        withContext(ioDispatcher) { ffi.recordFixes(orderId, fixes).toInt() }

    /** Whether to run location updates now, for which order and how; re-read on every change. */
    suspend fun trackingPlan(): TrackingPlan = withContext(ioDispatcher) { ffi.trackingPlan() }

    /** Makes recorded fixes durable now: call it when the app goes to the background. */
    suspend fun flushFixes(): Int = withContext(ioDispatcher) { ffi.flushFixes().toInt() }

    /** What the trajectory engine saw of an order's leg: drops by reason, gaps, stops, arrivals, distance. */
    suspend fun trackingDiagnostics(orderId: String): TrackingDiagnostics =
        withContext(ioDispatcher) { ffi.trackingDiagnostics(orderId) }

    /**
     * Takes a photo proof for a step of an order this driver holds: checked (JPEG or PNG),
     * stripped of its metadata but the orientation, kept under its SHA-256 in the app's
     * private folder. Needs the photo proof purpose.
     */
    suspend fun takeProof(
        orderId: String,
        kind: ProofKind,
        step: ProofStep,
        source: ProofSource,
        captured: Capture = Capture(at = java.time.Instant.now(), elapsedMs = null),
    ): Proof = withContext(ioDispatcher) { ffi.takeProof(orderId, kind, step, source, captured) }

    /** Discards a proof (a blurred photo): record, file, and its unfinished upload on the server. */
    suspend fun discardProof(orderId: String, sha256: String): Boolean =
        withContext(ioDispatcher) { ffi.discardProof(orderId, sha256) }

    /** The fixes held for an order (what the export's GPX contains). */
    suspend fun fixes(orderId: String): List<Fix> = withContext(ioDispatcher) { ffi.fixes(orderId) }

    /** The proof rules in force (per step and kind). */
    suspend fun proofRules(): List<ProofRule> = withContext(ioDispatcher) { ffi.proofRules() }

    /** Deletes what outlived its retention period now (it also runs at every start). */
    suspend fun sweepRetention(): Int = privacyChange { ffi.sweepRetention().toInt() }

    /** The proofs of an order, in upload order. */
    suspend fun proofs(orderId: String): List<Proof> = withContext(ioDispatcher) { ffi.proofs(orderId) }

    /** The kept image of a proof (opened from its sealed file), to show it. */
    suspend fun proofImage(sha256: String): ByteArray = withContext(ioDispatcher) { ffi.proofImage(sha256) }

    /**
     * The proofs of an order, re-emitted as they change: taken (pending), each chunk the
     * server confirms (uploading, [Proof.uploadedBytes]), done ([Proof.uploadedAt]).
     */
    fun proofsFlow(orderId: String): Flow<List<Proof>> = view(orderChanges) { ffi.proofs(orderId) }

    /** What a step of an order still lacks: required proofs (the step is refused) and recommended ones (warn). */
    suspend fun proofCheck(orderId: String, step: ProofStep): ProofCheck =
        withContext(ioDispatcher) { ffi.proofCheck(orderId, step) }

    /** Replaces the proof rules (per step and kind: required, recommended, optional, off). */
    suspend fun setProofRules(rules: List<ProofRule>) = withContext(ioDispatcher) { ffi.setProofRules(rules) }

    /** Signs off away from the drop-off stop, recording the driver's [reason]. */
    suspend fun deliverWithOverride(orderId: String, reason: String): Order =
        withContext(ioDispatcher) { ffi.deliverWithOverride(orderId, reason) }

    /** The location provider was switched off: the next fix closes a gap saying so. */
    suspend fun locationProviderOff() = withContext(ioDispatcher) { ffi.locationProviderOff() }

    /** The user's age; only whether it is under the policy's minimum is kept. */
    suspend fun declareAge(ageYears: Int): Boolean = privacyChange {
        require(ageYears >= 0) { "ageYears must not be negative" }
        ffi.declareAge(ageYears.toUInt())
    }

    /** A guardian consented for a minor user; returns the receipt. */
    suspend fun recordGuardianConsent(askedVia: String): Receipt = privacyChange { ffi.recordGuardianConsent(askedVia) }

    /** The transparency log, newest first. */
    suspend fun transparencyLog(limit: Int = 100): List<DataEvent> =
        withContext(ioDispatcher) { ffi.transparencyLog(limit.coerceAtLeast(0).toUInt()) }

    /** Everything the device holds about the user, as JSON (trajectories as GPX). */
    suspend fun exportPersonalData(): String = withContext(ioDispatcher) { ffi.exportPersonalData() }

    /**
     * Files an access, correction or deletion request with the policy's deadline and the
     * step-up code sent for it ([requestStepUpCode]); without one it waits ([confirmRightsRequest]).
     */
    suspend fun requestRight(kind: RightKind, detail: String, stepUpCode: String? = null): RightsRequest =
        privacyChange { ffi.requestRight(kind, detail, stepUpCode) }

    /** Gives a request waiting for a step-up code a new one; the next sync sends it. */
    suspend fun confirmRightsRequest(requestId: String, stepUpCode: String) =
        privacyChange { ffi.confirmRightsRequest(requestId, stepUpCode) }

    /**
     * The SDKs owed a "forget" since a deletion request or the account's closing (P-63):
     * call each one's own deletion (reset its id, unregister its token), then
     * [sdkForgotten]. Kept until then, across restarts and the closing's wipe.
     */
    suspend fun sdksToForget(): List<String> = withContext(ioDispatcher) { ffi.sdksToForget() }

    /** The app called [sdkId]'s deletion; true if it was owed. */
    suspend fun sdkForgotten(sdkId: String): Boolean = withContext(ioDispatcher) { ffi.sdkForgotten(sdkId) }

    /** Whether a third-party SDK may start now; call before initialising it and after each change. */
    suspend fun sdkMayStart(sdkId: String): Boolean = withContext(ioDispatcher) { ffi.sdkMayStart(sdkId) }

    /** Call before handing [items] of [category] to an SDK; throws unless the policy allows it now. */
    suspend fun discloseToSdk(sdkId: String, category: String, items: Int = 1) =
        withContext(ioDispatcher) { ffi.discloseToSdk(sdkId, category, items.coerceAtLeast(0).toUInt()) }

    /** One photo the driver picked from the album as a proof (album purpose, photos permission; limited access is enough). */
    suspend fun takeProofFromAlbum(orderId: String, kind: ProofKind, step: ProofStep, source: ProofSource): Proof =
        withContext(ioDispatcher) { ffi.takeProofFromAlbum(orderId, kind, step, source) }

    /** The policy the person accepted, readable offline (Markdown rendered from the accepted version). */
    suspend fun policyText(): io.waybill.ffi.PolicyText = withContext(ioDispatcher) { ffi.policyText() }

    /** The app opened (`true`) or left (`false`) a map or navigation screen (the map SDK gets positions only then, or while an order is carried). */
    fun setMapVisible(visible: Boolean) = ffi.setMapVisible(visible)

    /** Rights requests with status and deadline. */
    suspend fun rightsRequests(): List<RightsRequest> = withContext(ioDispatcher) { ffi.rightsRequests() }

    /** Closes the account with a fresh step-up code, then wipes this device; offline it stays queued. */
    suspend fun cancelAccount(stepUpCode: String) = ffi.cancelAccount(stepUpCode)

    /** Whether the policy in force is accepted, and what changed since. */
    suspend fun policyStatus(): PolicyStatus = withContext(ioDispatcher) { ffi.policyStatus() }

    /** The one state of a purpose, as the gate sees it. */
    suspend fun purposeState(purpose: String): PurposeState = withContext(ioDispatcher) { ffi.purposeState(purpose) }

    /** The user accepted the policy in force; returns the receipts. */
    suspend fun acceptPolicy(askedVia: String): List<Receipt> = privacyChange { ffi.acceptPolicy(askedVia) }

    /** The user switched a consent-based purpose on or off; returns the receipt. */
    suspend fun decide(purpose: String, allow: Boolean, askedVia: String): Receipt =
        privacyChange { ffi.decide(purpose, allow, askedVia) }

    /** Forwards an OS permission state (at start, on resume, after a prompt). */
    suspend fun reportPermission(permission: Permission, state: PermissionState) =
        privacyChange { ffi.reportPermission(permission, state) }

    /** What to do about the permission [purpose] needs; honours the 48-hour rule. */
    suspend fun permissionAsk(purpose: String, userInitiated: Boolean): PermissionAsk =
        withContext(ioDispatcher) { ffi.permissionAsk(purpose, userInitiated) }

    /** Installs a new policy manifest; a bad one throws [WaybillException.InvalidManifest]. */
    suspend fun installManifest(json: String): PolicyStatus = privacyChange { ffi.installManifest(json) }

    /** Verifies the consent ledger's hash chain; returns the number of receipts. */
    suspend fun verifyConsentLedger(): Int = withContext(ioDispatcher) { ffi.verifyConsentLedger().toInt() }

    /** Closes the client: its flows complete, its listener is released, later calls throw. */
    override fun close() {
        if (closed) return
        closed = true
        ffi.removeListener(listenerId)
        // Wakes every collector, which then sees `closed` and completes.
        privacyChanges.update { it + 1 }
        orderChanges.update { it + 1 }
        ffi.close()
    }
}
