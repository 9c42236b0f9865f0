import Combine
import Foundation

/// The account section of the settings screen, for SwiftUI: the account's standing, its
/// devices (this one marked `current`), the real-name check where the policy offers one,
/// and the actions (sign out another device, this one or every one; ask a step-up code).
/// Failures land in `error`, never thrown at the view.
@MainActor
public final class AccountSettingsModel: ObservableObject {
    /// Guest, signed in, signed out, suspended or closed.
    @Published public private(set) var account: AccountState = .guest
    /// The account's devices (empty until loaded, or when not signed in).
    @Published public private(set) var devices: [DeviceSession] = []
    /// The real-name check in apps whose policy offers one (the shipper's); else nil.
    @Published public private(set) var realName: RealNameState?
    /// Where the last step-up code went, masked.
    @Published public private(set) var stepUpSentTo: String?
    /// An action is running.
    @Published public private(set) var busy = false
    /// The last action's typed failure (`WaybillError`), for the view to explain.
    @Published public private(set) var error: Error?

    private let client: WaybillClient

    /// The model over `client`; call `refresh()` when the screen appears.
    public init(client: WaybillClient) {
        self.client = client
    }

    /// Reloads the standing, the devices (network) and the real-name state.
    public func refresh() async {
        await act {
            self.account = try self.client.accountState()
            guard case .signedIn = self.account else {
                self.devices = []
                return
            }
            self.devices = try await self.client.accountDevices().devices
            let offered = try self.client.privacySettings().purposes
                .contains { $0.id == "real_name_verification" }
            self.realName = offered ? try self.client.realNameState() : nil
        }
    }

    /// Signs another device of the account out (a lost phone).
    public func signOutDevice(id: String) async {
        await act {
            try await self.client.signOutDevice(id)
            self.devices.removeAll { $0.id == id }
        }
    }

    /// Signs this device (or every device) out; what this device holds is wiped.
    public func signOut(everywhere: Bool = false) async {
        await act {
            try await self.client.signOut(everywhere: everywhere)
            self.account = try self.client.accountState()
            self.devices = []
        }
    }

    /// Sends a step-up code to the account's number (export, deletion, correction, closing).
    public func requestStepUpCode() async {
        await act {
            self.stepUpSentTo = try await self.client.requestStepUpCode().phoneMasked
        }
    }

    private func act(_ body: () async throws -> Void) async {
        busy = true
        error = nil
        defer { busy = false }
        do {
            try await body()
        } catch {
            self.error = error
        }
    }
}
