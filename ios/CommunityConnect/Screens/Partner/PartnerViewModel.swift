// Partner mode: core checks a scanned voucher offline at once (genuine, not expired, for this
// partner); redeeming is online and atomic on the server, so a second cashier's attempt fails there.
import Foundation

enum PartnerUiState: Equatable {
    case scanning
    case checked(scannedText: String, check: VoucherCheck, redeeming: Bool)
    case redeemed(points: Int64)
    case failed(reason: String)
}

@MainActor
final class PartnerViewModel: ObservableObject {
    @Published private(set) var state = PartnerUiState.scanning
    private(set) lazy var camera = CameraFrameSource { [weak self] luma, width, height, stride in
        self?.onFrame(luma: luma, width: width, height: height, rowStride: stride)
    }
    private let core: Core
    /// Read on the camera queue; written on the main actor.
    private nonisolated(unsafe) var scanning = true

    init(core: Core) { self.core = core }

    /// Called on the camera queue.
    private nonisolated func onFrame(luma: Data, width: Int, height: Int, rowStride: Int) {
        guard scanning, let text = core.decode(luma: luma, width: width, height: height, rowStride: rowStride).first?.text else { return }
        scanning = false
        Task { @MainActor in
            do {
                state = .checked(scannedText: text, check: try core.community.checkVoucher(scannedText: text), redeeming: false)
            } catch {
                state = .failed(reason: error.residentMessage)
            }
        }
    }

    func redeem() {
        guard case .checked(let text, let check, false) = state else { return }
        state = .checked(scannedText: text, check: check, redeeming: true)
        Task {
            do {
                try await core.community.redeemVoucher(scannedText: text)
                state = .redeemed(points: check.points)
            } catch {
                state = .failed(reason: error.residentMessage)
            }
        }
    }

    func scanNext() {
        state = .scanning
        scanning = true
    }
}
