// Reports, outages, points/vouchers, the partner till and the offline building lookup, as the
// screens see them. `CoreCommunity` implements it over the generated ConnectApp (one call per
// method, no rules); `UnavailableFeatures` stands in where no core is open. Presentation types,
// mapped one-to-one from core's records in `CoreCommunity`. Mirrors Android's CommunityFeatures.kt.
import Foundation

struct ReportSummary: Identifiable, Equatable {
    let id: String
    let title: String
    let status: String
    let photoCount: Int
    let rating: Int?
}

/// A report category the server publishes (`leak`, `lift`…), with its title for the picker.
struct ReportCategoryChoice: Identifiable, Equatable {
    let code: String
    let title: String
    let emergency: Bool
    var id: String { code }
}

/// An outage; `latitude`/`longitude` are those of one affected building when the app knows it.
struct OutageSummary: Identifiable, Equatable {
    let id: String
    let utility: String
    let description: String
    let startsAt: Date
    let endsAt: Date?
    let latitude: Double?
    let longitude: Double?
    /// It hits one of the resident's own buildings (listed first).
    var mine = false
}

struct Offer: Identifiable, Equatable {
    let id: String
    let partner: String
    let title: String
    let points: Int64
}

/// A voucher as the resident shows it: `payload` is the signed text drawn as a QR code.
struct Voucher: Identifiable, Equatable {
    let id: String
    let points: Int64
    let partner: String?
    let expiresAt: Date
    let payload: String
}

/// A partner's offline check of a scanned voucher, before redeeming online.
struct VoucherCheck: Equatable {
    let voucherId: String
    let points: Int64
    let valid: Bool
    let reason: String?
}

struct BuildingMatch: Equatable {
    let buildingId: String
    let address: String
    let distanceMeters: Double
}

protocol CommunityFeatures {
    /// False where no core is open (previews without data); screens then say so.
    var available: Bool { get }

    func reports() throws -> [ReportSummary]
    func reportCategories() throws -> [ReportCategoryChoice]
    func outages() throws -> [OutageSummary]
    func pointsBalance() throws -> Int64
    func offers() throws -> [Offer]

    /// Fetches categories, points and offers from the server (after login, on refresh).
    func refresh() async throws
    /// Files a report in `category` (a `ReportCategoryChoice.code`); queued offline, sent by sync.
    func fileReport(category: String, text: String, place: String, photos: [Data]) async throws
    func rateReport(id: String, stars: Int) async throws
    func createVoucher(offerId: String) async throws -> Voucher
    func checkVoucher(scannedText: String) throws -> VoucherCheck
    func redeemVoucher(scannedText: String) async throws
    func lookupBuilding(latitude: Double, longitude: Double) -> [BuildingMatch]
}

struct FeatureUnavailable: LocalizedError {
    var errorDescription: String? { String(localized: "not_in_this_build") }
}

/// The stand-in where no core is open: empty state, and a clear error on use.
struct UnavailableFeatures: CommunityFeatures {
    let available = false
    func reports() throws -> [ReportSummary] { [] }
    func reportCategories() throws -> [ReportCategoryChoice] { [] }
    func outages() throws -> [OutageSummary] { [] }
    func pointsBalance() throws -> Int64 { 0 }
    func offers() throws -> [Offer] { [] }
    func refresh() async throws {}
    func fileReport(category: String, text: String, place: String, photos: [Data]) async throws { throw FeatureUnavailable() }
    func rateReport(id: String, stars: Int) async throws { throw FeatureUnavailable() }
    func createVoucher(offerId: String) async throws -> Voucher { throw FeatureUnavailable() }
    func checkVoucher(scannedText: String) throws -> VoucherCheck { throw FeatureUnavailable() }
    func redeemVoucher(scannedText: String) async throws { throw FeatureUnavailable() }
    func lookupBuilding(latitude: Double, longitude: Double) -> [BuildingMatch] { [] }
}
