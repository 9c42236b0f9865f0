import Foundation
@_exported import WaybillFFI

/// Idiomatic Swift entry point to the Waybill core.
///
/// Network calls are Rust async functions awaited with Swift concurrency; local database
/// calls are short and run on the caller's task. Errors are `WaybillError` cases generated
/// from the core's error enum. Note: cancelling a Swift `Task` does not cancel the Rust
/// future (UniFFI limitation); the core keeps every operation safe to finish or retry.
public final class WaybillClient: Sendable {
    private let ffi: WaybillFFI.Waybill

    /// Opens (creating or migrating) the client's database. No network traffic.
    public init(config: WaybillConfig) throws {
        ffi = try WaybillFFI.Waybill.open(config: config)
    }

    /// Registers this installation once; returns the account id.
    public func signIn() async throws -> String {
        try await ffi.signIn()
    }

    /// Downloads open offers within `radiusMeters` of `near` (sent rounded to ~1 km).
    public func refreshOpenOrders(near: LatLon, radiusMeters: UInt32) async throws -> [Order] {
        try await ffi.refreshOpenOrders(near: near, radiusM: radiusMeters)
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
    public func acceptOrder(id: String) throws -> Order {
        try ffi.acceptOrder(orderId: id)
    }

    /// Goods loaded (accepted → picked up); durable on return, works offline.
    public func pickUp(id: String) throws -> Order {
        try ffi.pickUp(orderId: id)
    }

    /// Signed off (picked up → delivered); durable on return, works offline.
    public func deliver(id: String) throws -> Order {
        try ffi.deliver(orderId: id)
    }

    /// Reports a problem on an order (status unchanged); works offline.
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
        try await ffi.sync()
    }

    /// Refusals the UI has not dismissed.
    public func rejections() throws -> [Rejection] {
        try ffi.rejections()
    }

    /// Forgets a refusal the user has seen.
    public func dismissRejection(id: Int64) throws {
        try ffi.dismissRejection(id: id)
    }

    /// The privacy settings screen now.
    public func privacySettings() throws -> SettingsView {
        try ffi.privacySettings()
    }

    /// The privacy settings screen, yielded now and after every change the core reports
    /// (a switch, a sync, a retention sweep, a cancellation).
    public func privacySettingsUpdates() -> AsyncStream<SettingsView> {
        let ffi = self.ffi
        return AsyncStream { continuation in
            let yieldView: @Sendable () -> Void = {
                if let view = try? ffi.privacySettings() { continuation.yield(view) }
            }
            ffi.addListener(listener: TopicListener(topic: .privacy, onChange: yieldView))
            yieldView()
        }
    }

    /// The user accepted the policy in force; returns the receipts.
    public func acceptPolicy(askedVia: String) throws -> [Receipt] {
        try ffi.acceptPolicy(askedVia: askedVia)
    }

    /// The user switched a consent-based purpose on or off; returns the receipt.
    public func decide(purpose: String, allow: Bool, askedVia: String) throws -> Receipt {
        try ffi.decide(purpose: purpose, allow: allow, askedVia: askedVia)
    }

    /// The consignor's and consignee's contact: full only if `reveal` and the order is open and yours.
    public func orderContact(orderId: String, reveal: Bool) throws -> OrderContact? {
        try ffi.orderContact(orderId: orderId, reveal: reveal)
    }

    /// Records location fixes for the order being carried (needs the trajectory consent).
    public func recordFixes(orderId: String, fixes: [Fix]) throws -> UInt32 {
        try ffi.recordFixes(orderId: orderId, fixes: fixes)
    }

    /// Takes a photo proof for a step of an order this driver holds: checked (JPEG or PNG),
    /// stripped of its metadata but the orientation, kept under its SHA-256 in the app's
    /// private folder. Needs the photo proof purpose.
    public func takeProof(
        orderId: String, kind: ProofKind, step: ProofStep, source: ProofSource,
        captured: Capture = Capture(at: Date(), elapsedMs: nil)
    ) throws -> Proof {
        try ffi.takeProof(orderId: orderId, kind: kind, step: step, source: source, captured: captured)
    }

    /// Discards a proof (a blurred photo): record, file, and its unfinished upload on the server.
    public func discardProof(orderId: String, sha256: String) throws -> Bool {
        try ffi.discardProof(orderId: orderId, sha256: sha256)
    }

    /// The proofs of an order, in upload order.
    public func proofs(orderId: String) throws -> [Proof] {
        try ffi.proofs(orderId: orderId)
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
    public func deliverWithOverride(orderId: String, reason: String) throws -> Order {
        try ffi.deliverWithOverride(orderId: orderId, reason: reason)
    }

    /// Makes recorded fixes durable now: call it when the app moves to the background.
    public func flushFixes() throws -> UInt32 {
        try ffi.flushFixes()
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
    public func exportPersonalData() throws -> String {
        try ffi.exportPersonalData()
    }

    /// Files an access, correction or deletion request with the policy's deadline.
    public func requestRight(_ kind: RightKind, detail: String) throws -> RightsRequest {
        try ffi.requestRight(kind: kind, detail: detail)
    }

    /// Closes the account on the server, then wipes this device; offline it stays queued.
    public func cancelAccount() async throws {
        try await ffi.cancelAccount()
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
