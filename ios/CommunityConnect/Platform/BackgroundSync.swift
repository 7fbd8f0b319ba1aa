// Background sync through BGTaskScheduler, and "connectivity regained" from NWPathMonitor.
// Backoff between failed rounds is core's; the system only decides when the app gets to run.
import BackgroundTasks
import Network

@MainActor
enum BackgroundSync {
    static let taskIdentifier = "org.communityconnect.sync"
    private static let monitor = NWPathMonitor()

    /// Call once, before the app finishes launching.
    static func register(core: Core) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: taskIdentifier, using: nil) { task in
            schedule()
            let work = Task { @MainActor in
                do {
                    try await core.syncNow()
                    task.setTaskCompleted(success: true)
                } catch {
                    task.setTaskCompleted(success: false)
                }
            }
            task.expirationHandler = { work.cancel() }
        }
        var wasOnline = true
        monitor.pathUpdateHandler = { path in
            let online = path.status == .satisfied
            if online && !wasOnline { Task { @MainActor in core.connectivityRegained() } }
            wasOnline = online
        }
        monitor.start(queue: DispatchQueue(label: "org.communityconnect.network"))
    }

    /// Asks for the next background run; call on launch and whenever the app goes to background.
    static func schedule() {
        let request = BGProcessingTaskRequest(identifier: taskIdentifier)
        request.requiresNetworkConnectivity = true
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
