// App start: the key from the Keychain, the one Core, background sync and notifications.
import SwiftUI

@main
struct CommunityConnectApp: App {
    @Environment(\.scenePhase) private var scenePhase
    @StateObject private var launch = Launch()

    var body: some Scene {
        WindowGroup {
            switch launch.state {
            case .ready(let core): RootView().environmentObject(core)
            case .failed(let reason): Text(reason).padding()
            }
        }
        .onChange(of: scenePhase) { phase in
            if phase == .background { BackgroundSync.schedule() }
        }
    }
}

/// Opens the core once; a failure here (a Keychain or database error) is shown, not crashed on.
@MainActor
final class Launch: ObservableObject {
    enum State {
        case ready(Core)
        case failed(String)
    }

    let state: State
    private let notifier = Notifier()

    init() {
        let info = Bundle.main.infoDictionary ?? [:]
        let server = info["ConnectServerURL"] as? String ?? ""
        let keys = (info["ConnectTrustedKeys"] as? String ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        do {
            let core = try Core.open(key: KeychainKeyStore.databaseKey(), serverURL: server, trustedKeys: keys)
            BackgroundSync.register(core: core)
            BackgroundSync.schedule()
            notifier.start(core: core)
            state = .ready(core)
        } catch {
            state = .failed(error.residentMessage)
        }
    }
}
