// Home: login by phone code, then the property from core's local store (refreshed on demand).
import Combine
import ConnectCoreKit
import Foundation

struct HomeUiState {
    var loggedIn = false
    var codeSent = false
    var busy = false
    var syncing = false
    /// Meters grouped by the account they bill to, in a stable order.
    var accounts: [(account: String, meters: [Meter])] = []
    var outages: [OutageSummary] = []
    var error: String?
}

@MainActor
final class HomeViewModel: ObservableObject {
    @Published private(set) var state = HomeUiState()
    private let core: Core

    init(core: Core) {
        self.core = core
        core.$loggedIn.combineLatest(core.$meters, core.$syncing)
            .map { loggedIn, meters, syncing in (loggedIn, Dictionary(grouping: meters, by: \.accountId), syncing) }
            .sink { [weak self] loggedIn, byAccount, syncing in
                self?.state.loggedIn = loggedIn
                self?.state.syncing = syncing
                self?.state.accounts = byAccount.keys.sorted().map { ($0, byAccount[$0] ?? []) }
            }
            .store(in: &subscriptions)
        state.outages = (try? core.community.outages()) ?? []
    }

    private var subscriptions = Set<AnyCancellable>()

    func requestCode(phone: String) { run { try await self.core.requestCode(phone: phone); self.state.codeSent = true } }
    func verifyCode(phone: String, code: String) { run { try await self.core.verifyCode(phone: phone, code: code) } }
    func refresh() { run { try await self.core.refreshProperty() } }
    func logout() { run { try await self.core.logout(); self.state.codeSent = false } }

    private func run(_ body: @escaping () async throws -> Void) {
        state.busy = true
        state.error = nil
        Task {
            do { try await body() } catch { state.error = error.residentMessage }
            state.busy = false
        }
    }
}
