// Outages: a map with the resident and the outages around them, and the list.
import MapKit
import SwiftUI

struct OutagesView: View {
    @StateObject var model: OutagesViewModel
    @State private var region = MKCoordinateRegion(
        center: CLLocationCoordinate2D(latitude: 55.751, longitude: 37.618),
        span: MKCoordinateSpan(latitudeDelta: 0.04, longitudeDelta: 0.04)
    )

    var body: some View {
        List {
            if !model.state.available { Text("not_in_this_build") }
            if let here = model.state.here.first { Text(String(format: String(localized: "you_are_at"), here.address)) }
            Map(coordinateRegion: $region, showsUserLocation: true, annotationItems: model.state.outages.filter { $0.latitude != nil && $0.longitude != nil }) { outage in
                MapMarker(coordinate: CLLocationCoordinate2D(latitude: outage.latitude ?? 0, longitude: outage.longitude ?? 0), tint: .red)
            }
            .frame(height: 280)
            if model.state.outages.isEmpty { Text("no_outages") }
            ForEach(model.state.outages) { Text("\($0.utility): \($0.description)") }
        }
        .navigationTitle("tab_outages")
        .task { await model.locate() }
        .onChange(of: model.state.fix) { fix in
            if let fix { region.center = CLLocationCoordinate2D(latitude: fix.latitude, longitude: fix.longitude) }
        }
    }
}

#Preview {
    NavigationStack { OutagesView(model: OutagesViewModel(core: .preview)) }
}
