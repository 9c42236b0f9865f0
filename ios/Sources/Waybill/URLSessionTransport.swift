import Foundation
@_exported import WaybillFFI

/// The core's requests over the app's own `URLSession` (ADR 0014): the system's proxy
/// settings, trust store (an MDM-installed CA included), App Transport Security and
/// `NSPinnedDomains` apply to Waybill's traffic as to every other request of the app. The
/// core built the request and decides everything about it; this moves bytes, does not
/// follow redirects, caps the reply and cancels the task when the core stops waiting.
///
/// Large proof chunks can go through a background session instead
/// (`BackgroundUploadTransport`): iOS keeps those going while the app is suspended.
public final class URLSessionTransport: NSObject, HttpTransport, URLSessionTaskDelegate, @unchecked Sendable {
    private let session: URLSession

    /// A transport over `configuration` (the app's: its proxy dictionary, TLS minimum,
    /// caching off). `delegate` sees every task's authentication challenge first: custom
    /// trust or pinning the app does in code goes there.
    public init(configuration: URLSessionConfiguration = .ephemeral) {
        let configuration = configuration.copy() as! URLSessionConfiguration
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
        super.init()
    }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        let urlRequest = try Self.urlRequest(request)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest, delegate: self)
        } catch let error as URLError where error.code == .timedOut {
            throw TransportError.TimedOut
        } catch let error as URLError {
            // No URL in the reason: URLs carry queries (a coarse position).
            throw TransportError.Failed(reason: "URLError \(error.code.rawValue)")
        }
        return try Self.reply(data: data, response: response, max: request.maxReplyBytes)
    }

    /// Redirects come back as they are: the core never follows one with its token.
    public func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest
    ) async -> URLRequest? {
        nil
    }

    static func urlRequest(_ request: HttpRequest) throws -> URLRequest {
        guard let url = URL(string: request.url) else {
            throw TransportError.Failed(reason: "not a URL")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = Self.method(request.method)
        urlRequest.timeoutInterval = TimeInterval(request.timeoutMilliseconds) / 1000
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            urlRequest.httpBody = request.body
        }
        return urlRequest
    }

    static func method(_ method: HttpMethod) -> String {
        switch method {
        case .get: return "GET"
        case .post: return "POST"
        case .put: return "PUT"
        case .patch: return "PATCH"
        case .delete: return "DELETE"
        case .head: return "HEAD"
        case .options: return "OPTIONS"
        }
    }

    static func reply(data: Data, response: URLResponse, max: UInt64) throws -> HttpResponse {
        guard let http = response as? HTTPURLResponse else {
            throw TransportError.Failed(reason: "not an HTTP reply")
        }
        if UInt64(data.count) > max {
            throw TransportError.ReplyTooLarge
        }
        let headers = http.allHeaderFields.compactMap { name, value -> HttpHeader? in
            guard let name = name as? String else { return nil }
            return HttpHeader(name: name, value: "\(value)")
        }
        return HttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: data)
    }
}
