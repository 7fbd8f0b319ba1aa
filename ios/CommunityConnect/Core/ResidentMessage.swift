// The words to show for a failed call. Core's errors already carry messages written for the
// resident in their `reason`; the generated errors' own description is a debug rendering.
import ConnectCoreKit
import Foundation

extension Error {
    var residentMessage: String {
        switch self {
        case ConnectError.Network(let reason), ConnectError.Rejected(_, let reason),
             ConnectError.NeedsConfirmation(let reason), ConnectError.Storage(let reason),
             ConnectError.Other(let reason):
            return reason
        case ConnectError.NeedsLogin: return "Log in first."
        case ConnectError.NotFound: return "Not found."
        case ConnectError.WrongKey: return "The local data cannot be opened with this device's key."
        case let sticker as StickerScanError: return sticker.reason
        default: return localizedDescription
        }
    }
}
