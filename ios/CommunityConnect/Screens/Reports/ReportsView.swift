// Reports: file a problem with photos, follow its status, rate it once resolved.
import PhotosUI
import SwiftUI

struct ReportsView: View {
    @StateObject var model: ReportsViewModel
    @State private var category: String?
    @State private var details = ""
    @State private var place = ""
    @State private var picked: [PhotosPickerItem] = []

    var body: some View {
        List {
            if !model.state.available { Text("not_in_this_build") }
            if let message = model.state.message { Text(message).foregroundStyle(.red) }
            Section("new_report") {
                Picker("report_title", selection: $category) {
                    Text("—").tag(String?.none)
                    ForEach(model.state.categories) { c in Text(c.title).tag(Optional(c.code)) }
                }
                TextField("report_description", text: $details, axis: .vertical).lineLimit(3...6)
                TextField("report_place", text: $place)
                PhotosPicker(selection: $picked, maxSelectionCount: 5, matching: .images) {
                    Text(String(format: String(localized: "add_photos"), picked.count))
                }
                Button("send") { send() }
                    .disabled(!model.state.available || model.state.sending || category == nil || details.isEmpty)
            }
            ForEach(model.state.reports) { report in
                VStack(alignment: .leading) {
                    Text(report.title).font(.headline)
                    Text(String(format: String(localized: "report_status"), report.status))
                    if let rating = report.rating {
                        Text(String(repeating: "★", count: rating))
                    } else if report.status == "resolved" {
                        HStack { ForEach(1...5, id: \.self) { stars in Button("\(stars)★") { model.rate(id: report.id, stars: stars) } } }
                            .buttonStyle(.borderless)
                    }
                }
            }
        }
        .navigationTitle("tab_reports")
    }

    private func send() {
        guard let chosen = category else { return }
        let items = picked
        let (d, p) = (details, place)
        Task {
            var photos: [Data] = []
            for item in items { if let data = try? await item.loadTransferable(type: Data.self) { photos.append(data) } }
            model.file(category: chosen, text: d, place: p, photos: photos)
            category = nil
            details = ""
            place = ""
            picked = []
        }
    }
}

#Preview {
    NavigationStack { ReportsView(model: ReportsViewModel(core: .preview)) }
}
