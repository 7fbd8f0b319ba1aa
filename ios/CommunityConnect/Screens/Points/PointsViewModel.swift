// Points: core creates and signs the voucher; the screen only draws its payload as a QR code.
import Foundation

struct PointsUiState {
    var available = true
    var balance: Int64 = 0
    var offers: [Offer] = []
    var voucher: Voucher?
    var message: String?
}

@MainActor
final class PointsViewModel: ObservableObject {
    @Published var state = PointsUiState()
    private let core: Core

    init(core: Core) {
        self.core = core
        state.available = core.community.available
        state.balance = (try? core.community.pointsBalance()) ?? 0
        state.offers = (try? core.community.offers()) ?? []
    }

    func createVoucher(offerId: String) {
        Task {
            do {
                state.voucher = try await core.community.createVoucher(offerId: offerId)
                state.message = nil
            } catch {
                state.message = error.residentMessage
            }
        }
    }
}
