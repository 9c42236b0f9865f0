import Foundation
@_exported import WaybillFFI

/// Proof chunks through a background `URLSession`, which iOS keeps sending while the app
/// is suspended or terminated (docs/ios.md §3); every other request goes through the
/// foreground transport.
///
/// A tus `PATCH` of at least `threshold` bytes is written to a short-lived file in the
/// app's protected container (readable after the first unlock, so a locked phone still
/// uploads; excluded from backup), handed to the background session, and the file is
/// deleted when the task ends, whatever its outcome. The core learns the server's offset
/// from the reply when the app is still running, and otherwise from its next tus `HEAD`:
/// tus makes a chunk that landed while the app was away count without any callback.
/// When the core stops waiting (its deadline, a cancelled sync) the upload is left
/// running, not cancelled: that is the point of handing it over.
public final class BackgroundUploadTransport: NSObject, HttpTransport, URLSessionDataDelegate,
    @unchecked Sendable
{
    /// The session identifier the app passes back from
    /// `application(_:handleEventsForBackgroundURLSession:completionHandler:)`.
    public let identifier: String
    private let foreground: HttpTransport
    private let threshold: Int
    private let folder: URL
    private var session: URLSession!
    private let lock = NSLock()
    private var waiting: [Int: CheckedContinuation<HttpResponse, Error>] = [:]
    private var received: [Int: Data] = [:]
    private var maxBytes: [Int: UInt64] = [:]
    private var eventsDone: (() -> Void)?

    /// `identifier` names the background session (one per app); chunks of `threshold`
    /// bytes or more go through it.
    public init(
        identifier: String, foreground: HttpTransport = URLSessionTransport(), threshold: Int = 256 * 1024
    ) throws {
        self.identifier = identifier
        self.foreground = foreground
        self.threshold = threshold
        var folder = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        ).appendingPathComponent("waybill-uploads", isDirectory: true)
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication])
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try folder.setResourceValues(values)
        self.folder = folder
        super.init()
        let configuration = URLSessionConfiguration.background(withIdentifier: identifier)
        configuration.sessionSendsLaunchEvents = true
        configuration.isDiscretionary = false
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        deleteOrphanFiles()
    }

    /// From `application(_:handleEventsForBackgroundURLSession:completionHandler:)`: the
    /// session (recreated with the same identifier at launch) delivers what finished while
    /// the app was away; `completionHandler` runs once it has.
    public func handleEvents(forSession identifier: String, completionHandler: @escaping () -> Void) {
        guard identifier == self.identifier else { return }
        lock.locked { eventsDone = completionHandler }
    }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard request.method == .patch, request.body.count >= threshold else {
            return try await foreground.send(request: request)
        }
        var urlRequest = try URLSessionTransport.urlRequest(request)
        urlRequest.httpBody = nil
        let file = folder.appendingPathComponent(UUID().uuidString)
        try request.body.write(to: file, options: [.completeFileProtectionUntilFirstUserAuthentication])
        let task = session.uploadTask(with: urlRequest, fromFile: file)
        task.taskDescription = file.lastPathComponent
        return try await withCheckedThrowingContinuation { continuation in
            lock.locked {
                waiting[task.taskIdentifier] = continuation
                maxBytes[task.taskIdentifier] = request.maxReplyBytes
            }
            task.resume()
        }
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.locked { received[dataTask.taskIdentifier, default: Data()].append(data) }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let name = task.taskDescription {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let (continuation, data, max) = lock.locked {
            (
                waiting.removeValue(forKey: task.taskIdentifier),
                received.removeValue(forKey: task.taskIdentifier) ?? Data(),
                maxBytes.removeValue(forKey: task.taskIdentifier) ?? 0
            )
        }
        // A task from before a relaunch has no one waiting: its file is gone, and the
        // core's next HEAD reads the offset it reached.
        guard let continuation else { return }
        if let error = error as? URLError {
            continuation.resume(throwing: TransportError.Failed(reason: "URLError \(error.code.rawValue)"))
        } else if let response = task.response {
            continuation.resume(with: Result { try URLSessionTransport.reply(data: data, response: response, max: max) })
        } else {
            continuation.resume(throwing: TransportError.Failed(reason: "no reply"))
        }
    }

    public func urlSessionDidFinishEvents(forBackgroundURLSession session: URLSession) {
        let done = lock.locked { () -> (() -> Void)? in
            defer { eventsDone = nil }
            return eventsDone
        }
        DispatchQueue.main.async { done?() }
    }

    /// Files no running task names (the app was killed between writing and handing over,
    /// or the system dropped the task) go at start.
    private func deleteOrphanFiles() {
        session.getAllTasks { [folder] tasks in
            let running = Set(tasks.compactMap(\.taskDescription))
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in files where !running.contains(name) {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}

private extension NSLock {
    /// `withLock` is iOS 16+; the package targets iOS 15.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
