// CommunityFeatures over the generated ConnectApp, the Swift twin of Android's CoreCommunity.kt:
// each method is one call into core (blocking ones off the main thread) and a one-to-one mapping of
// core's records to the screens' presentation types. No rules live here: validation, queueing,
// sync, voucher signatures and the geo index are core's.
import ConnectCoreKit
import Foundation

final class CoreCommunity: CommunityFeatures, @unchecked Sendable {
    let available = true
    private let app: any ConnectAppProtocol

    init(app: any ConnectAppProtocol) {
        self.app = app
    }

    func reports() throws -> [ReportSummary] {
        try app.reports().map { r in
            ReportSummary(
                id: r.id,
                title: [r.number, r.category, String(r.text.prefix(60))].compactMap { $0 }.joined(separator: " · "),
                status: "\(r.status)".lowercased(),
                photoCount: Int(r.photoCount),
                rating: r.rating.map { Int($0) }
            )
        }
    }

    func reportCategories() throws -> [ReportCategoryChoice] {
        try app.reportCategories().map { ReportCategoryChoice(code: $0.code, title: $0.title, emergency: $0.emergency) }
    }

    func outages() throws -> [OutageSummary] {
        try app.outages().map { item in
            let o = item.outage
            return OutageSummary(
                id: o.id,
                utility: "\(o.utility)",
                description: o.description,
                startsAt: Date(timeIntervalSince1970: Double(o.startsAt) / 1000),
                endsAt: (o.endedAt ?? o.expectedEndAt).map { Date(timeIntervalSince1970: Double($0) / 1000) },
                latitude: item.lat,
                longitude: item.lon,
                mine: item.mine
            )
        }
    }

    func pointsBalance() throws -> Int64 { try app.pointsBalance() }

    func offers() throws -> [Offer] {
        try app.offers().map { Offer(id: $0.id, partner: $0.partnerName, title: $0.title, points: Int64($0.points)) }
    }

    func refresh() async throws {
        try await offMain { app in
            _ = try app.refreshReportCategories()
            _ = try app.refreshPoints()
        }
    }

    func fileReport(category: String, text: String, place: String, photos: [Data]) async throws {
        // One home: core files it there; several: the server asks for the building (a rejection).
        _ = try await offMain { try $0.fileReport(buildingId: nil, category: category, text: text, place: place, photos: photos) }
    }

    func rateReport(id: String, stars: Int) async throws {
        _ = try await offMain { try $0.rateReport(id: id, stars: UInt8(min(max(stars, 1), 5)), comment: nil) }
    }

    func createVoucher(offerId: String) async throws -> Voucher {
        guard let offer = try app.offers().first(where: { $0.id == offerId }) else { throw ConnectError.NotFound }
        let issued = try await offMain { try $0.createVoucher(points: offer.points, partnerId: offer.partnerId) }
        return Voucher(
            id: issued.voucher.id,
            points: Int64(issued.voucher.points),
            partner: offer.partnerName,
            expiresAt: Date(timeIntervalSince1970: Double(issued.voucher.expiresAt) / 1000),
            payload: issued.token
        )
    }

    /// The cashier's offline check: signature, expiry and partner, before redeeming online.
    func checkVoucher(scannedText: String) throws -> VoucherCheck {
        guard let partner = try app.cashierPartner() else {
            return VoucherCheck(voucherId: "", points: 0, valid: false, reason: String(localized: "cashier_sign_in_first"))
        }
        do {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let claims = try app.verifyVoucher(token: scannedText, partnerId: partner, now: now)
            return VoucherCheck(voucherId: claims.id, points: Int64(claims.points), valid: true, reason: nil)
        } catch let ConnectError.Rejected(_, reason) {
            return VoucherCheck(voucherId: "", points: 0, valid: false, reason: reason)
        }
    }

    func redeemVoucher(scannedText: String) async throws {
        // One attempt id per tap: a retry after a lost answer never debits twice.
        let attempt = UUID().uuidString.lowercased()
        _ = try await offMain { try $0.redeem(token: scannedText, attemptId: attempt) }
    }

    func lookupBuilding(latitude: Double, longitude: Double) -> [BuildingMatch] {
        switch try? app.locate(lat: latitude, lon: longitude, accuracyM: 25) {
        case .inside(let b)?:
            return [BuildingMatch(buildingId: b.buildingId, address: b.address ?? "", distanceMeters: 0)]
        case .near(let candidates)?:
            return candidates.map { BuildingMatch(buildingId: $0.building.buildingId, address: $0.building.address ?? "", distanceMeters: $0.distanceM) }
        case .nothing?, nil:
            return []
        }
    }

    private func offMain<T>(_ body: @escaping (any ConnectAppProtocol) throws -> T) async throws -> T {
        let app = self.app
        return try await Task.detached(priority: .userInitiated) { try body(app) }.value
    }
}
