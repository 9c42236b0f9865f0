import Foundation
import Waybill
#if canImport(BackgroundTasks) && os(iOS)
import BackgroundTasks

/// Sync windows from `BGTaskScheduler`: a processing task that needs the network, given
/// the core's time budget, cancelled when iOS ends the window (the Swift task's
/// cancellation ends the wait; the core's work is safe to stop and redo), and scheduled
/// again at the core's `nextAttemptAt`. Register at launch, before the app finishes
/// launching, with the identifier listed in `BGTaskSchedulerPermittedIdentifiers`.
public enum SyncWindows {
    /// The default task identifier.
    public static let identifier = "io.waybill.sync"
    /// The core's budget per window (iOS gives processing tasks minutes, not hours).
    public static let budgetMs: UInt32 = 60_000

    /// Registers the handler; call once from `application(_:didFinishLaunchingWithOptions:)`.
    public static func register(client: WaybillClient, connectivity: Connectivity, identifier: String = identifier) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            let work = Task {
                let run = try? await client.syncInBackground(budgetMs: budgetMs, network: connectivity.current)
                schedule(identifier: identifier, at: run?.nextAttemptAt)
                task.setTaskCompleted(success: run?.lastError == nil)
            }
            task.expirationHandler = { work.cancel() }
        }
    }

    /// Asks for a window when the network is up, not before `date`.
    public static func schedule(identifier: String = identifier, at date: Date? = nil) {
        let request = BGProcessingTaskRequest(identifier: identifier)
        request.requiresNetworkConnectivity = true
        request.earliestBeginDate = date
        try? BGTaskScheduler.shared.submit(request)
    }
}
#endif
