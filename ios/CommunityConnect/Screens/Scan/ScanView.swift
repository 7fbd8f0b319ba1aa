// Scan: the camera while scanning, then the verified building or the reason a code was refused.
import SwiftUI

struct ScanView: View {
    @StateObject var model: ScanViewModel

    var body: some View {
        VStack(spacing: 16) {
            switch model.state {
            case .scanning:
                Text("scan_hint")
                CameraPreview(source: model.camera)
                    .onAppear { model.camera.start() }
                    .onDisappear { model.camera.stop() }
            case .building(let id, _):
                Text("sticker_genuine").font(.title2)
                Text(String(format: String(localized: "building"), id))
                Button("scan_again") { model.scanAgain() }
            case .refused(let reason):
                Text("sticker_refused").font(.title2)
                Text(reason).foregroundStyle(.red)
                Button("scan_again") { model.scanAgain() }
            }
        }
        .padding()
        .navigationTitle("tab_scan")
    }
}

#Preview {
    ScanView(model: ScanViewModel(core: .preview))
}
