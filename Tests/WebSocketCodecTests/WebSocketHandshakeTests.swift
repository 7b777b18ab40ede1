import RelayCrypto
import Testing
@testable import WebSocketCodec

@Suite struct WebSocketHandshakeTests {
    let key = "dGhlIHNhbXBsZSBub25jZQ=="
    let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    var goodResponse: [(String, String)] {
        [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)]
    }

    var goodRequest: [(String, String)] {
        [("Host", "spark-api.xf-yun.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
         ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
    }

    func clientError(_ body: () throws -> Void) -> WebSocketHandshakeError? {
        do {
            try body()
            return nil
        } catch {
            return error as? WebSocketHandshakeError
        }
    }

    @Test func rfcAcceptExample() {
        #expect(WebSocketHandshake.acceptValue(forKey: key) == accept)
    }

    @Test func clientKeyIsBase64Of16RandomBytes() {
        let first = WebSocketHandshake.makeClientKey()
        let second = WebSocketHandshake.makeClientKey()
        #expect(Base64.decode(first)?.count == 16)
        #expect(first.count == 24)
        #expect(first != second)
    }

    @Test func clientRequestBytes() {
        let request = WebSocketHandshake.clientRequest(
            host: "spark-api.xf-yun.com", requestTarget: "/v3.5/chat?a=1", key: key,
            extraHeaders: [("Origin", "https://example")])
        let expected = "GET /v3.5/chat?a=1 HTTP/1.1\r\nHost: spark-api.xf-yun.com\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            + "User-Agent: spark-relay\r\nOrigin: https://example\r\n\r\n"
        #expect(request == Array(expected.utf8))
        let custom = WebSocketHandshake.clientRequest(
            host: "h", requestTarget: "/", key: key, extraHeaders: [("user-agent", "other")])
        let text = String(decoding: custom, as: UTF8.self)
        #expect(!text.contains("spark-relay"))
        #expect(text.contains("user-agent: other\r\n"))
    }

    @Test func validResponseIsAcceptedCaseInsensitively() throws {
        try WebSocketHandshake.validateServerResponse(status: 101, headers: goodResponse, key: key)
        try WebSocketHandshake.validateServerResponse(
            status: 101,
            headers: [("UPGRADE", " WebSocket "), ("connection", "keep-alive, upgrade"), ("sec-websocket-accept", accept)],
            key: key)
        try WebSocketHandshake.validateServerResponse(
            status: 101, headers: goodResponse + [("Sec-WebSocket-Extensions", "permessage-deflate")], key: key,
            requestedExtensions: ["permessage-deflate"])
    }

    @Test func non101StatusIsUnexpectedStatus() {
        let error = clientError { try WebSocketHandshake.validateServerResponse(status: 403, headers: [], key: key) }
        #expect(error?.kind == .unexpectedStatus(403))
        #expect(error?.httpStatus == 403)
    }

    @Test func responseFailures() {
        func check(_ headers: [(String, String)], _ kind: WebSocketHandshakeError.Kind, sourceLocation: SourceLocation = #_sourceLocation) {
            let error = clientError { try WebSocketHandshake.validateServerResponse(status: 101, headers: headers, key: key) }
            #expect(error?.kind == kind, sourceLocation: sourceLocation)
            #expect(error?.httpStatus == nil, sourceLocation: sourceLocation)
        }
        check(goodResponse.filter { $0.0 != "Upgrade" }, .missingUpgrade)
        check([("Upgrade", "h2c")] + goodResponse.dropFirst(), .missingUpgrade)
        check(goodResponse.filter { $0.0 != "Connection" }, .missingConnectionUpgrade)
        check([("Connection", "keep-alive")] + goodResponse.filter { $0.0 != "Connection" }, .missingConnectionUpgrade)
        check(goodResponse.filter { $0.0 != "Sec-WebSocket-Accept" }, .missingAccept)
        check(goodResponse.dropLast() + [("Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")], .acceptMismatch)
        check(goodResponse + [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")],
              .unrequestedExtension("permessage-deflate"))
        check(goodResponse + [("Sec-WebSocket-Protocol", "chat")], .unrequestedSubprotocol("chat"))
    }

    @Test func validRequestYieldsAcceptValue() {
        let result = WebSocketHandshake.validateClientRequest(method: "GET", version: "HTTP/1.1", headers: goodRequest)
        #expect(result == .success(accept))
        let mixed: [(String, String)] = [("host", "x"), ("upgrade", "WebSocket"), ("connection", "keep-alive, Upgrade"),
                                         ("sec-websocket-key", key), ("sec-websocket-version", "13")]
        #expect(WebSocketHandshake.validateClientRequest(method: "GET", version: "HTTP/1.1", headers: mixed) == .success(accept))
    }

    @Test func requestFailures() {
        func failure(_ headers: [(String, String)], method: String = "GET", version: String = "HTTP/1.1") -> WebSocketHandshakeError? {
            guard case .failure(let error) = WebSocketHandshake.validateClientRequest(method: method, version: version, headers: headers) else {
                return nil
            }
            return error
        }
        let without = { (name: String) in goodRequest.filter { $0.0 != name } }
        #expect(failure(goodRequest, method: "POST")?.kind == .methodNotGet("POST"))
        #expect(failure(goodRequest, version: "HTTP/1.0")?.kind == .unsupportedHTTPVersion("HTTP/1.0"))
        #expect(failure(without("Host"))?.kind == .missingHost)
        #expect(failure(without("Upgrade"))?.kind == .missingUpgrade)
        #expect(failure(without("Connection"))?.kind == .missingConnectionUpgrade)
        #expect(failure(without("Sec-WebSocket-Key"))?.kind == .invalidKey)
        #expect(failure(without("Sec-WebSocket-Key") + [("Sec-WebSocket-Key", Base64.encode([UInt8](repeating: 1, count: 15)))])?
            .kind == .invalidKey)
        #expect(failure(goodRequest + [("Sec-WebSocket-Key", key)])?.kind == .invalidKey)
        #expect(failure(without("Upgrade"))?.httpStatus == 400)

        let version = failure(without("Sec-WebSocket-Version") + [("Sec-WebSocket-Version", "8")])
        #expect(version?.kind == .unsupportedVersion("8"))
        #expect(version?.httpStatus == 426)
        #expect(version?.responseHeaders.map { "\($0.0): \($0.1)" } == ["Sec-WebSocket-Version: 13"])
        #expect(failure(without("Sec-WebSocket-Version"))?.kind == .unsupportedVersion(nil))
    }

    @Test func serverResponseBytes() {
        let bytes = WebSocketHandshake.serverResponse(accept: accept, extraHeaders: [("Server", "spark-sim")])
        let expected = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accept)\r\nServer: spark-sim\r\n\r\n"
        #expect(bytes == Array(expected.utf8))
    }

    @Test func errorResponseBytes() {
        let error = WebSocketHandshakeError(.unsupportedVersion("8"), httpStatus: 426, "v")
        let expected = "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n"
            + "Connection: close\r\n\r\n"
        #expect(WebSocketHandshake.errorResponse(for: error) == Array(expected.utf8))
        let bad = WebSocketHandshakeError(.missingHost, httpStatus: 400, "h")
        #expect(String(decoding: WebSocketHandshake.errorResponse(for: bad), as: UTF8.self).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }

    @Test func clientAndServerAgree() throws {
        let clientKey = WebSocketHandshake.makeClientKey()
        let request = WebSocketHandshake.clientRequest(host: "127.0.0.1:8080", requestTarget: "/v1", key: clientKey)
        // Minimal head split (no Foundation), standing in for the HTTP codec.
        let lines = String(decoding: request, as: UTF8.self).split(separator: "\r\n").map(String.init)
        let requestLine = lines[0].split(separator: " ").map(String.init)
        let headers = lines.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        let serverAccept = try WebSocketHandshake.validateClientRequest(
            method: requestLine[0], version: requestLine[2], headers: headers).get()
        try WebSocketHandshake.validateServerResponse(
            status: 101, headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", serverAccept)],
            key: clientKey)
    }
}
