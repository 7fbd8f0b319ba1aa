// Partner mode: scan a resident's voucher, see the offline verdict, redeem it online.
import SwiftUI

struct PartnerView: View {
    @StateObject var model: PartnerViewModel

    var body: some View {
        VStack(spacing: 16) {
            switch model.state {
            case .scanning:
                CameraPreview(source: model.camera)
                    .onAppear { model.camera.start() }
                    .onDisappear { model.camera.stop() }
            case .checked(_, let check, let redeeming):
                if check.valid {
                    Text(String(format: String(localized: "voucher_points"), check.points)).font(.title2)
                    Button("redeem") { model.redeem() }.disabled(redeeming)
                } else {
                    Text(check.reason ?? String(localized: "voucher_invalid")).foregroundStyle(.red)
                }
                Button("scan_again") { model.scanNext() }
            case .redeemed(let points):
                Text(String(format: String(localized: "redeemed"), points))
                Button("scan_again") { model.scanNext() }
            case .failed(let reason):
                Text(reason).foregroundStyle(.red)
                Button("scan_again") { model.scanNext() }
            }
        }
        .padding()
        .navigationTitle("partner_mode")
    }
}

#Preview {
    PartnerView(model: PartnerViewModel(core: .preview))
}
