import Foundation
import HTTPCodec
import Logging
import RelayCrypto
import SparkCodec
import Synchronization
import Testing
@testable import Relay

@Suite struct MetricsTests {
    private func value(_ metrics: String, _ line: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func countersAreExactUnderConcurrency() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let streams = 24
        let results = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: streams) { index in
            guard let client = try? TestHTTPClient(port: port) else { return }
            client.postJSON("/chat/stream", #"{"prompt":"m\#(index)"}"#)
            let response = try? client.readStream()
            results.withLock { $0.append(response?.dataEvents.count ?? -1) }
        }
        let counts = results.withLock { $0 }
        #expect(counts.count == streams && counts.allSatisfy { $0 > 0 })
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        #expect(value(text, #"relay_http_requests_total{route="/chat/stream",method="POST",status="200"}"#) == Double(streams))
        #expect(value(text, "relay_chunks_relayed_total") == Double(counts.reduce(0, +)))
        #expect(value(text, "relay_streams_started_total") == Double(streams))
        #expect(value(text, "relay_time_to_first_token_seconds_count") == Double(streams))
        #expect(value(text, "relay_upstream_handshake_seconds_count") == Double(streams))
    }

    @Test func durationsOutcomesAndTokensAreCountedFromZero() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let fresh = String(decoding: application.metrics.render(), as: UTF8.self)
        #expect(value(fresh, "relay_accept_errors_total") == 0)
        #expect(value(fresh, #"relay_streams_finished_total{outcome="done"}"#) == 0)
        #expect(value(fresh, #"relay_tokens_total{model="lite",kind="completion"}"#) == 0)
        #expect(value(fresh, #"relay_http_request_duration_seconds_count{route="/chat/stream"}"#) == 0)
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"model":"lite","prompt":"one"}"#)
        let done = try client.readStream()
        let usage = try #require(done.terminalJSON?["usage"] as? [String: Any])
        client.postJSON("/chat/stream", #"{"model":"lite","prompt":"two [[error:10013]]"}"#)
        _ = try client.readStream()
        _ = try client.request("GET", "/healthz")
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        #expect(value(text, #"relay_streams_finished_total{outcome="done"}"#) == 1)
        #expect(value(text, #"relay_streams_finished_total{outcome="10013"}"#) == 1)
        // The refused stream reached Spark: its tokens count as the usage record has them, estimated
        // (the prompt's; nothing was streamed).
        let refusedPrompt = SparkTokenEstimator.estimate("two [[error:10013]]")
        #expect(value(text, #"relay_tokens_total{model="lite",kind="completion"}"#) == Double(usage["completion_tokens"] as? Int ?? -1))
        #expect(value(text, #"relay_tokens_total{model="lite",kind="prompt"}"#) == Double((usage["prompt_tokens"] as? Int ?? -1) + refusedPrompt))
        #expect(value(text, #"relay_http_request_duration_seconds_count{route="/chat/stream"}"#) == 2)
        #expect(value(text, #"relay_http_request_duration_seconds_count{route="/healthz"}"#) == 1)
        #expect(value(text, #"relay_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"}"#) == 1)
    }

    @Test func aFreshRelayListsItsKnownCountersAtZero() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        // The scrape itself is counted only once its response is done, so it reads 0 here too.
        let text = try TestHTTPClient(port: port).request("GET", "/metrics").text
        for (route, method, status) in [("/chat/stream", "POST", 200), ("/chat", "POST", 201), ("/chat/stream/{id}", "GET", 200),
                                        ("/v1/chat/completions", "POST", 200), ("/v1/models", "GET", 200),
                                        ("/v1/models/{id}", "GET", 200), ("/v1/usage", "GET", 200), ("/admin/usage", "GET", 200), ("/healthz", "GET", 200),
                                        ("/metrics", "GET", 200), ("/*", "GET", 200)] {
            let series = #"relay_http_requests_total{route="\#(route)",method="\#(method)",status="\#(status)"}"#
            #expect(value(text, series) == 0, "\(series)")
        }
        for counter in ["relay_chunks_relayed_total", "relay_bytes_relayed_total", "relay_streams_started_total",
                        "relay_cancels_on_disconnect_total", "relay_resumes_total", "relay_replayed_events_total",
                        "relay_accept_errors_total"] {
            #expect(value(text, counter) == 0, "\(counter)")
        }
        for code in ["upstream_busy", "upstream_unreachable", "upstream_timeout_idle", "upstream_closed"] {
            #expect(value(text, #"relay_upstream_errors_total{code="\#(code)"}"#) == 0, "\(code)")
        }
        // Only the success status of each route is known in advance; nothing is made up.
        let requestLines = text.split(separator: "\n").filter { $0.hasPrefix("relay_http_requests_total{") }
        #expect(requestLines.count == 11)
        #expect(!requestLines.contains { $0.contains("unmatched") || $0.contains(#"status="4"#) || $0.contains(#"status="5"#) })
    }

    @Test func aFreshRelayWithNamedKeysListsRequestsPerKeyAtZero() throws {
        let (application, _, _) = try NamedKeyTests.relay()
        defer { application.shutdown() }
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        for key in ["alpha", "beta", "-"] {
            #expect(value(text, #"relay_http_requests_total{route="/chat/stream",method="POST",status="200",key="\#(key)"}"#) == 0)
        }
        #expect(value(text, #"relay_http_requests_total{route="/chat",method="POST",status="201",key="alpha"}"#) == 0)
    }

    @Test func metricsEndpointServesPrometheusText() throws {
        let (application, port) = try ChatStreamTests.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"x [[error:11202]]"}"#)
        _ = try client.readStream()
        _ = try client.request("GET", "/missing")
        let response = try client.request("GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = response.text
        #expect(text.contains(#"relay_upstream_errors_total{code="11202"} 1"#))
        #expect(text.contains(#"relay_http_requests_total{route="/*",method="GET",status="404"} 1"#))
        #expect(text.contains("relay_active_connections 1.0"))
        #expect(!text.contains("/missing"))
    }
}

