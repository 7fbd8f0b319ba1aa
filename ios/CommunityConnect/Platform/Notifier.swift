// Core's listener events as local notifications (rejected readings, session expired). Without the
// resident's permission this stays silent rather than failing.
import Combine
import ConnectCoreKit
import UserNotifications

@MainActor
final class Notifier {
    private var subscription: AnyCancellable?

    func start(core: Core) {
        UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { _, _ in }
        subscription = core.$lastEvent.compactMap { $0 }.sink { [weak self] in self?.post($0) }
    }

    private func post(_ event: AppEvent) {
        let content = UNMutableNotificationContent()
        let id: String
        switch event {
        case .readingRejected(let readingId, _, let message):
            id = readingId
            content.title = String(localized: "reading_rejected")
            content.body = message
        case .sessionExpired:
            id = "session"
            content.title = String(localized: "session_expired")
            content.body = String(localized: "session_expired_text")
        default:
            return
        }
        UNUserNotificationCenter.current().add(UNNotificationRequest(identifier: id, content: content, trigger: nil))
    }
}
