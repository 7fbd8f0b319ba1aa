// Readings: hands the typed values to core, which validates, stores and queues them offline. The
// outcome (queued, rejected with a reason, or "are you sure?") comes back already decided.
import Combine
import ConnectCoreKit
import Foundation

struct PendingConfirmation: Equatable {
    let meterId: String
    let values: [Tariff: String]
    let reason: String
}

struct ReadingsUiState {
    var meters: [Meter] = []
    var queued: [ReadingItem] = []
    var rejected: [ReadingItem] = []
    var syncing = false
    /// Core asked for confirmation of an unusual jump; the alert resubmits the same values.
    var confirmation: PendingConfirmation?
    var message: String?
}

@MainActor
final class ReadingsViewModel: ObservableObject {
    @Published private(set) var state = ReadingsUiState()
    private let core: Core
    private var subscriptions = Set<AnyCancellable>()

    init(core: Core) {
        self.core = core
        core.$meters.combineLatest(core.$readings, core.$syncing)
            .sink { [weak self] meters, items, syncing in
                self?.state.meters = meters
                self?.state.queued = items.filter { $0.state == .queued }
                self?.state.rejected = items.filter { $0.state == .rejected }
                self?.state.syncing = syncing
            }
            .store(in: &subscriptions)
    }

    /// `values` holds the text typed per tariff; core parses and checks the digits.
    func submit(meterId: String, values: [Tariff: String], confirmedJump: Bool = false) {
        let tariffValues = values.map { TariffValue(tariff: $0.key, value: $0.value.trimmingCharacters(in: .whitespaces)) }
        Task {
            do {
                switch try await core.submitReading(meterId: meterId, values: tariffValues, takenAt: Date(), confirmedJump: confirmedJump) {
                case .queued:
                    state.confirmation = nil
                    state.message = nil
                case .rejected(_, let reason):
                    state.confirmation = nil
                    state.message = reason
                case .needsConfirmation(let reason):
                    state.confirmation = PendingConfirmation(meterId: meterId, values: values, reason: reason)
                }
            } catch {
                state.confirmation = nil
                state.message = error.residentMessage
            }
        }
    }

    func confirmJump() {
        guard let pending = state.confirmation else { return }
        submit(meterId: pending.meterId, values: pending.values, confirmedJump: true)
    }

    func dismissConfirmation() { state.confirmation = nil }

    func syncNow() { Task { try? await core.syncNow() } }
}
