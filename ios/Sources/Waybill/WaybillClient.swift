import Foundation
@_exported import WaybillFFI

/// Idiomatic Swift entry point to the Waybill core.
///
/// Network calls are Rust async functions awaited with Swift concurrency; local database
/// calls are short and run on the caller's task. Errors are `WaybillError` cases generated
/// from the core's error enum. Cancelling the Swift `Task` that awaits a network call ends
/// that call, and only that one, with `WaybillError.Cancelled`: UniFFI's Swift bindings do
/// not drop Rust futures, so each call carries its own `CallToken`, cancelled by the task's
/// cancellation handler; what finished is kept.
public final class WaybillClient: Sendable {
    private let ffi: WaybillFFI.WaybillCore

    /// Opens (creating or migrating) the client's database. Personal data in it is sealed
    /// with a key kept in `secrets` (`KeychainSecretStore` in an app), created there on
    /// first use. Every request goes through `transport`, the app's `URLSession` (the
    /// library has no HTTP stack of its own: the system's proxy, trust and pinning apply).
    /// No network traffic.
    public init(
        config: WaybillConfig, secrets: SecretStore = KeychainSecretStore(),
        transport: HttpTransport = URLSessionTransport()
    ) throws {
        ffi = try WaybillFFI.WaybillCore.open(config: config, secrets: secrets, transport: transport)
    }

    /// Ends every network call in flight with `WaybillError.Cancelled` (sign-out, or a
    /// screen that stops everything). Cancelling a task ends only its own call.
    public func cancelRunning() {
        ffi.cancelRunning()
    }

    /// Runs a core call under a token of its own, cancelled when the current task is: no
    /// other call in flight is touched.
    private func cancellable<T: Sendable>(_ call: @Sendable (CallToken) async throws -> T) async throws -> T {
        let token = CallToken()
        return try await withTaskCancellationHandler { try await call(token) } onCancel: { token.cancel() }
    }

