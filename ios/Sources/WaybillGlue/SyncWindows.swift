import Foundation
import Waybill
#if canImport(BackgroundTasks) && os(iOS)
import BackgroundTasks

/// Sync windows from `BGTaskScheduler`. The regular sync is an app-refresh task (iOS runs
/// those often, for seconds: the core's short budget); a processing task, which iOS may
/// run hours later but for minutes, is asked for only when long uploads (proof photos)
/// are left. Each window gives the core its budget, is cancelled when iOS ends it (the
/// Swift task's cancellation ends the call; the core's work is safe to stop and redo), and
/// the next one is asked for at the core's `nextAttemptAt`. Register both at launch,
/// before the app finishes launching, with the identifiers listed in
/// `BGTaskSchedulerPermittedIdentifiers`.
public enum SyncWindows {
    /// The app-refresh task's identifier.
    public static let identifier = "io.waybill.sync"
    /// The processing task's identifier (long uploads).
    public static let uploadIdentifier = "io.waybill.sync.uploads"
    /// The core's budget in an app-refresh window, seconds (iOS allows about 30).
    public static let refreshBudget: TimeInterval = 25
    /// The core's budget in a processing window, seconds (minutes, on power and network).
    public static let uploadBudget: TimeInterval = 300

    /// Registers both handlers; call once from `application(_:didFinishLaunchingWithOptions:)`.
    public static func register(client: WaybillClient, connectivity: Connectivity) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            run(task, client: client, connectivity: connectivity, budget: refreshBudget)
        }
        BGTaskScheduler.shared.register(forTaskWithIdentifier: uploadIdentifier, using: nil) { task in
            run(task, client: client, connectivity: connectivity, budget: uploadBudget)
        }
    }

    private static func run(_ task: BGTask, client: WaybillClient, connectivity: Connectivity, budget: TimeInterval) {
        let work = Task {
            let run = try? await client.syncInBackground(budget: budget, network: connectivity.current)
            schedule(at: run?.nextAttemptAt, uploadsLeft: run.map { !$0.report.completed } ?? true)
            task.setTaskCompleted(success: run?.lastError == nil)
        }
        task.expirationHandler = { work.cancel() }
    }

    /// Asks for the next window: an app refresh not before `date`, and a processing
    /// window with the network when uploads are left over.
    public static func schedule(at date: Date? = nil, uploadsLeft: Bool = false) {
        let refresh = BGAppRefreshTaskRequest(identifier: identifier)
        refresh.earliestBeginDate = date
        try? BGTaskScheduler.shared.submit(refresh)
        if uploadsLeft {
            let uploads = BGProcessingTaskRequest(identifier: uploadIdentifier)
            uploads.requiresNetworkConnectivity = true
            uploads.earliestBeginDate = date
            try? BGTaskScheduler.shared.submit(uploads)
        }
    }
}
#endif
