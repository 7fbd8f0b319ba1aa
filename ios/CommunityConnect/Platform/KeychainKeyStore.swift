// The 32-byte database key core seals personal fields with: generated once with the system's
// secure random source and kept in the Keychain, readable only on this device after first unlock
// (so background sync works, and backups never carry it).
import Foundation
import Security

enum KeychainKeyStore {
    private static let service = "org.communityconnect.db-key"
    private static let keyLength = 32

    enum Failure: Error {
        case random(OSStatus)
        case keychain(OSStatus)
    }

    static func databaseKey() throws -> Data {
        if let existing = try read() { return existing }
        var bytes = Data(count: keyLength)
        let status = bytes.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, keyLength, $0.baseAddress!) }
        guard status == errSecSuccess else { throw Failure.random(status) }
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: bytes,
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else { throw Failure.keychain(added) }
        return bytes
    }

    private static func read() throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        default: throw Failure.keychain(status)
        }
    }
}
