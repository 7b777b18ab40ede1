import Foundation
import HTTPCodec
import RelayCrypto
import Testing
@testable import Relay

/// Client API keys, rate and stream limits, and CORS, over real sockets.
@Suite struct AccessTests {
    static let key = "sk-test-0123456789"
    static var keyHash: String { Hex.encode(Digest.sha256(Array(key.utf8))) }

    @Test func apiKeysAreRequiredOnTheAPIButNotForTicketStreams() throws {
        let (application, port) = try ChatStreamTests.relay { $0.auth = .init(enabled: true, apiKeyHashes: [Self.keyHash]) }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"x"}"#)
        let missing = try client.readResponse()
        #expect(missing.status == 401)
        #expect(missing.errorCode == "invalid_api_key")
        #expect(missing.headers["WWW-Authenticate"] == #"Bearer realm="spark-relay""#)
        client.postJSON("/chat/stream", #"{"prompt":"x"}"#, extraHeaders: [("Authorization", "Bearer wrong")])
        #expect(try client.readResponse().status == 401)
        let v1 = try client.request("GET", "/v1/models")
        #expect(v1.status == 401)
        #expect((v1.json?["error"] as? [String: Any])?["param"] is NSNull)
        client.postJSON("/chat", #"{"prompt":"ticket"}"#, extraHeaders: [("Authorization", "Bearer \(Self.key)")])
        let ticket = try client.readResponse()
        #expect(ticket.status == 201)
        let url = try #require(ticket.json?["stream_url"] as? String)
        // The ticket id is the capability: EventSource cannot send headers.
        client.send("GET \(url) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readStream().terminal?.type == "done")
        let health = try client.request("GET", "/healthz")
        #expect(health.json?["auth"] as? String == "on")
        #expect(!application.configuration.auth.apiKeyHashes.contains(Self.key))
    }

    @Test func requestRateIsLimitedPerClient() throws {
        let (application, port) = try ChatStreamTests.relay { $0.limits.requestsPerMinute = 6; $0.limits.burst = 2 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        for _ in 0..<2 { #expect(try client.request("GET", "/v1/models").status == 200) }
        let limited = try client.request("GET", "/v1/models")
        #expect(limited.status == 429)
        #expect(Int(limited.headers["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(try client.request("GET", "/healthz").status == 200)
    }

    @Test func behindATrustedProxyClientsAreLimitedByTheirForwardedAddress() throws {
        let (application, port, logs) = try TestServer.application {
            $0.upstream.mode = .simulator
            $0.server.trustedProxies = ["127.0.0.0/8", "::1"]
            $0.limits.requestsPerMinute = 6
            $0.limits.burst = 2
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        func models(_ forwardedFor: String) throws -> Int {
            try client.request("GET", "/v1/models", headers: [("X-Forwarded-For", forwardedFor)]).status
        }
        #expect(try models("198.51.100.1") == 200)
        #expect(try models("198.51.100.1") == 200)
        #expect(try models("198.51.100.1") == 429)
        // Another client behind the same proxy has its own bucket; a claim left of it changes nothing.
        #expect(try models("198.51.100.2") == 200)
        #expect(try models("203.0.113.7, 198.51.100.2") == 200)
        #expect(try models("203.0.113.8, 198.51.100.2") == 429)
        // A malformed header is ignored: the (trusted) peer is the client.
        #expect(try models("unknown") == 200)
        let access = logs.lines.filter { $0.contains(" access ") }
        #expect(access.filter { $0.contains("client=198.51.100.1") }.count == 3)
        #expect(access.filter { $0.contains("client=198.51.100.2") }.count == 3)
        #expect(access.contains { $0.contains("client=127.0.0.1") })
        #expect(!access.contains { $0.contains("203.0.113") })
    }

    @Test func forwardedForFromAnUntrustedPeerGainsNothing() throws {
        let (application, port, logs) = try TestServer.application {
            $0.upstream.mode = .simulator
            $0.limits.requestsPerMinute = 6
            $0.limits.burst = 2
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        var statuses: [Int] = []
        for index in 0..<3 {
            statuses.append(try client.request("GET", "/v1/models", headers: [("X-Forwarded-For", "198.51.100.\(index)")]).status)
        }
        #expect(statuses == [200, 200, 429])
        #expect(!logs.lines.contains { $0.contains("198.51.100") })
    }

    @Test func concurrentStreamsPerClientAndServerAreBounded() throws {
        let (application, port) = try ChatStreamTests.relay { $0.limits.maxStreamsPerClient = 1 }
        defer { application.shutdown() }
        let first = try TestHTTPClient(port: port)
        first.postJSON("/chat/stream", #"{"prompt":"long [[chunks:50]] [[delay:20]]"}"#)
        _ = try first.readStream(stopAfter: 1)
        let second = try TestHTTPClient(port: port)
        second.postJSON("/chat/stream", #"{"prompt":"x"}"#)
        let refused = try second.readResponse()
        #expect(refused.status == 429)
        #expect(refused.errorCode == "too_many_streams_for_client")
        #expect(try first.drainChunkedRemainder().contains("event: done"))
        // The slot is back once the first stream is over.
        let deadline = ContinuousClock.now + .seconds(5)
        while application.gate.openStreams > 0 && ContinuousClock.now < deadline { usleep(5_000) }
        second.postJSON("/chat/stream", #"{"prompt":"x"}"#)
        #expect(try second.readStream().terminal?.type == "done")

        let (server, serverPort) = try ChatStreamTests.relay { $0.limits.maxStreams = 1 }
        defer { server.shutdown() }
        let holder = try TestHTTPClient(port: serverPort)
        holder.postJSON("/chat/stream", #"{"prompt":"long [[chunks:50]] [[delay:20]]"}"#)
        _ = try holder.readStream(stopAfter: 1)
        let other = try TestHTTPClient(port: serverPort)
        other.postJSON("/v1/chat/completions", #"{"model":"lite","messages":[{"role":"user","content":"x"}]}"#)
        let busy = try other.readResponse()
        #expect(busy.status == 503)
        #expect(busy.headers["Retry-After"] == "1")
    }

    @Test func corsPreflightAndResponseHeaders() throws {
        let (application, port) = try ChatStreamTests.relay {
            $0.cors = .init(allowedOrigins: ["https://app.example"], allowCredentials: true, maxAge: 120)
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let preflight = try client.request("OPTIONS", "/chat", headers: [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type")])
        #expect(preflight.status == 204)
        #expect(preflight.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(preflight.headers["Access-Control-Allow-Credentials"] == "true")
        #expect(preflight.headers["Access-Control-Allow-Headers"]?.contains("Last-Event-ID") == true)
        #expect(preflight.headers["Access-Control-Allow-Headers"]?.contains("Content-Type") == true)
        #expect(preflight.headers["Access-Control-Max-Age"] == "120")
        let denied = try client.request("OPTIONS", "/chat", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")])
        #expect(denied.status == 403)
        #expect(denied.headers["Access-Control-Allow-Origin"] == nil)
        client.postJSON("/chat/stream", #"{"prompt":"cors"}"#, extraHeaders: [("Origin", "https://app.example")])
        let stream = try client.readStream()
        #expect(stream.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(stream.headers["Access-Control-Expose-Headers"]?.contains("X-Stream-Id") == true)
        #expect(stream.headers["Vary"] == "Origin")
        let other = try client.request("GET", "/healthz", headers: [("Origin", "https://evil.example")])
        #expect(other.headers["Access-Control-Allow-Origin"] == nil)
    }
}

@Suite struct TokenBucketTests {
    @Test func refillsAtTheRateUpToCapacity() {
        var bucket = TokenBucket(capacity: 2, ratePerSecond: 1, now: 0)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == 1)
        #expect(bucket.take(now: 0.5) == 0.5)
        #expect(bucket.take(now: 1.0) == nil)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) != nil)
    }
}
