import Foundation
import Waybill
#if canImport(Network)
import Network

/// The core's view of the network from `NWPathMonitor`: offline, metered (cellular,
/// expensive or Low Data Mode) or unmetered. The core decides what may go on each.
public final class Connectivity: @unchecked Sendable {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "io.waybill.connectivity")

    public init() {}

    /// The core's `Network` for a path.
    public static func network(of path: NWPath) -> Network {
        guard path.status == .satisfied else { return .offline }
        return path.isExpensive || path.isConstrained ? .metered : .unmetered
    }

    /// The current network (`.offline` until the monitor's first update).
    public var current: Network { Connectivity.network(of: monitor.currentPath) }

    /// Calls `onChange` on every change until `stop()`.
    public func watch(_ onChange: @escaping @Sendable (Network) -> Void) {
        monitor.pathUpdateHandler = { path in onChange(Connectivity.network(of: path)) }
        monitor.start(queue: queue)
    }

    /// Stops watching.
    public func stop() { monitor.cancel() }
}
#endif
