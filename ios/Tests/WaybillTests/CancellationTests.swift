import Foundation
import XCTest
@testable import Waybill

/// Per-call cancellation and stream clean-up (macOS host; the behaviour itself is tested
/// in Rust by `tests/tests/cancel.rs`). No server is needed: calls to a non-routable
/// address stay in flight (connecting) until cancelled.
final class CancellationTests: XCTestCase {
    private func client() throws -> WaybillClient {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cancel" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = WaybillConfig(dataDir: dir.path, serverUrl: "https://10.255.255.1", appId: "com.example.driver",
                                   appVersion: "1.0", role: .driver)
        return try WaybillClient(config: config)
    }

    /// Cancelling one task ends its call only: another call in flight is not cancelled.
    func testCancellingOneTaskLeavesTheOtherCallRunning() async throws {
        let waybill = try client()
        _ = try waybill.acceptPolicy(askedVia: "test")
        let screen = Task { try await waybill.browseOffersAsGuest(near: LatLon(lat: 31.23, lon: 121.47)) }
        let other = Task { try await waybill.browseOffersAsGuest(near: LatLon(lat: 31.23, lon: 121.47)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        screen.cancel()
        do {
            _ = try await screen.value
            XCTFail("the cancelled call returned")
        } catch WaybillError.Cancelled {}
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertFalse(other.isCancelled)
        other.cancel()
        _ = try? await other.value
    }

    /// A settings stream that ends removes its listener, so the client can be freed.
    func testAnEndedStreamRemovesItsListener() async throws {
        let waybill = try client()
        let before = waybill.listenerCount()
        let reader = Task {
            for await _ in waybill.privacySettingsUpdates() { break }
        }
        _ = await reader.value
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(waybill.listenerCount(), before)
    }
}