    /// Runs a local call that can take long (a multi-MB photo, the whole export) on a
    /// detached task, so the caller's actor (the main actor, in a UI) is not held.
    private func offActor<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await Task.detached(priority: .userInitiated) { try work() }.value
    }

    /// Sends a one-time code to the number as typed (age asked first; `RateLimited` says
    /// when to ask again).
    public func requestSignInCode(phone: String) async throws -> CodeSent {
        try await cancellable { [ffi] token in try await ffi.requestSignInCode(phone: phone, call: token) }
    }

    /// Signs in to the number's account with its code (opening it if new): the same
    /// account on every phone.
    public func signIn(phone: String, code: String) async throws -> SignedIn {
        try await cancellable { [ffi] token in try await ffi.signInWithCode(phone: phone, code: code, call: token) }
    }

    /// Renews this device's session with its key; `SignInRequired` when it needs a code.
    public func signIn() async throws -> String {
        try await cancellable { [ffi] token in try await ffi.signIn(call: token) }
    }

    /// How the account stands here: guest, signed in, signed out, suspended or closed.
    public func accountState() throws -> AccountState {
        try ffi.accountState()
    }

    /// The account (number masked) and the devices signed in to it.
    public func accountDevices() async throws -> AccountDevices {
        try await cancellable { [ffi] token in try await ffi.accountDevices(call: token) }
    }

    /// Signs another device of the account out (a lost phone).
    public func signOutDevice(_ deviceId: String) async throws {
        try await cancellable { [ffi] token in try await ffi.signOutDevice(deviceId: deviceId, call: token) }
    }

    /// Signs this device (or every device) out and wipes what this device holds.
    public func signOut(everywhere: Bool = false) async throws {
        try await cancellable { [ffi] token in try await ffi.signOut(everywhere: everywhere, call: token) }
    }

    /// Sends a step-up code to the account's number, for a rights request or the cancellation.
    public func requestStepUpCode() async throws -> CodeSent {
        try await cancellable { [ffi] token in try await ffi.requestStepUpCode(call: token) }
    }

    /// The shipper's optional real-name check (separate consent, camera): both images are
    /// stripped, sealed, sent, and deleted from the device once the server has decided.
    public func verifyRealName(idCard: ProofSource, face: ProofSource) async throws -> RealNameState {
        try await cancellable { [ffi] token in try await ffi.verifyRealName(idCard: idCard, face: face, call: token) }
    }

    /// Where the real-name check stands (local only).
    public func realNameState() throws -> RealNameState {
        try ffi.realNameState()
    }

    /// Deletes the real-name outcome here and on the server; `RecentDelivery` within seven
    /// days of a delivery.
    public func deleteRealName() async throws {
        try await cancellable { [ffi] token in try await ffi.deleteRealName(call: token) }
    }

    /// Open offers near a coarse position without an account; nothing is stored.
    public func browseOffersAsGuest(near: LatLon) async throws -> [Order] {
        try await cancellable { [ffi] token in try await ffi.browseOffersAsGuest(near: near, call: token) }
    }

    /// Downloads open offers within `radiusMeters` of `near` (sent rounded to ~1 km).
    public func refreshOpenOrders(near: LatLon, radiusMeters: Int) async throws -> [Order] {
        try await cancellable { [ffi] token in
            try await ffi.refreshOpenOrders(near: near, radiusM: UInt32(clamping: radiusMeters), call: token)
        }
    }

    /// Orders from the local cache; works offline.
    public func orders(_ which: OrderList) throws -> [Order] {
        try ffi.orders(which: which)
    }

    /// One order from the local cache.
    public func order(id: String) throws -> Order {
        try ffi.order(orderId: id)
    }

    /// Accepts an offer; durable on return, sent by the next `sync()`. Works offline.
    @discardableResult
    public func acceptOrder(id: String) throws -> Order {
        try ffi.acceptOrder(orderId: id)
    }

    /// Goods loaded (accepted → picked up); durable on return, works offline.
    @discardableResult
    public func pickUp(id: String) throws -> Order {
        try ffi.pickUp(orderId: id)
    }

    /// Signed off (picked up → delivered); durable on return, works offline.
    @discardableResult
    public func deliver(id: String) throws -> Order {
        try ffi.deliver(orderId: id)
    }

    /// Reports a problem on an order (status unchanged); works offline.
    @discardableResult
    public func reportException(id: String, note: String) throws -> Order {
        try ffi.reportException(orderId: id, note: note)
    }

    /// Queued actions with attempts, last error and next attempt time.
    public func pending() throws -> [PendingAction] {
        try ffi.pending()
    }

    /// Local actions still waiting for the server.
    public func pendingActions() throws -> Int {
        Int(try ffi.pendingActions())
    }

    /// Pushes queued actions; throws `WaybillError.Offline` when the server is unreachable.
    public func sync() async throws -> SyncReport {
        try await cancellable { [ffi] token in try await ffi.sync(call: token) }
    }

    /// Refusals the UI has not dismissed.
    public func rejections() throws -> [Rejection] {
        try ffi.rejections()
    }

    /// Forgets a refusal the user has seen.
    public func dismissRejection(id: Int64) throws {
        try ffi.dismissRejection(id: id)
    }

    /// The order a parcel's scanned waybill code names, from the cache (offline);
    /// `.noOrder` is an answer, not an error.
    public func findOrder(scannedCode: String) throws -> ScanMatch {
        try ffi.findByCode(scanned: scannedCode)
    }

    /// Whether the parcel being scanned is the one `orderId` names (before a pickup or a
    /// sign-off).
    public func checkParcel(orderId: String, scannedCode: String) throws -> ParcelCheck {
        try ffi.checkParcel(orderId: orderId, scanned: scannedCode)
    }

    /// Keeps the token the push SDK gave (APNs; first or rotated) for the next sync to
    /// register. Only under the `push_notifications` consent with the notifications
    /// permission (`ConsentRequired` / `PermissionRequired` otherwise, and nothing is kept):
    /// without it the app polls.
    @discardableResult
    public func setPushToken(_ token: String, platform: PushPlatform) throws -> PushState {
        try ffi.setPushToken(token: token, platform: platform)
    }

    /// The service notices kept (security incidents, maintenance, the end of the service),
    /// newest first, each verified with the app's control key: show them whatever the
    /// settings (P-69); a `.serviceStop` says when collection ends and the data goes (P-70).
    public func notices() throws -> [Notice] {
        try ffi.notices()
    }

    /// Where the push registration stands (settings screen).
    public func pushState() throws -> PushState {
        try ffi.pushState()
    }

    /// A push the app received (`userInfo`'s Waybill data as JSON): checked
    /// (`InvalidInput` for anything else), then the targeted sync it asks for. A push
    /// never says what changed, only where to look.
    public func handlePush(_ payload: String) async throws -> PushRefresh {
        try await cancellable { [ffi] token in try await ffi.handlePush(payload: payload, call: token) }
    }

    /// The courier of this shipper's errand between pickup and delivery: the route since
    /// pickup, the latest position, the distances covered and left (the state alone before
    /// pickup and after delivery). Each call fetches only what is new; nothing is stored.
    public func followCourier(orderId: String) async throws -> CourierTrack {
        try await cancellable { [ffi] token in try await ffi.followCourier(orderId: orderId, call: token) }
    }

    /// `followCourier` every `interval` seconds while iterated, yielding each track, until the errand
    /// is delivered or cancelled (or the stream's task is cancelled). A failed pull
    /// (offline) is skipped.
    public func courierUpdates(orderId: String, every interval: TimeInterval = 15) -> AsyncStream<CourierTrack> {
        let pause = UInt64(max(interval, 1) * 1_000_000_000)
        AsyncStream { continuation in
            let task = Task {
                while !Task.isCancelled {
                    if let track = try? await self.followCourier(orderId: orderId) {
                        continuation.yield(track)
                        if track.state == .delivered || track.state == .cancelled { break }
                    }
                    try? await Task.sleep(nanoseconds: pause)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A waybill's public status by its number (typed, or a scanned label: a URL around it
    /// is fine); `nil` when no order has it. Works signed out with every optional purpose
    /// refused; kept in the history only under the `convenience` consent. A mistyped digit
    /// fails the check digit (`InvalidInput`) before anything is sent.
    public func queryWaybill(number: String) async throws -> WaybillStatus? {
        try await cancellable { [ffi] token in try await ffi.queryWaybill(number: number, call: token) }
    }

    /// Follows a waybill: a `.waybills` push (with push allowed) and every sync refresh it
    /// in `keptWaybills()`. Needs the `convenience` consent and a signed-in account.
    @discardableResult
    public func followWaybill(number: String) async throws -> WaybillStatus {
        try await cancellable { [ffi] token in try await ffi.followWaybill(number: number, call: token) }
    }

    /// Stops following a waybill (kept as looked up); the server hears at the next sync.
    @discardableResult
    public func unfollowWaybill(number: String) throws -> Bool {
        try ffi.unfollowWaybill(number: number)
    }

    /// Forgets one waybill of the history, and its follow on the server at the next sync.
    @discardableResult
    public func forgetWaybill(number: String) throws -> Bool {
        try ffi.forgetWaybill(number: number)
    }

    /// The waybills looked up or followed, most recent first (convenience data, P-39).
    public func keptWaybills() throws -> [KeptWaybill] {
        try ffi.keptWaybills()
    }

    /// The addresses of recent errands, most recent first, to fill the next errand's form.
    public func savedAddresses() throws -> [SavedAddress] {
        try ffi.savedAddresses()
    }

    /// The sender and item of the last errand, if kept.
    public func lastSender() throws -> LastSender? {
        try ffi.lastSender()
    }

    /// Clears every convenience datum at once (the consent stays); the rows deleted.
    @discardableResult
    public func clearConvenience() throws -> Int {
        Int(try ffi.clearConvenience())
    }

    /// The marketing messages kept, newest first (only pulled under the `marketing` consent).
    public func marketingMessages() throws -> [MarketingMessage] {
        try ffi.marketingMessages()
    }

    /// The unsubscribe of a marketing message (P-64): withdraws the `marketing` consent and
    /// deletes the messages kept; none is pulled again until the person opts back in.
    @discardableResult
    public func unsubscribeMarketing(messageId: String) throws -> Receipt {
        try ffi.unsubscribeMarketing(messageId: messageId)
    }

    /// The privacy settings screen now.
    public func privacySettings() throws -> SettingsView {
        try ffi.privacySettings()
    }

    /// How many change listeners are registered (each live `privacySettingsUpdates()`
    /// stream holds one; a leak shows here).
    public func listenerCount() -> Int {
        Int(ffi.listenerCount())
    }

    /// The privacy settings screen, yielded now and after every change the core reports
    /// (a switch, a sync, a retention sweep, a cancellation).
    public func privacySettingsUpdates() -> AsyncStream<SettingsView> {
        let ffi = self.ffi
        return AsyncStream { continuation in
            let yieldView: @Sendable () -> Void = {
                if let view = try? ffi.privacySettings() { continuation.yield(view) }
            }
            // Removed when the stream ends (the view went away, its task was cancelled):
            // the listener holds the client, which would otherwise never be freed.
            let id = ffi.addListener(listener: TopicListener(topic: .privacy, onChange: yieldView))
            continuation.onTermination = { _ in _ = ffi.removeListener(id: id) }
            yieldView()
        }
    }

    /// The user accepted the policy in force; returns the receipts.
    @discardableResult
    public func acceptPolicy(askedVia: String) throws -> [Receipt] {
        try ffi.acceptPolicy(askedVia: askedVia)
    }

    /// The user switched a consent-based purpose on or off; returns the receipt.
    @discardableResult
    public func decide(purpose: String, allow: Bool, askedVia: String) throws -> Receipt {
        try ffi.decide(purpose: purpose, allow: allow, askedVia: askedVia)
    }

    /// The consignor's and consignee's contact: full only if `reveal` and the order is open and yours.
    public func orderContact(orderId: String, reveal: Bool) throws -> OrderContact? {
        try ffi.orderContact(orderId: orderId, reveal: reveal)
    }

    /// Records location fixes for the order being carried (needs the trajectory consent).
    @discardableResult
    public func recordFixes(orderId: String, fixes: [Fix]) throws -> Int {
        Int(try ffi.recordFixes(orderId: orderId, fixes: fixes))
    }

    /// Takes a photo proof for a step of an order this driver holds: checked (JPEG or PNG),
    /// stripped of its metadata but the orientation, kept under its SHA-256 in the app's
    /// private folder. Needs the photo proof purpose.
    /// Runs off the caller's actor (stripping and sealing a multi-MB photo).
    public func takeProof(
        orderId: String, kind: ProofKind, step: ProofStep, source: ProofSource,
        captured: Capture = Capture(at: Date(), elapsedMilliseconds: nil)
    ) async throws -> Proof {
        try await offActor { [ffi] in
            try ffi.takeProof(orderId: orderId, kind: kind, step: step, source: source, captured: captured)
        }
    }

    /// Discards a proof (a blurred photo): record, file, and its unfinished upload on the server.
    @discardableResult
    public func discardProof(orderId: String, sha256: String) throws -> Bool {
        try ffi.discardProof(orderId: orderId, sha256: sha256)
    }

    /// The proofs of an order, in upload order.
    public func proofs(orderId: String) throws -> [Proof] {
        try ffi.proofs(orderId: orderId)
    }

    /// The kept image of a proof (opened from its sealed file), to show it; off the
    /// caller's actor.
    public func proofImage(sha256: String) async throws -> Data {
        try await offActor { [ffi] in try ffi.proofImage(sha256: sha256) }
    }

    /// What a step of an order still lacks: required proofs (the step is refused) and recommended ones.
    public func proofCheck(orderId: String, step: ProofStep) throws -> ProofCheck {
        try ffi.proofCheck(orderId: orderId, step: step)
    }

    /// Replaces the proof rules (per step and kind: required, recommended, optional, off).
    public func setProofRules(_ rules: [ProofRule]) throws {
        try ffi.setProofRules(rules: rules)
    }

    /// Signs off away from the drop-off stop, recording the driver's reason.
    @discardableResult
    public func deliverWithOverride(orderId: String, reason: String) throws -> Order {
        try ffi.deliverWithOverride(orderId: orderId, reason: reason)
    }

    /// Makes recorded fixes durable now: call it when the app moves to the background.
    @discardableResult
    public func flushFixes() throws -> Int {
        Int(try ffi.flushFixes())
    }

    /// Whether to run location updates now, for which order and how; re-read on every change.
    public func trackingPlan() throws -> TrackingPlan {
        try ffi.trackingPlan()
    }

    /// What the engine saw of an order's leg: drops by reason, gaps, stops, arrivals, distance.
    public func trackingDiagnostics(orderId: String) throws -> TrackingDiagnostics {
        try ffi.trackingDiagnostics(orderId: orderId)
    }

    /// The location provider was switched off (location services disabled): the next fix
    /// closes a gap saying so.
    public func locationProviderOff() {
        ffi.locationProviderOff()
    }

    /// Everything the device holds about the user, as JSON (trajectories as GPX).
    public func exportPersonalData() async throws -> String {
        try await offActor { [ffi] in try ffi.exportPersonalData() }
    }

    /// Files an access, correction or deletion request with the policy's deadline and the
    /// step-up code sent for it; without one it waits for `confirmRightsRequest`.
    public func requestRight(_ kind: RightKind, detail: String, stepUpCode: String? = nil) throws -> RightsRequest {
        try ffi.requestRight(kind: kind, detail: detail, stepUpCode: stepUpCode)
    }

    /// Gives a request waiting for a step-up code a new one; the next sync sends it.
    public func confirmRightsRequest(_ requestId: String, stepUpCode: String) throws {
        try ffi.confirmRightsRequest(requestId: requestId, stepUpCode: stepUpCode)
    }

    /// Closes the account with a fresh step-up code, then wipes this device; offline it
    /// stays queued.
    public func cancelAccount(stepUpCode: String) async throws {
        try await cancellable { [ffi] token in try await ffi.cancelAccount(stepUpCode: stepUpCode, call: token) }
    }

    // MARK: Orders, both roles

    /// The signed-in account, if any.
    public func accountId() throws -> String? {
        try ffi.accountId()
    }

    /// The driver reached stop `stopIndex` of the order's route; works offline.
    @discardableResult
    public func arrive(orderId: String, stopIndex: Int) throws -> Order {
        try ffi.arrive(orderId: orderId, stopIndex: UInt32(clamping: stopIndex))
    }

    /// Agrees a delivery time with the customer; works offline.
    @discardableResult
    public func setAppointment(orderId: String, at: Date) throws -> Order {
        try ffi.setAppointment(orderId: orderId, at: at)
    }

    /// A shipper places an errand; `mayShareParties`: the user confirmed they may give the
    /// sender's and recipient's contact. Works offline.
    @discardableResult
    public func placeErrand(_ errand: NewErrand, mayShareParties: Bool) throws -> Order {
        try ffi.placeErrand(errand: errand, mayShareParties: mayShareParties)
    }

    /// Checks one contact the person picked in `CNContactPickerViewController` for a sender
    /// or recipient: under the `contact_pick` consent with the contacts permission; kept
    /// only as the errand's party once placed.
    public func pickContact(_ contact: PickedContact) throws -> PickedContact {
        try ffi.pickContact(contact: contact)
    }

    /// The person's position for the pickup point: under `locate_me` with the location
    /// permission granted, rounded to about 100 m and not kept.
    public func locateMe(at point: LatLon) throws -> LatLon {
        try ffi.locateMe(at: point)
    }

    /// A shipper cancels an errand not yet delivered; works offline.
    @discardableResult
    public func cancelErrand(orderId: String) throws -> Order {
        try ffi.cancelErrand(orderId: orderId)
    }

    /// Withdraws a queued action the server has not confirmed, with the later actions of
    /// its order that build on it; returns how many were withdrawn (0 if already sent).
    @discardableResult
    public func cancelPending(seq: Int64) throws -> Int {
        Int(try ffi.cancelPending(seq: seq))
    }

    /// Edits the note of a queued exception report; false if it was already sent.
    @discardableResult
    public func editPendingNote(seq: Int64, note: String) throws -> Bool {
        try ffi.editPendingNote(seq: seq, note: note)
    }

    /// An order's history as this device saw it, oldest first.
    public func orderHistory(orderId: String) throws -> [HistoryEntry] {
        try ffi.orderHistory(orderId: orderId)
    }

    /// Orders whose id, places or goods contain `text`; works offline.
    public func searchOrders(_ text: String) throws -> [Order] {
        try ffi.searchOrders(text: text)
    }

    /// Applies the user's choice for a conflict the server reported.
    public func resolveRejection(id: Int64, resolution: Resolution) throws {
        try ffi.resolveRejection(id: id, resolution: resolution)
    }

    /// The BGTaskScheduler entry point: the most valuable work first within `budget`
    /// seconds; schedule the next run at the returned `nextAttemptAt`.
    public func syncInBackground(budget: TimeInterval, network: Network) async throws -> BackgroundSync {
        let budgetMs = UInt32(clamping: Int(max(budget, 0) * 1000))
        return try await cancellable { [ffi] token in
            try await ffi.syncInBackground(budgetMs: budgetMs, network: network, call: token)
        }
    }

    // MARK: Trajectory and proofs

    /// The fixes held for an order (what the export's GPX contains).
    public func fixes(orderId: String) throws -> [Fix] {
        try ffi.fixes(orderId: orderId)
    }

    /// The proof rules in force (per step and kind).
    public func proofRules() throws -> [ProofRule] {
        try ffi.proofRules()
    }

    // MARK: Privacy

    /// Where the user stands with the policy in force.
    public func policyStatus() throws -> PolicyStatus {
        try ffi.policyStatus()
    }

    /// The live state of one purpose.
    public func purposeState(purpose: String) throws -> PurposeState {
        try ffi.purposeState(purpose: purpose)
    }

    /// Mirrors an OS permission result (`CLAuthorizationStatus`, `AVCaptureDevice`, …);
    /// turning one off withdraws the purposes that need it.
    public func reportPermission(_ permission: Permission, state: PermissionState) throws {
        try ffi.reportPermission(permission: permission, state: state)
    }

    /// What to do about the permission `purpose` needs: ask (with the rationale), send the
    /// user to Settings, stay quiet (48-hour rule), or nothing.
    public func permissionAsk(purpose: String, userInitiated: Bool) throws -> PermissionAsk {
        try ffi.permissionAsk(purpose: purpose, userInitiated: userInitiated)
    }

    /// The user's age, asked with the policy; returns whether they are a minor, whose data
    /// is collected only after a guardian consented.
    @discardableResult
    public func declareAge(_ ageYears: Int) throws -> Bool {
        try ffi.declareAge(ageYears: UInt32(clamping: ageYears))
    }

    /// Records a guardian's consent for a minor.
    public func recordGuardianConsent(askedVia: String) throws -> Receipt {
        try ffi.recordGuardianConsent(askedVia: askedVia)
    }

    /// Installs a new policy manifest (refused with a precise error if it is invalid).
    public func installManifest(_ document: String) throws -> PolicyStatus {
        try ffi.installManifest(document: document)
    }

    /// Recomputes the consent ledger's hash chain; returns the number of receipts.
    public func verifyConsentLedger() throws -> Int {
        Int(try ffi.verifyConsentLedger())
    }

    /// Deletes what outlived its retention period now (it also runs at every start).
    @discardableResult
    public func sweepRetention() throws -> Int {
        Int(try ffi.sweepRetention())
    }

    /// What was collected, received, sent and deleted, newest first.
    public func transparencyLog(limit: Int = 100) throws -> [DataEvent] {
        try ffi.transparencyLog(limit: UInt32(clamping: limit))
    }

    /// The user's rights requests and their state.
    public func rightsRequests() throws -> [RightsRequest] {
        try ffi.rightsRequests()
    }

    /// The SDKs owed a "forget" since a deletion request or the account's closing (P-63):
    /// call each one's own deletion (reset its id, unregister its token), then
    /// `sdkForgotten(_:)`. Kept until then, across restarts and the closing's wipe.
    public func sdksToForget() throws -> [String] {
        try ffi.sdksToForget()
    }

    /// The app called `sdkId`'s deletion; true if it was owed.
    @discardableResult
    public func sdkForgotten(_ sdkId: String) throws -> Bool {
        try ffi.sdkForgotten(sdkId: sdkId)
    }

    /// Whether a declared third-party SDK may start now.
    public func sdkMayStart(_ sdkId: String) throws -> Bool {
        try ffi.sdkMayStart(sdkId: sdkId)
    }

    /// Hands `items` of a declared category to a declared SDK, through the gate.
    public func discloseToSdk(_ sdkId: String, category: String, items: Int = 1) throws {
        try ffi.discloseToSdk(sdkId: sdkId, category: category, items: UInt32(clamping: items))
    }

    /// One photo the driver picked from the album as a proof (album purpose, photos
    /// permission; limited access is enough); stripped like a camera photo.
    public func takeProofFromAlbum(
        orderId: String, kind: ProofKind, step: ProofStep, source: ProofSource
    ) async throws -> Proof {
        try await offActor { [ffi] in try ffi.takeProofFromAlbum(orderId: orderId, kind: kind, step: step, source: source) }
    }

    /// The policy the person accepted, readable offline (Markdown rendered from the
    /// accepted version).
    public func policyText() throws -> PolicyText {
        try ffi.policyText()
    }

    /// The app opened (`true`) or left (`false`) a map or navigation screen (the map SDK
    /// gets positions only then, or while an order is carried).
    public func setMapVisible(_ visible: Bool) {
        ffi.setMapVisible(visible: visible)
    }
}

/// Forwards the core's notifications for one topic. The core keeps listeners for the
/// client's lifetime; the stream simply stops being read when its consumer goes away.
private final class TopicListener: ChangeListener, @unchecked Sendable {
    let topic: Topic
    let onChange: @Sendable () -> Void
    init(topic: Topic, onChange: @escaping @Sendable () -> Void) {
        self.topic = topic
        self.onChange = onChange
    }
    func changed(topic: Topic) {
        if topic == self.topic { onChange() }
    }
}

/// Routes the core's log records to `os_log` or any handler.
public enum WaybillLogs {
    private final class Sink: LogSink, @unchecked Sendable {
        let handler: @Sendable (LogRecord) -> Void
        init(handler: @escaping @Sendable (LogRecord) -> Void) { self.handler = handler }
        func log(record: LogRecord) throws { handler(record) }
    }

    /// Installs `handler` for records up to `maxLevel`, replacing any earlier one.
    @discardableResult
    public static func install(maxLevel: LogLevel = .info, handler: @escaping @Sendable (LogRecord) -> Void) -> Bool {
        setLogSink(sink: Sink(handler: handler), maxLevel: maxLevel)
    }
}
