// Scan: every frame goes to core's decoder; the first code found is checked as a building sticker
// offline by core. A refusal is shown in core's words and scanning stops until the resident retries.
import Foundation

enum ScanUiState: Equatable {
    case scanning
    case building(id: String, issuedOn: String)
    case refused(reason: String)
}

@MainActor
final class ScanViewModel: ObservableObject {
    @Published private(set) var state = ScanUiState.scanning
    private(set) lazy var camera = CameraFrameSource { [weak self] luma, width, height, stride in
        self?.onFrame(luma: luma, width: width, height: height, rowStride: stride)
    }
    private let core: Core
    /// Read on the camera queue; written on the main actor.
    private nonisolated(unsafe) var scanning = true

    init(core: Core) { self.core = core }

    /// Called on the camera queue.
    private nonisolated func onFrame(luma: Data, width: Int, height: Int, rowStride: Int) {
        guard scanning, let code = core.decode(luma: luma, width: width, height: height, rowStride: rowStride).first else { return }
        scanning = false
        let outcome = core.verifySticker(code.text)
        Task { @MainActor in
            switch outcome {
            case .opened(let id, let issuedOn): state = .building(id: id, issuedOn: issuedOn)
            case .refused(let reason): state = .refused(reason: reason)
            }
        }
    }

    func scanAgain() {
        state = .scanning
        scanning = true
    }
}
