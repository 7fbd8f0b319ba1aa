// Reports: filing (with the photos' bytes) and rating go straight to core's outbox.
import Foundation

struct ReportsUiState {
    var available = true
    var reports: [ReportSummary] = []
    var categories: [ReportCategoryChoice] = []
    var sending = false
    var message: String?
}

@MainActor
final class ReportsViewModel: ObservableObject {
    @Published private(set) var state = ReportsUiState()
    private let core: Core

    init(core: Core) {
        self.core = core
        state.available = core.community.available
        reload()
    }

    func file(category: String, text: String, place: String, photos: [Data]) {
        act { try await self.core.community.fileReport(category: category, text: text, place: place, photos: photos) }
    }

    func rate(id: String, stars: Int) {
        act { try await self.core.community.rateReport(id: id, stars: stars) }
    }

    private func reload() {
        state.reports = (try? core.community.reports()) ?? []
        state.categories = (try? core.community.reportCategories()) ?? []
    }

    private func act(_ body: @escaping () async throws -> Void) {
        state.sending = true
        state.message = nil
        Task {
            do { try await body() } catch { state.message = error.residentMessage }
            state.sending = false
            reload()
        }
    }
}
