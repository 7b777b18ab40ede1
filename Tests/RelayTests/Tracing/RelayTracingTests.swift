import Foundation
import HTTPCodec
import Logging
import RelayTracing
import SparkCodec
import SparkSimulator
import Testing
@testable import Relay

/// The relay's spans, read in-process from a `SpanCollector` behind the relay's own `RelayTracer`:
/// a server span per request (the caller's `traceparent` as parent), a client span per upstream
/// attempt with the GenAI attributes and the first-token and end events, error status on a Spark
/// error, failover, ticket links, sampling, and the trace id in the access log and the usage record.
/// The same spans through the OTLP exporter to an independent receiver are checked end to end
/// (Tests/EndToEnd/test_tracing.py).
@Suite struct RelayTracingTests {
    static let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let callerSpan = "00f067aa0ba902b7"
    static let traceParent = "00-\(callerTrace)-\(callerSpan)-01"

    static func relay(ratio: Double = 1, _ configure: (inout RelayConfiguration) -> Void = { _ in })
        throws -> (RelayApplication, Int, SpanCollector, LogCapture) {
        let collector = SpanCollector()
        let tracer = RelayTracer(sampler: TraceSampler(ratio: ratio), exporter: collector)
        let (application, port, logs) = try TestServer.application(tracer: tracer) { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configure(&configuration)
        }
        return (application, port, collector, logs)
    }

    /// The server span and the attempt spans of one request, once the server span ended.
    static func spans(_ collector: SpanCollector, trace: String? = nil, attempts: Int = 1) throws -> (server: SpanRecord, attempts: [SpanRecord]) {
        let spans = collector.waitFor { spans in
            spans.filter { trace == nil || $0.traceID.hexString == trace }.count >= 1 + attempts
        }.filter { trace == nil || $0.traceID.hexString == trace }
        let server = try #require(spans.first { $0.kind == .server })
        return (server, spans.filter { $0.kind == .client })
    }

    @Test(arguments: [SparkProtocol.websocket, .http])
    func aChatStreamIsAServerSpanUnderTheCallerWithOneAttemptSpan(sparkProtocol: SparkProtocol) throws {
        let path = try UsageLogTests.directory() + "/usage.jsonl"
        let (application, port, collector, logs) = try Self.relay {
            $0.upstream.sparkProtocol = sparkProtocol
            $0.log.usageFile = path
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"tell me about zebra-violet","model":"lite","temperature":0.3,"max_tokens":200}"#,
                        extraHeaders: [("traceparent", Self.traceParent), ("tracestate", "vendor=abc")])
        let response = try client.readStream()
        #expect(response.terminal?.type == "done")
        let done = try #require(response.terminalJSON)
        let usage = try #require(done["usage"] as? [String: Any])

        let (server, attempts) = try Self.spans(collector, trace: Self.callerTrace)
        #expect(server.name == "POST /chat/stream")
        #expect(server.parentSpanID?.hexString == Self.callerSpan)
        #expect(server.traceState?.headerValue == "vendor=abc")
        #expect(server.string("http.route") == "/chat/stream")
        #expect(server.string("http.request.method") == "POST")
        #expect(server.int("http.response.status_code") == 200)
        #expect(server.string("client.address") == "127.0.0.1")
        #expect(server.status == .unset)

        let attempt = try #require(attempts.first)
        #expect(attempts.count == 1)
        #expect(attempt.name == "chat lite")
        #expect(attempt.parentSpanID == server.spanID)
        #expect(attempt.string("gen_ai.operation.name") == "chat")
        #expect(attempt.string("gen_ai.request.model") == "lite")
        #expect(attempt.attribute("gen_ai.request.temperature") == .double(0.3))
        #expect(attempt.int("gen_ai.request.max_tokens") == 200)
        #expect(attempt.string("spark.protocol") == sparkProtocol.rawValue)
        #expect(attempt.int("spark.attempt") == 1)
        #expect(attempt.string("gen_ai.response.id") == done["sid"] as? String)
        #expect(attempt.int("gen_ai.usage.input_tokens") == (usage["prompt_tokens"] as? Int).map(Int64.init))
        #expect(attempt.int("gen_ai.usage.output_tokens") == (usage["completion_tokens"] as? Int).map(Int64.init))
        #expect(attempt.attribute("gen_ai.response.finish_reasons") == .stringArray(["stop"]))
        #expect(attempt.attribute("spark.handshake.duration_ms") != nil)
        #expect(attempt.status == .unset)
        #expect(attempt.events.map(\.name) == ["first_token", "end"])
        let first = attempt.events[0].timeUnixNano, end = attempt.events[1].timeUnixNano
        #expect(attempt.startTimeUnixNano <= first && first <= end && end <= attempt.endTimeUnixNano)
        #expect(attempt.endTimeUnixNano <= server.endTimeUnixNano)

