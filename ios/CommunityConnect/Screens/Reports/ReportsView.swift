// Reports: file a problem with photos, follow its status, rate it once resolved.
import PhotosUI
import SwiftUI

struct ReportsView: View {
    @StateObject var model: ReportsViewModel
    @State private var title = ""
    @State private var details = ""
    @State private var picked: [PhotosPickerItem] = []

    var body: some View {
        List {
            if !model.state.available { Text("not_in_this_build") }
            if let message = model.state.message { Text(message).foregroundStyle(.red) }
            Section("new_report") {
                TextField("report_title", text: $title)
                TextField("report_description", text: $details, axis: .vertical).lineLimit(3...6)
                PhotosPicker(selection: $picked, maxSelectionCount: 5, matching: .images) {
                    Text(String(format: String(localized: "add_photos"), picked.count))
                }
                Button("send") { send() }
                    .disabled(!model.state.available || model.state.sending || title.isEmpty)
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
        let items = picked
        let (t, d) = (title, details)
        Task {
            var photos: [Data] = []
            for item in items { if let data = try? await item.loadTransferable(type: Data.self) { photos.append(data) } }
            model.file(title: t, description: d, photos: photos)
            title = ""
            details = ""
            picked = []
        }
    }
}

#Preview {
    NavigationStack { ReportsView(model: ReportsViewModel(core: .preview)) }
}
