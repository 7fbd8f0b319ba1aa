// Points: balance, offers to exchange points for, and the voucher QR shown to a partner's cashier.
import SwiftUI

struct PointsView: View {
    @StateObject var model: PointsViewModel

    var body: some View {
        List {
            if !model.state.available { Text("not_in_this_build") }
            Text(String(format: String(localized: "balance"), model.state.balance)).font(.title2)
            if let message = model.state.message { Text(message).foregroundStyle(.red) }
            ForEach(model.state.offers) { offer in
                VStack(alignment: .leading) {
                    Text(offer.title).font(.headline)
                    Text(String(format: String(localized: "offer_line"), offer.partner, offer.points))
                    Button("get_voucher") { model.createVoucher(offerId: offer.id) }
                        .disabled(model.state.balance < offer.points)
                }
            }
        }
        .navigationTitle("tab_points")
        .sheet(item: $model.state.voucher) { VoucherSheet(voucher: $0) }
    }
}

private struct VoucherSheet: View {
    let voucher: Voucher

    var body: some View {
        VStack(spacing: 16) {
            Text(String(format: String(localized: "voucher_points"), voucher.points)).font(.title2)
            if let image = VoucherQR.image(for: voucher.payload) {
                Image(uiImage: image).interpolation(.none).resizable().scaledToFit()
                    .accessibilityLabel(Text("voucher_qr"))
            }
            Text(String(format: String(localized: "valid_until"), voucher.expiresAt.formatted()))
        }
        .padding()
    }
}

#Preview {
    NavigationStack { PointsView(model: PointsViewModel(core: .preview)) }
}
