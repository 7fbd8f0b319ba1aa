// A core for SwiftUI previews: the generated ConnectAppProtocol answered with fixed, plausible
// data, and community features with sample content. No native library is called. Never used by
// the running app.
import ConnectCoreKit
import Foundation

extension Core {
    static var preview: Core {
        Core(app: PreviewConnectApp(), community: PreviewCommunity(), decoder: { _, _, _, _ in [] })
    }
}

private let now = Date(timeIntervalSince1970: 1_763_900_000)
private let nowMillis: Int64 = 1_763_900_000_000

private let water = Meter(
    id: "0190f0a0-0000-7000-8000-0000000000a1", apartmentId: "0190f0a0-0000-7000-8000-0000000000f1",
    accountId: "0190f0a0-0000-7000-8000-000000000001", kind: .coldWater, serial: "CW-104233",
    integerDigits: 5, fractionDigits: 3, tariffs: [.single], installedOn: "2021-03-01",
    nextVerificationOn: "2027-03-01", replaces: nil
)

private let power = Meter(
    id: "0190f0a0-0000-7000-8000-0000000000a2", apartmentId: "0190f0a0-0000-7000-8000-0000000000f1",
    accountId: "0190f0a0-0000-7000-8000-000000000001", kind: .electricity, serial: "EL-88120",
    integerDigits: 6, fractionDigits: 1, tariffs: [.day, .night], installedOn: "2022-06-15",
    nextVerificationOn: nil, replaces: nil
)

private final class PreviewConnectApp: ConnectAppProtocol {
    func setListener(listener: AppListener) {}
    func requestCode(phone: String) throws {}
    func verifyCode(phone: String, code: String) throws {}
    func isLoggedIn() throws -> Bool { true }
    func logout() throws {}
    func refreshProperty() throws -> [Meter] { [water, power] }
    func meters() throws -> [Meter] { [water, power] }
    func submitReading(meterId: MeterId, values: [TariffValue], takenAt: Int64, confirmedJump: Bool) throws -> ReadingId {
        "0190f0a0-0000-7000-8000-0000000000b2"
    }
    func readings(filter: ReadingFilter) throws -> [ReadingItem] {
        [ReadingItem(
            reading: Reading(id: "0190f0a0-0000-7000-8000-0000000000b1", meterId: water.id,
                             values: [TariffValue(tariff: .single, value: "00120.500")], takenAt: nowMillis, confirmedJump: false),
            state: .rejected, receivedAt: nil, late: false,
            rejection: StoredRejection(code: "below_previous", message: "The value is below the previous reading (00123.000).", rejectedAt: nowMillis),
            attempts: 0, lastError: nil
        )]
    }
    func syncNow() async throws -> RoundEnd { .synced }
    func connectivityRegained() {}
    func verifySticker(urlOrText: String) throws -> StickerClaims {
        throw StickerScanError.NotASticker(reason: "Preview: no stickers here.")
    }
}

private struct PreviewCommunity: CommunityFeatures {
    let available = true
    func reports() throws -> [ReportSummary] {
        [ReportSummary(id: "r1", title: "Entrance door does not close", status: "in_progress", photoCount: 2, rating: nil),
         ReportSummary(id: "r2", title: "Broken lamp, 3rd floor", status: "resolved", photoCount: 1, rating: nil)]
    }
    func reportCategories() throws -> [ReportCategoryChoice] {
        [ReportCategoryChoice(code: "leak", title: "Leak", emergency: true),
         ReportCategoryChoice(code: "lighting", title: "Lighting", emergency: false)]
    }
    func outages() throws -> [OutageSummary] {
        [OutageSummary(id: "o1", utility: "hot water", description: "Planned pipe repair", startsAt: now,
                       endsAt: now.addingTimeInterval(86_400), latitude: 55.752, longitude: 37.615, mine: true)]
    }
    func refresh() async throws {}
    func pointsBalance() throws -> Int64 { 450 }
    func offers() throws -> [Offer] { [Offer(id: "f1", partner: "Bakery on Lenina", title: "Coffee", points: 300)] }
    func fileReport(category: String, text: String, place: String, photos: [Data]) async throws {}
    func rateReport(id: String, stars: Int) async throws {}
    func createVoucher(offerId: String) async throws -> Voucher {
        Voucher(id: "v1", points: 300, partner: "Bakery on Lenina", expiresAt: now.addingTimeInterval(86_400), payload: "CC1.preview")
    }
    func checkVoucher(scannedText: String) throws -> VoucherCheck { VoucherCheck(voucherId: "v1", points: 300, valid: true, reason: nil) }
    func redeemVoucher(scannedText: String) async throws {}
    func lookupBuilding(latitude: Double, longitude: Double) -> [BuildingMatch] {
        [BuildingMatch(buildingId: "b1", address: "Lenina 12", distanceMeters: 0)]
    }
}
