import Foundation
import XCTest
@testable import Waybill

/// The driver slice from Swift against the real reference server (macOS host only: set
/// WAYBILL_SERVER_BIN to a `cargo build -p waybill-server` binary).
final class DriverSliceTests: XCTestCase {
    private var server: Process?
    private var baseURL = ""
    private var dbPath = ""

    override func setUpWithError() throws {
        guard let bin = ProcessInfo.processInfo.environment["WAYBILL_SERVER_BIN"] else {
            throw XCTSkip("WAYBILL_SERVER_BIN is not set")
        }
        let db = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".sqlite3")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--db", db.path, "--listen", "127.0.0.1:0", "--seed-demo"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var line = Data()
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        baseURL = String(decoding: line, as: UTF8.self)
        dbPath = db.path
        server = process
    }

    /// Answers the age question and signs in with the code the development sender wrote
    /// next to the server database (the reference server's stand-in for SMS).
    private func signInByCode(_ client: WaybillClient, phone: String) async throws {
        _ = try client.declareAge(30)
        _ = try await client.requestSignInCode(phone: phone)
        let lines = try String(contentsOfFile: dbPath + ".dev-codes.jsonl", encoding: .utf8)
            .split(separator: "\n")
        let line = try XCTUnwrap(lines.last { $0.contains("\"phone\":\"\(phone)\"") })
        let field = try XCTUnwrap(line.range(of: #""code":"\d{6}""#, options: .regularExpression))
        let code = String(line[field].dropFirst(8).prefix(6))
        _ = try await client.signIn(phone: phone, code: code)
    }

    override func tearDown() {
        server?.terminate()
    }

    private func config(_ name: String) -> WaybillConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(name + UUID().uuidString)
        return WaybillConfig(dataDir: dir.path, serverUrl: baseURL, appId: "com.example.waybill.driver",
                             appVersion: "0.1.0-test", role: .driver)
    }

    func testAcceptingAnOrderAnotherDriverTookIsATypedError() async throws {
        let shanghai = LatLon(lat: 31.2304, lon: 121.4737)
        let first = try WaybillClient(config: config("a"))
        let late = try WaybillClient(config: config("b"))
        try await signInByCode(first, phone: "+15550000001")
        try await signInByCode(late, phone: "+15550000002")
        let target = try await first.refreshOpenOrders(near: shanghai, radiusMeters: 60_000)[0].id
        _ = try await late.refreshOpenOrders(near: shanghai, radiusMeters: 60_000)

        _ = try first.acceptOrder(id: target)
        let pushed = try await first.sync().pushed
        XCTAssertEqual(pushed, 1)
        _ = try late.acceptOrder(id: target)
        let report = try await late.sync()
        XCTAssertEqual(report.rejected.map(\.reason), [.takenByAnotherDriver])

        XCTAssertThrowsError(try late.acceptOrder(id: target)) { error in
            guard case let WaybillError.OrderNotAvailable(orderId, reason) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(orderId, target)
            XCTAssertEqual(reason, .takenByAnotherDriver)
        }
    }
}
