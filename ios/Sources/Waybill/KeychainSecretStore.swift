import Foundation
#if canImport(Security)
import Security
#endif

/// The core's secure store on Apple platforms: each secret (the core's data key) is a
/// generic-password Keychain item, readable after the first unlock so background sync can
/// open the database, and never migrated to another device by a backup
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`).
public final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    private let service: String

    /// Items under `service` (one per app; the default suits one client per app).
    public init(service: String = "io.waybill.secrets") {
        self.service = service
    }

    private func query(_ name: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: name,
        ]
    }

    public func load(name: String) throws -> Data? {
        var q = query(name)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var out: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &out)
        switch status {
        case errSecSuccess:
            return out as? Data
        case errSecItemNotFound:
            return nil
        default:
            throw SecretStoreError.Failed(reason: "SecItemCopyMatching: \(status)")
        }
    }

    public func save(name: String, value: Data) throws {
        let update: [String: Any] = [
            kSecValueData as String: value,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(query(name) as CFDictionary, update as CFDictionary)
        if status == errSecItemNotFound {
            var add = query(name)
            add.merge(update) { _, new in new }
            status = SecItemAdd(add as CFDictionary, nil)
        }
        guard status == errSecSuccess else {
            throw SecretStoreError.Failed(reason: "saving the secret: \(status)")
        }
    }

    public func delete(name: String) throws {
        let status = SecItemDelete(query(name) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw SecretStoreError.Failed(reason: "SecItemDelete: \(status)")
        }
    }
}
