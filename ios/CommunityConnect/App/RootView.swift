// The tab bar over every screen; Partner mode is the last tab. View models get the one Core.
import SwiftUI

struct RootView: View {
    @EnvironmentObject private var core: Core

    var body: some View {
        TabView {
            NavigationStack { HomeView(model: HomeViewModel(core: core)) }
                .tabItem { Label("tab_home", systemImage: "house") }
            NavigationStack { ScanView(model: ScanViewModel(core: core)) }
                .tabItem { Label("tab_scan", systemImage: "qrcode.viewfinder") }
            NavigationStack { ReadingsView(model: ReadingsViewModel(core: core)) }
                .tabItem { Label("tab_readings", systemImage: "gauge") }
            NavigationStack { ReportsView(model: ReportsViewModel(core: core)) }
                .tabItem { Label("tab_reports", systemImage: "exclamationmark.bubble") }
            NavigationStack { OutagesView(model: OutagesViewModel(core: core)) }
                .tabItem { Label("tab_outages", systemImage: "map") }
            NavigationStack { PointsView(model: PointsViewModel(core: core)) }
                .tabItem { Label("tab_points", systemImage: "star") }
            NavigationStack { PartnerView(model: PartnerViewModel(core: core)) }
                .tabItem { Label("tab_partner", systemImage: "storefront") }
        }
    }
}