        // No prompt and no answer text in any span.
        let texts = (attempts + [server]).flatMap(\.allText)
        #expect(!texts.contains { $0.contains("zebra-violet") })
        let answer = SimulatorScript.answer(for: "tell me about zebra-violet")
        #expect(!texts.contains { $0.contains(answer.prefix(12)) })

        // The trace id in the access log line and in the usage record.
        let access = try #require(logs.lines.first { $0.contains("access") && $0.contains("/chat/stream") })
        #expect(access.contains("trace_id=\(Self.callerTrace)"))
        let record = try #require(UsageRecordingTests.records(application, path, count: 1).first)
        #expect(record["trace_id"] as? String == Self.callerTrace)
    }

    @Test func withoutATraceparentTheServerSpanStartsATrace() throws {
        let (application, port, collector, logs) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let response = try client.request("GET", "/healthz")
        #expect(response.status == 200)
        let server = try #require(collector.waitFor(count: 1).first)
        #expect(server.kind == .server)
        #expect(server.name == "GET /healthz")
        #expect(server.parentSpanID == nil)
        #expect(server.traceID.hexString != Self.callerTrace)
        #expect(logs.lines.contains { $0.contains("trace_id=\(server.traceID.hexString)") })
    }

    @Test func anInvalidTraceparentIsIgnored() throws {
        let (application, port, collector, _) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        _ = try client.request("GET", "/healthz", headers: [("traceparent", "00-\(Self.callerTrace.uppercased())-\(Self.callerSpan)-01")])
        let server = try #require(collector.waitFor(count: 1).first)
        #expect(server.parentSpanID == nil)
        #expect(server.traceID.hexString != Self.callerTrace)
    }

    @Test func aSparkErrorSetsTheAttemptsErrorStatusWithSparksCode() throws {
        let (application, port, collector, _) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"bad [[error:10013@2]]"}"#, extraHeaders: [("traceparent", Self.traceParent)])
        let response = try client.readStream()
        #expect(response.terminal?.type == "stream-error")
        let (server, attempts) = try Self.spans(collector, trace: Self.callerTrace)
        let attempt = try #require(attempts.first)
        #expect(attempt.int("spark.error.code") == 10013)
        #expect(attempt.string("error.type") == "10013")
        #expect(attempt.attribute("gen_ai.response.finish_reasons") == .stringArray(["content_filter"]))
        guard case .error(let message?) = attempt.status else {
            Issue.record("the attempt's status is \(attempt.status), not an error")
            return
        }
        #expect(message.contains("10013"))
        #expect(attempt.events.last?.attributes.first { $0.key == "spark_relay.outcome" }?.value == .string("10013"))
        // The response itself was a 200 stream: the server span is not an error.
        #expect(server.status == .unset)
    }

    @Test func aClientThatLeavesEndsBothSpansWithoutAnErrorStatus() throws {
        let (application, port, collector, _) = try Self.relay()
        defer { application.shutdown() }
        var client: TestHTTPClient? = try TestHTTPClient(port: port)
        client?.postJSON("/chat/stream", #"{"prompt":"long [[chunks:200]] [[delay:20]]"}"#, extraHeaders: [("traceparent", Self.traceParent)])
        _ = try client?.readStream(stopAfter: 2)
        client = nil
        let (server, attempts) = try Self.spans(collector, trace: Self.callerTrace)
        let attempt = try #require(attempts.first)
        #expect(server.events.map(\.name).contains("client_disconnected"))
        #expect(attempt.string("error.type") == "client_disconnected")
        #expect(attempt.status == .unset)
        #expect(attempt.attribute("spark_relay.usage.estimated") == .bool(true))
    }

    @Test func aFailoverIsOneAttemptSpanPerCredential() throws {
        let (simulatorHost, _) = try ChatStreamTests.relay()
        defer { simulatorHost.shutdown() }
        let good = simulatorHost.upstream.credentials
        let bad = SparkCredentials(appID: "badapp01", apiKey: good.apiKey, apiSecret: "not-it")
        var configuration = RelayConfiguration()
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        let base = simulatorHost.upstream
        let settings = UpstreamSettings(credentials: bad, base: base.base, httpBase: base.http.base, models: base.models, tls: nil,
                                        configuration: base.configuration, mode: .spark,
                                        pool: CredentialPool(credentials: [bad, good], cooloff: 60))
        let collector = SpanCollector()
        let logger = Logger(label: "test") { label in RelayLogHandler(label: label, level: .critical, sink: { _ in }) }
        let relay = try RelayApplication(configuration: configuration, logger: logger, upstream: settings,
                                         tracer: RelayTracer(sampler: TraceSampler(ratio: 1), exporter: collector))
        let port = try relay.start().port
        defer { relay.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"failover"}"#, extraHeaders: [("traceparent", Self.traceParent)])
        #expect(try client.readStream().terminal?.type == "done")
        let (server, attempts) = try Self.spans(collector, trace: Self.callerTrace, attempts: 2)
        let ordered = attempts.sorted { $0.startTimeUnixNano < $1.startTimeUnixNano }
        try #require(ordered.count == 2)
        #expect(ordered.allSatisfy { $0.parentSpanID == server.spanID })
        #expect(ordered[0].string("spark.app_id") == "badapp01")
        #expect(ordered[0].int("spark.attempt") == 1)
        #expect(ordered[0].string("error.type") == "upstream_unauthorized")
        #expect(ordered[0].events.last?.attributes.first?.value == .string("failed_over"))
        if case .error = ordered[0].status {} else { Issue.record("the failed attempt's status is \(ordered[0].status)") }
        #expect(ordered[1].string("spark.app_id") == good.appID)
        #expect(ordered[1].int("spark.attempt") == 2)
        #expect(ordered[1].string("spark.failover.reason") == "upstream_unauthorized")
        #expect(ordered[1].status == .unset)
        // Neither the bad nor the good secret is in any span.
        let texts = (attempts + [server]).flatMap(\.allText)
        #expect(!texts.contains { $0.contains("not-it") || $0.contains(good.apiSecret) || $0.contains(good.apiKey) })
    }

    @Test func aTicketReadLinksToTheSpanThatMadeIt() throws {
        let (application, port, collector, _) = try Self.relay()
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        let created = try client.request("POST", "/chat", headers: [("Content-Type", "application/json"), ("traceparent", Self.traceParent)],
                                         body: #"{"prompt":"ticket"}"#)
        #expect(created.status == 201)
        let id = try #require(created.json?["id"] as? String)
        client.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        #expect(try client.readStream().terminal?.type == "done")
        let spans = collector.waitFor { $0.filter { $0.kind == .server }.count >= 2 && $0.contains { $0.kind == .client } }
        let post = try #require(spans.first { $0.name == "POST /chat" })
        let get = try #require(spans.first { $0.name == "GET /chat/stream/{id}" })
        let attempt = try #require(spans.first { $0.kind == .client })
        #expect(post.traceID.hexString == Self.callerTrace)
        #expect(attempt.parentSpanID == post.spanID && attempt.traceID == post.traceID)
        #expect(get.links.map(\.spanID) == [post.spanID])
        #expect(get.links.first?.traceID == post.traceID)
        // The ticket id is a capability: the path in the span is cut short like the access log's.
        #expect(get.string("url.path").map { !$0.contains(id) } == true)
    }

    @Test func sampleRatioZeroRecordsOnlyTracesTheCallerSampled() throws {
        let (application, port, collector, logs) = try Self.relay(ratio: 0)
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        _ = try client.request("GET", "/healthz")
        _ = try client.request("GET", "/healthz", headers: [("traceparent", "00-\(Self.callerTrace)-\(Self.callerSpan)-00")])
        _ = try client.request("GET", "/healthz", headers: [("traceparent", Self.traceParent)])
        let spans = collector.waitFor(count: 1)
        #expect(spans.map(\.traceID.hexString) == [Self.callerTrace])
        // Unsampled requests still have a trace id in the access log (it travels onward too).
        #expect(logs.lines.filter { $0.contains("access") && $0.contains("trace_id=") }.count == 3)
    }

    @Test func tracingOffLeavesNoTraceIDAnywhere() throws {
        let path = try UsageLogTests.directory() + "/usage.jsonl"
        let (application, port, logs) = try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configuration.log.usageFile = path
        }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"prompt":"hi"}"#, extraHeaders: [("traceparent", Self.traceParent)])
        #expect(try client.readStream().terminal?.type == "done")
        let record = try #require(UsageRecordingTests.records(application, path, count: 1).first)
        #expect(record["trace_id"] is NSNull)
        #expect(!logs.lines.contains { $0.contains("trace_id=") })
    }
}
