// PENDING FFI: reports, outages, points/vouchers, partner redeem and the geo lookup are being
// exported by connect-ffi right now. The screens are written against this small protocol so that
// wiring them is a few lines (one call per method onto the generated ConnectApp) once the exports
// land. These are presentation types, not re-declarations of core records: when the generated
// records exist they become typealiases or a one-line mapping. Mirrors Android's CommunityFeatures.kt.
import Foundation

struct ReportSummary: Identifiable, Equatable {
    let id: String
    let title: String
    let status: String
    let photoCount: Int
    let rating: Int?
}

struct OutageSummary: Identifiable, Equatable {
    let id: String
    let utility: String
    let description: String
    let startsAt: Date
    let endsAt: Date?
    let latitude: Double
    let longitude: Double
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
    /// False until connect-ffi exports these capabilities; screens then say so instead of failing.
    var available: Bool { get }

    func reports() throws -> [ReportSummary]
    func outages() throws -> [OutageSummary]
    func pointsBalance() throws -> Int64
    func offers() throws -> [Offer]

    func fileReport(title: String, description: String, photos: [Data]) async throws
    func rateReport(id: String, stars: Int) async throws
    func createVoucher(offerId: String) async throws -> Voucher
    func checkVoucher(scannedText: String) throws -> VoucherCheck
    func redeemVoucher(scannedText: String) async throws
    func lookupBuilding(latitude: Double, longitude: Double) -> [BuildingMatch]
}

struct FeatureUnavailable: LocalizedError {
    var errorDescription: String? { String(localized: "not_in_this_build") }
}

/// The honest stand-in while the exports are missing: empty state, and a clear error on use.
struct UnavailableFeatures: CommunityFeatures {
    let available = false
    func reports() throws -> [ReportSummary] { [] }
    func outages() throws -> [OutageSummary] { [] }
    func pointsBalance() throws -> Int64 { 0 }
    func offers() throws -> [Offer] { [] }
    func fileReport(title: String, description: String, photos: [Data]) async throws { throw FeatureUnavailable() }
    func rateReport(id: String, stars: Int) async throws { throw FeatureUnavailable() }
    func createVoucher(offerId: String) async throws -> Voucher { throw FeatureUnavailable() }
    func checkVoucher(scannedText: String) throws -> VoucherCheck { throw FeatureUnavailable() }
    func redeemVoucher(scannedText: String) async throws { throw FeatureUnavailable() }
    func lookupBuilding(latitude: Double, longitude: Double) -> [BuildingMatch] { [] }
}
