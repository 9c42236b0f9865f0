import Foundation
import XCTest
@testable import Waybill

/// The URLSession transport's request and reply mapping (macOS host, no server): the core's
/// request goes out as built, a reply over its cap is refused. The traffic itself is tested
/// end to end in Kotlin over OkHttp and in Rust over reqwest; on iOS, with `swift test`.
final class TransportTests: XCTestCase {
    private func request(_ method: HttpMethod, body: Data = Data()) -> HttpRequest {
        HttpRequest(
            method: method, url: "https://api.example/v1/uploads/abc",
            headers: [HttpHeader(name: "Tus-Resumable", value: "1.0.0"), HttpHeader(name: "Authorization", value: "Bearer t")],
            body: body, timeoutMilliseconds: 20_000, maxReplyBytes: 16)
    }

    func testTheRequestGoesOutAsTheCoreBuiltIt() throws {
        let built = try URLSessionTransport.urlRequest(request(.patch, body: Data([1, 2, 3])))
        XCTAssertEqual(built.httpMethod, "PATCH")
        XCTAssertEqual(built.url?.absoluteString, "https://api.example/v1/uploads/abc")
        XCTAssertEqual(built.value(forHTTPHeaderField: "Tus-Resumable"), "1.0.0")
        XCTAssertEqual(built.timeoutInterval, 20, accuracy: 0.001)
        XCTAssertEqual(built.httpBody, Data([1, 2, 3]))
        XCTAssertNil(try URLSessionTransport.urlRequest(request(.head)).httpBody)
    }

    func testAReplyOverItsCapIsRefused() throws {
        let url = URL(string: "https://api.example/v1/changes")!
        let response = HTTPURLResponse(url: url, statusCode: 200, httpVersion: nil, headerFields: ["Date": "x"])!
        let ok = try URLSessionTransport.reply(data: Data(count: 16), response: response, max: 16)
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.headers.first { $0.name == "Date" }?.value, "x")
        XCTAssertThrowsError(try URLSessionTransport.reply(data: Data(count: 17), response: response, max: 16)) {
            XCTAssertEqual($0 as? TransportError, .ReplyTooLarge)
        }
    }
}
