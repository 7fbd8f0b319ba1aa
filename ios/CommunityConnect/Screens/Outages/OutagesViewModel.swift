// Outages: one CoreLocation fix, looked up in core's offline building index; outages from core.
import Foundation

struct OutagesUiState {
    var available = true
    var outages: [OutageSummary] = []
    var fix: Fix?
    /// Core's geo lookup for `fix`: the footprint containing it, or candidates within GPS error.
    var here: [BuildingMatch] = []
}

@MainActor
final class OutagesViewModel: ObservableObject {
    @Published private(set) var state = OutagesUiState()
    private let core: Core
    private let location = LocationFix()

    init(core: Core) {
        self.core = core
        state.available = core.community.available
        state.outages = (try? core.community.outages()) ?? []
    }

    func locate() async {
        guard let fix = await location.current() else { return }
        state.fix = fix
        state.here = core.community.lookupBuilding(latitude: fix.latitude, longitude: fix.longitude)
    }
}