/// Secrets (API secret, signatures, signed URLs, client keys) never reach a log line, a response or
/// the metrics, on success or on failure.
@Suite struct RedactionTests {
    @Test func noSecretAppearsAnywhere() throws {
        let (simulatorHost, _) = try ChatStreamTests.relay()
        defer { simulatorHost.shutdown() }
        let good = simulatorHost.upstream.credentials
        let clientKey = "sk-client-key-that-must-not-leak"
        var configuration = RelayConfiguration()
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        configuration.log.level = "trace"
        configuration.auth = .init(enabled: true, apiKeyHashes: [Hex.encode(Digest.sha256(Array(clientKey.utf8)))])
        let logs = LogCapture()
        let logger = Logger(label: "redaction") { label in RelayLogHandler(label: label, level: .trace, sink: { logs.append($0) }) }
        var transcript = ""
        for credentials in [good, SparkCredentials(appID: good.appID, apiKey: good.apiKey, apiSecret: "wrong-secret-9f8e7d")] {
            let settings = try UpstreamSettings.make(from: configuration.upstream, mode: .spark, credentials: credentials,
                                                     base: simulatorHost.upstream.base)
            let relay = try RelayApplication(configuration: configuration, logger: logger, upstream: settings)
            let port = try relay.start().port
            let client = try TestHTTPClient(port: port)
            client.postJSON("/chat/stream", #"{"prompt":"secret check"}"#, extraHeaders: [("Authorization", "Bearer \(clientKey)")])
            transcript += try client.readStream().rawText
            client.postJSON("/v1/chat/completions", #"{"model":"lite","messages":[{"role":"user","content":"x"}]}"#,
                            extraHeaders: [("Authorization", "Bearer \(clientKey)")])
            transcript += try client.readResponse().text
            transcript += String(decoding: relay.metrics.render(), as: UTF8.self)
            transcript += "\(credentials) \(String(reflecting: credentials)) \(settings.credentials)"
            relay.shutdown()
        }
        let signed = SparkURLSigner.sign(credentials: good, url: simulatorHost.upstream.base, date: UnixTime.now())
        transcript += logs.lines.joined(separator: "\n") + "\(signed)"
        #expect(transcript.contains("401"))  // the failing run was really diagnosed
        // ... and told to the operator as the error it is, not as one more client's failure.
        #expect(logs.lines.contains { $0.contains(" error ") && $0.contains("Spark refused the relay's credentials") })
        for secret in [good.apiSecret, "wrong-secret-9f8e7d", clientKey, "authorization=", signed.signature, signed.authorization] {
            #expect(!transcript.contains(secret), "leaked: \(secret.prefix(12))…")
        }
    }

    /// A ticket id is the only credential an `EventSource` has: no log line of a ticket round trip
    /// (make, attach, resume, the 204 after the end) holds it in full; the access log shows its start.
    @Test func ticketIdsNeverReachTheLogsInFull() throws {
        let (application, port, logs) = try TestServer.application { $0.log.level = "trace" }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat", #"{"prompt":"log me [[chunks:4]]"}"#)
        let id = try #require(try client.readResponse().json?["id"] as? String)
        client.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        let stream = try client.readStream()
        let last = try #require(stream.events.last?.lastEventID)
        client.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(id):1\r\n\r\n")
        #expect(try client.readStream().terminal?.type == "done")
        client.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(last)\r\n\r\n")
        #expect(try client.readResponse().status == 204)
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readResponse()  // every access line above is written by now
        let lines = logs.lines
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.contains(id) }, "a log line holds the whole ticket id")
        #expect(lines.filter { $0.contains("path=/chat/stream/\(id.prefix(8))…") }.count == 3)
    }
}
