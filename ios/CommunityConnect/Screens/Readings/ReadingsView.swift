// Readings: one form per meter (a field per tariff), then the queue and the rejected with reasons.
import ConnectCoreKit
import SwiftUI

struct ReadingsView: View {
    @StateObject var model: ReadingsViewModel

    var body: some View {
        List {
            if let message = model.state.message { Text(message).foregroundStyle(.red) }
            ForEach(model.state.meters, id: \.id) { meter in
                MeterForm(meter: meter) { model.submit(meterId: meter.id, values: $0) }
            }
            Section(String(format: String(localized: "queue"), model.state.queued.count)) {
                Button("sync_now") { model.syncNow() }.disabled(model.state.syncing)
                ForEach(model.state.queued, id: \.reading.id) { ReadingRow(item: $0) }
            }
            Section("rejected") {
                ForEach(model.state.rejected, id: \.reading.id) { ReadingRow(item: $0) }
            }
        }
        .navigationTitle("tab_readings")
        .alert("jump_title", isPresented: .constant(model.state.confirmation != nil), presenting: model.state.confirmation) { _ in
            Button("jump_confirm") { model.confirmJump() }
            Button("jump_fix", role: .cancel) { model.dismissConfirmation() }
        } message: { Text($0.reason) }
    }
}

private struct MeterForm: View {
    let meter: Meter
    let onSubmit: ([Tariff: String]) -> Void
    @State private var values: [Tariff: String] = [:]

    var body: some View {
        Section("\(String(describing: meter.kind)) · \(meter.serial)") {
            if let due = meter.nextVerificationOn { Text(String(format: String(localized: "verification_due"), due)) }
            ForEach(meter.tariffs, id: \.self) { tariff in
                TextField(String(describing: tariff), text: Binding(get: { values[tariff] ?? "" }, set: { values[tariff] = $0 }))
                    .keyboardType(.decimalPad)
            }
            Button("submit") { onSubmit(values) }.disabled(values.count != meter.tariffs.count)
        }
    }
}

private struct ReadingRow: View {
    let item: ReadingItem

    var body: some View {
        VStack(alignment: .leading) {
            Text(item.reading.values.map { "\(String(describing: $0.tariff)) \($0.value)" }.joined(separator: ", "))
            if let rejection = item.rejection { Text(rejection.message).foregroundStyle(.red) }
            if let error = item.lastError { Text(String(format: String(localized: "will_retry"), error)).font(.footnote) }
        }
    }
}

#Preview {
    NavigationStack { ReadingsView(model: ReadingsViewModel(core: .preview)) }
}
