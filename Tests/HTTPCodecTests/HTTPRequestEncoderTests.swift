import HTTPCodec
import Testing

/// The client's request encoder: exact bytes, Host and framing owned by the encoder, validation
/// errors (never a crash, never an injected line), and what it writes parsed back by the server's parser.
struct HTTPRequestEncoderTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func kind(method: HTTPMethod = .get, target: String = "/", host: String = "h", port: Int? = nil,
                      headers: [(String, String)] = []) -> HTTPHeaderValidationError.Kind? {
        do {
            _ = try HTTPRequestEncoder.encode(method: method, target: target, host: host, port: port, headers: headers)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func postWithBodyHostPortAndFieldsInOrder() throws {
        let body = Array(#"{"model":"x"}"#.utf8)
        let out = try HTTPRequestEncoder.encode(
            method: .post, target: "/v1/chat/completions", host: "spark-api-open.xf-yun.com", port: 8443,
            headers: [("Authorization", "Bearer k"), ("Content-Type", "application/json"), ("Accept", "text/event-stream")],
            body: body)
        #expect(text(out) == "POST /v1/chat/completions HTTP/1.1\r\nHost: spark-api-open.xf-yun.com:8443\r\n"
            + "Authorization: Bearer k\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
            + "Content-Length: 13\r\n\r\n" + #"{"model":"x"}"#)
    }

    @Test func getWithoutBodyHasNoContentLengthAndDefaultPortIsOmitted() throws {
        let out = try HTTPRequestEncoder.encode(method: .get, target: "/models?x=1", host: "example.com")
        #expect(text(out) == "GET /models?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    }

    @Test func emptyPostSaysContentLengthZero() throws {
        let out = try HTTPRequestEncoder.encode(method: .post, target: "/", host: "h")
        #expect(text(out) == "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func callerHostAndFramingFieldsAreReplaced() throws {
        let out = try HTTPRequestEncoder.encode(
            method: .put, target: "/x", host: "h", port: 81,
            headers: [("host", "evil"), ("Content-Length", "999"), ("Transfer-Encoding", "chunked"), ("X-A", "1")],
            body: [1, 2])
        #expect(text(out) == "PUT /x HTTP/1.1\r\nHost: h:81\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n\u{1}\u{2}")
    }

    @Test func ipv6LiteralsAreBracketed() throws {
        let out = try HTTPRequestEncoder.encode(method: .get, target: "/", host: "::1", port: 8080)
        #expect(text(out) == "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
    }

    @Test func asteriskOnlyForOptions() throws {
        let out = try HTTPRequestEncoder.encode(method: .options, target: "*", host: "h")
        #expect(text(out) == "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(kind(method: .get, target: "*") == .invalidRequestTarget)
    }

    @Test func crAndLfAnywhereAreValidationErrors() {
        #expect(kind(headers: [("X-A", "a\r\nSet-Cookie: x")]) == .invalidValue)
        #expect(kind(headers: [("X-A", "a\nb")]) == .invalidValue)
        #expect(kind(headers: [("X-A", "a\rb")]) == .invalidValue)
        #expect(kind(headers: [("X-A", "a\u{0}b")]) == .invalidValue)
        #expect(kind(headers: [("X-A\r\nX-B", "v")]) == .invalidName)
        #expect(kind(headers: [("X-A\n", "v")]) == .invalidName)
        #expect(kind(headers: [("Bad Name", "v")]) == .invalidName)
        #expect(kind(headers: [("", "v")]) == .invalidName)
        #expect(kind(headers: [("X:A", "v")]) == .invalidName)
        #expect(kind(method: HTTPMethod(rawValue: "GET /x HTTP/1.1\r\n")) == .invalidMethod)
        #expect(kind(method: HTTPMethod(rawValue: "")) == .invalidMethod)
        #expect(kind(target: "/a\r\nX: y") == .invalidRequestTarget)
        #expect(kind(target: "/a b") == .invalidRequestTarget)
        #expect(kind(target: "http://h/a") == .invalidRequestTarget)
        #expect(kind(target: "") == .invalidRequestTarget)
        #expect(kind(host: "h\r\nX: y") == .invalidHost)
        #expect(kind(host: "") == .invalidHost)
        #expect(kind(host: "a b") == .invalidHost)
        #expect(kind(host: "u@h") == .invalidHost)
        #expect(kind(port: 70000) == .invalidHost)
        #expect(kind() == nil)
    }

    @Test func aValueErrorNamesTheFieldButNeverEchoesTheValue() {
        do {
            _ = try HTTPRequestEncoder.encode(method: .get, target: "/", host: "h", headers: [("Authorization", "Bearer secret\r\n")])
            Issue.record("expected a validation error")
        } catch {
            #expect(error.kind == .invalidValue)
            #expect(error.name == "Authorization")
            #expect(!error.description.contains("secret"))
        }
    }

    @Test func theServersParserReadsBackWhatWasEncoded() throws {
        let body = Array("hello, world".utf8)
        let bytes = try HTTPRequestEncoder.encode(method: .post, target: "/v1/chat/completions?stream=1", host: "127.0.0.1", port: 8080,
                                                  headers: [("Accept", "text/event-stream"), ("X-Empty", "")], body: body)
        var parser = HTTPRequestParser()
        parser.append(bytes)
        var parts: [HTTPRequestPart] = []
        while let part = try parser.next() { parts.append(part) }
        guard case .head(let head)? = parts.first else {
            Issue.record("no head: \(parts)")
            return
        }
        #expect(head.method == .post)
        #expect(head.path == "/v1/chat/completions")
        #expect(head.query == "stream=1")
        #expect(head.host == "127.0.0.1:8080")
        #expect(head.keepAlive)
        #expect(head.headers["x-empty"] == "")
        #expect(Array(parts.dropFirst()) == [.body(body), .end])
        #expect(parser.isIdle)
    }
}
