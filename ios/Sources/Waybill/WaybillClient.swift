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
