// The one observable model over the Rust core: owns the generated ConnectApp, runs its blocking
// calls off the main thread and republishes listener events as published state. No rules live
// here; validation, queueing and sync are core's.
import ConnectCoreKit
import Foundation

/// The outcome of a submit, already split into what the Readings screen shows.
enum SubmitOutcome: Equatable {
    case queued(readingId: String)
    case rejected(code: String, reason: String)
    case needsConfirmation(reason: String)
}

/// A sticker scan, with the refusal already in words for the resident.
enum StickerOutcome: Equatable {
    case opened(buildingId: String, issuedOn: String)
    case refused(reason: String)
}

@MainActor
final class Core: ObservableObject {
    @Published private(set) var loggedIn = false
    @Published private(set) var meters: [Meter] = []
    @Published private(set) var readings: [ReadingItem] = []
    @Published private(set) var syncing = false
    /// The latest listener event, for notifications and banners.
    @Published private(set) var lastEvent: AppEvent?

    /// Reports, outages, points, the partner till and the offline lookup; see `CommunityFeatures`.
    let community: CommunityFeatures

    private let app: any ConnectAppProtocol
    private let decoder: (Data, UInt32, UInt32, UInt32) throws -> [DecodedCode]

    init(
        app: any ConnectAppProtocol,
        community: CommunityFeatures? = nil,
        decoder: @escaping (Data, UInt32, UInt32, UInt32) throws -> [DecodedCode] = { luma, width, height, stride in
            try decodeFrame(luma: luma, width: width, height: height, rowStride: stride)
        }
    ) {
        self.app = app
        self.community = community ?? CoreCommunity(app: app)
        self.decoder = decoder
        app.setListener(listener: EventForwarder(core: self))
        loggedIn = (try? app.isLoggedIn()) ?? false
        reloadLocal()
    }

    /// Opens the real core with the key from the Keychain.
    static func open(key: Data, serverURL: String, trustedKeys: [String]) throws -> Core {
        let support = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        var dbURL = support.appendingPathComponent("connect.sqlite")
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? dbURL.setResourceValues(values)
        let config = AppConfig(dbPath: dbURL.path, serverUrl: serverURL, dbKey: key, trustedKeys: trustedKeys)
        return Core(app: try ConnectApp.open(config: config))
    }

    fileprivate func handle(_ event: AppEvent) {
        lastEvent = event
        switch event {
        case .syncStarted:
            syncing = true
        case .syncFinished(let end):
            syncing = false
            if case .needsLogin = end { loggedIn = false }
            reloadLocal()
        case .sessionExpired:
            loggedIn = false
        case .syncProgress, .readingAccepted, .readingRejected:
            reloadLocal()
        }
    }

    private func reloadLocal() {
        meters = (try? app.meters()) ?? meters
        readings = (try? app.readings(filter: .all)) ?? readings
    }

    func requestCode(phone: String) async throws {
        try await offMain { try $0.requestCode(phone: phone) }
    }

    func verifyCode(phone: String, code: String) async throws {
        try await offMain { try $0.verifyCode(phone: phone, code: code) }
        loggedIn = true
        try await refreshProperty()
    }

    func logout() async throws {
        try await offMain { try $0.logout() }
        loggedIn = false
    }

    func refreshProperty() async throws {
        meters = try await offMain { try $0.refreshProperty() }
    }

    func submitReading(meterId: String, values: [TariffValue], takenAt: Date, confirmedJump: Bool) async throws -> SubmitOutcome {
        // A rejected reading is stored too: the list shows it with its reason.
        defer { reloadLocal() }
        let millis = Int64(takenAt.timeIntervalSince1970 * 1000)
        do {
            let id = try await offMain { try $0.submitReading(meterId: meterId, values: values, takenAt: millis, confirmedJump: confirmedJump) }
            return .queued(readingId: id)
        } catch ConnectError.Rejected(let code, let reason) {
            return .rejected(code: code, reason: reason)
        } catch ConnectError.NeedsConfirmation(let reason) {
            return .needsConfirmation(reason: reason)
        }
    }

    func syncNow() async throws {
        _ = try await app.syncNow()
    }

    func connectivityRegained() {
        app.connectivityRegained()
    }

    /// Decodes a camera luma plane; called on the camera's queue, never the main thread.
    nonisolated func decode(luma: Data, width: Int, height: Int, rowStride: Int) -> [DecodedCode] {
        (try? decoder(luma, UInt32(width), UInt32(height), UInt32(rowStride))) ?? []
    }

    nonisolated func verifySticker(_ text: String) -> StickerOutcome {
        do {
            let claims = try app.verifySticker(urlOrText: text)
            return .opened(buildingId: claims.buildingId, issuedOn: claims.issuedOn)
        } catch {
            // Core's messages are already written for the resident (other host, forged, update the app).
            return .refused(reason: error.residentMessage)
        }
    }

    /// Core's blocking calls go to a background thread so the UI never waits on disk or network.
    private func offMain<T>(_ body: @escaping (any ConnectAppProtocol) throws -> T) async throws -> T {
        let app = self.app
        return try await Task.detached(priority: .userInitiated) { try body(app) }.value
    }
}

extension StickerScanError {
    /// Every refusal carries a message for the resident.
    var reason: String {
        switch self {
        case .NotASticker(let reason), .OtherHost(let reason), .UpdateApp(let reason), .ForgedSticker(let reason):
            return reason
        case .UnknownKey(_, let reason):
            return reason
        }
    }
}

/// Core calls back on its own threads; events hop to the main actor.
private final class EventForwarder: AppListener {
    private weak var core: Core?

    init(core: Core) { self.core = core }

    func onEvent(event: AppEvent) {
        Task { @MainActor [weak core] in core?.handle(event) }
    }
}
