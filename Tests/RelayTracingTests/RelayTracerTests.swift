import HTTPCodec
import RelayTracing
import Testing
import Tracing

/// The tracer: context in and out, parent/child ids, sampling, the records spans become, bounds.
@Suite struct RelayTracerTests {
    private static let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    private func tracer(ratio: Double = 1, limits: SpanLimits = SpanLimits()) -> (RelayTracer, CollectingExporter) {
        let exporter = CollectingExporter()
        return (RelayTracer(sampler: TraceSampler(ratio: ratio), limits: limits, exporter: exporter), exporter)
    }

    private func at(_ nanoseconds: UInt64) -> DefaultTracerClock.Timestamp {
        DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: nanoseconds)
    }

    @Test func anIncomingTraceparentMakesTheServerSpanItsChild() throws {
        let (tracer, exporter) = tracer(ratio: 0)
        var context = ServiceContext.topLevel
        let headers: [(String, String)] = [("Host", "relay"), ("TraceParent", Self.incoming), ("tracestate", "rojo=00f067aa0ba902b7")]
        tracer.extract(headers, into: &context, using: HeaderListExtractor())
        let remote = try #require(context.spanContext)
        #expect(remote.isRemote)
        #expect(remote.traceState?.headerValue == "rojo=00f067aa0ba902b7")

        let server = tracer.startSpan("POST /v1/chat/completions", context: context, ofKind: .server, at: at(1_000))
        #expect(server.spanContext.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(server.spanContext.spanID != remote.spanID)
        #expect(server.isRecording, "the caller sampled it, whatever the ratio")
        server.end(at: at(2_000))

        let record = try #require(exporter.records.first)
        #expect(record.parentSpanID?.hexString == "00f067aa0ba902b7")
        #expect(record.kind == .server)
        #expect(record.traceState?.headerValue == "rojo=00f067aa0ba902b7")
        #expect(record.startTimeUnixNano == 1_000)
        #expect(record.endTimeUnixNano == 2_000)
    }

    @Test func theSameExtractionWorksOnParsedHTTPHeaders() throws {
        let (tracer, _) = tracer()
        var context = ServiceContext.topLevel
        tracer.extract(HTTPHeaders([("traceparent", Self.incoming)]), into: &context, using: HTTPHeadersExtractor())
        #expect(context.spanContext?.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        var repeated = ServiceContext.topLevel
        tracer.extract(HTTPHeaders([("traceparent", Self.incoming), ("traceparent", Self.incoming)]), into: &repeated, using: HTTPHeadersExtractor())
        #expect(repeated.spanContext == nil, "two traceparent fields are invalid")
    }

    @Test func aMalformedTraceparentIsIgnoredWithItsTracestate() {
        let (tracer, exporter) = tracer()
        var context = ServiceContext.topLevel
        tracer.extract([("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), ("tracestate", "rojo=1")],
                       into: &context, using: HeaderListExtractor())
        #expect(context.spanContext == nil)
        let span = tracer.startSpan("root", context: context, ofKind: .server, at: at(1))
        span.end(at: at(2))
        #expect(exporter.records.first?.parentSpanID == nil)
        #expect(exporter.records.first?.traceState == nil)
        #expect(exporter.records.first?.traceID.hexString != "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func aMalformedTracestateIsDroppedAndTheTraceparentKept() {
        let (tracer, _) = tracer()
        var context = ServiceContext.topLevel
        tracer.extract([("traceparent", Self.incoming), ("tracestate", "Rojo=1")], into: &context, using: HeaderListExtractor())
        #expect(context.spanContext?.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanContext?.traceState == nil)
    }

    @Test func childrenShareTheTraceAndInjectTheirOwnSpanID() throws {
        let (tracer, exporter) = tracer()
        let server = tracer.startSpan("server", context: .topLevel, ofKind: .server, at: at(10))
        let attempt = tracer.startSpan("upstream attempt", context: server.context, ofKind: .client, at: at(20))
        var upstreamHeaders: [(String, String)] = [("Authorization", "Bearer x"), ("traceparent", "stale")]
        tracer.inject(attempt.context, into: &upstreamHeaders, using: HeaderListInjector())
        let sent = upstreamHeaders.filter { $0.0.lowercased() == "traceparent" }
        #expect(sent.count == 1, "an existing traceparent is replaced")
        let sentValue = try #require(sent.first?.1)
        let traceParent = try #require(TraceParent(sentValue))
        #expect(traceParent.traceID == server.spanContext.traceID)
        #expect(traceParent.parentID == attempt.spanContext.spanID)
        #expect(traceParent.isSampled)
        #expect(!upstreamHeaders.contains { $0.0 == "tracestate" }, "no tracestate when the caller sent none")
        attempt.end(at: at(30))
        server.end(at: at(40))

        let records = exporter.records
        #expect(records.map(\.name) == ["upstream attempt", "server"])
        #expect(records[0].parentSpanID == records[1].spanID)
        #expect(records[1].parentSpanID == nil)
        #expect(records[0].traceID == records[1].traceID)
        #expect(records[0].kind == .client)
    }

    @Test func injectingPassesTheCallersTracestateOn() throws {
        let (tracer, _) = tracer()
        var context = ServiceContext.topLevel
        tracer.extract([("traceparent", Self.incoming), ("tracestate", "congo=t61rcWkgMzE")], into: &context, using: HeaderListExtractor())
        let span = tracer.startSpan("server", context: context, ofKind: .server, at: at(1))
        var headers: [(String, String)] = []
        tracer.inject(span.context, into: &headers, using: HeaderListInjector())
        #expect(headers.first { $0.0 == "tracestate" }?.1 == "congo=t61rcWkgMzE")
    }

    @Test func anUnsampledSpanRecordsNothingButPropagatesItsDecision() throws {
        let (tracer, exporter) = tracer(ratio: 0)
        let span = tracer.startSpan("server", context: .topLevel, ofKind: .server, at: at(1))
        #expect(!span.isRecording)
        span.attributes["http.request.method"] = "POST"
        span.addEvent("first_token")
        span.setStatus(SpanStatus(code: .error, message: "boom"))
        #expect(span.attributes.isEmpty)
        var headers: [(String, String)] = []
        tracer.inject(span.context, into: &headers, using: HeaderListInjector())
        let headerValue = try #require(headers.first?.1)
        let traceParent = try #require(TraceParent(headerValue))
        #expect(!traceParent.isSampled)
        #expect(traceParent.traceID == span.spanContext.traceID)
        let child = tracer.startSpan("attempt", context: span.context, ofKind: .client, at: at(2))
        #expect(!child.isRecording, "children follow the parent's decision")
        child.end(at: at(3))
        span.end(at: at(4))
        #expect(exporter.records.isEmpty)
    }

    @Test func attributesEventsStatusAndLinksBecomeTheRecord() throws {
        let (tracer, exporter) = tracer()
        let other = tracer.startSpan("other", context: .topLevel, ofKind: .internal, at: at(1))
        let span = tracer.startSpan("chat", context: .topLevel, ofKind: .client, at: at(100))
        span.attributes["gen_ai.request.model"] = "4.0Ultra"
        span.attributes["gen_ai.usage.input_tokens"] = 12
        span.attributes["gen_ai.request.temperature"] = 0.5
        span.attributes["gen_ai.response.finish_reasons"] = ["stop"]
        span.attributes["relay.stream"] = true
        span.attributes.set("relay.attempts", value: .int32Array([1, 2]))
        span.addEvent(SpanEvent(name: "gen_ai.first_token", at: at(150), attributes: ["relay.delay_ms": 50]))
        span.addLink(SpanLink(context: other.context, attributes: ["relay.reason": "failover"]))
        span.setStatus(SpanStatus(code: .error, message: "Spark 10013"))
        span.operationName = "chat 4.0Ultra"
        span.end(at: at(200))
        span.end(at: at(300))
        span.attributes["late"] = "ignored"

        let record = try #require(exporter.records.only)
        #expect(record.name == "chat 4.0Ultra")
        #expect(record.attributes.map(\.key) == ["gen_ai.request.model", "gen_ai.request.temperature", "gen_ai.response.finish_reasons",
                                                  "gen_ai.usage.input_tokens", "relay.attempts", "relay.stream"])
        #expect(record.attribute("gen_ai.request.model") == .string("4.0Ultra"))
        #expect(record.attribute("gen_ai.usage.input_tokens") == .int(12))
        #expect(record.attribute("gen_ai.request.temperature") == .double(0.5))
        #expect(record.attribute("gen_ai.response.finish_reasons") == .stringArray(["stop"]))
        #expect(record.attribute("relay.stream") == .bool(true))
        #expect(record.attribute("relay.attempts") == .intArray([1, 2]))
        #expect(record.events == [SpanRecord.Event(name: "gen_ai.first_token", timeUnixNano: 150, attributes: [SpanRecord.Attribute("relay.delay_ms", .int(50))])])
        #expect(record.links == [SpanRecord.Link(traceID: other.spanContext.traceID, spanID: other.spanContext.spanID,
                                                 attributes: [SpanRecord.Attribute("relay.reason", .string("failover"))])])
        #expect(record.status == .error(message: "Spark 10013"))
        #expect(record.endTimeUnixNano == 200, "the first end counts")
    }

    @Test func okIsFinalAndRecordErrorAddsAnExceptionEvent() throws {
        struct UpstreamFailed: Error, CustomStringConvertible { var description: String { "Spark answered 10013" } }
        let (tracer, exporter) = tracer()
        let span = tracer.startSpan("chat", context: .topLevel, ofKind: .client, at: at(1))
        span.setStatus(SpanStatus(code: .ok))
        span.setStatus(SpanStatus(code: .error, message: "late"))
        span.recordError(UpstreamFailed(), attributes: [:], at: at(5))
        span.end(at: at(6))
        let record = try #require(exporter.records.only)
        #expect(record.status == .ok)
        let event = try #require(record.events.only)
        #expect(event.name == "exception")
        #expect(event.attributes.first { $0.key == "exception.type" }?.value == .string("UpstreamFailed"))
        #expect(event.attributes.first { $0.key == "exception.message" }?.value == .string("Spark answered 10013"))
    }

    @Test func limitsBoundWhatASpanHolds() throws {
        var limits = SpanLimits()
        limits.maxAttributes = 3
        limits.maxAttributeValueBytes = 5
        limits.maxArrayElements = 2
        limits.maxEvents = 2
        limits.maxAttributesPerEvent = 1
        limits.maxLinks = 1
        limits.maxNameBytes = 4
        limits.maxStatusMessageBytes = 3
        let (tracer, exporter) = tracer(limits: limits)
        let span = tracer.startSpan("long name", context: .topLevel, ofKind: .internal, at: at(1))
        span.attributes["a"] = "héllo world"
        span.attributes["b"] = ["1", "2", "3"]
        span.attributes["c"] = 1
        span.attributes["d"] = 2
        span.attributes["a"] = "ok"
        for index in 0..<4 { span.addEvent(SpanEvent(name: "event \(index)", at: at(2), attributes: ["x": 1, "y": 2])) }
        for _ in 0..<3 { span.addLink(SpanLink(context: span.context, attributes: [:])) }
        span.setStatus(SpanStatus(code: .error, message: "abcdef"))
        span.end(at: at(3))

        let record = try #require(exporter.records.only)
        #expect(record.name == "long")
        #expect(record.attributes.map(\.key) == ["a", "b", "c"])
        #expect(record.attribute("a") == .string("ok"), "a key already held may still change")
        #expect(record.attribute("b") == .stringArray(["1", "2"]))
        #expect(record.droppedAttributesCount == 1)
        #expect(record.events.count == 2)
        #expect(record.events[0].name == "even")
        #expect(record.events[0].attributes.count == 1)
        #expect(record.events[0].droppedAttributesCount == 1)
        #expect(record.droppedEventsCount == 2)
        #expect(record.links.count == 1)
        #expect(record.droppedLinksCount == 2)
        #expect(record.status == .error(message: "abc"))
    }

    @Test func truncationNeverSplitsACharacter() throws {
        var limits = SpanLimits()
        limits.maxAttributeValueBytes = 2
        let (tracer, exporter) = tracer(limits: limits)
        let span = tracer.startSpan("s", context: .topLevel, ofKind: .internal, at: at(1))
        span.attributes["a"] = "aé"  // a (1 byte) é (2 bytes): 3 bytes, cut to 2 would split é
        span.attributes["b"] = "日本"
        span.end(at: at(2))
        let record = try #require(exporter.records.only)
        #expect(record.attribute("a") == .string("a"))
        #expect(record.attribute("b") == .string(""))
    }

    @Test func forceFlushReachesTheExporter() {
        let (tracer, exporter) = tracer()
        tracer.forceFlush()
        #expect(exporter.flushCount == 1)
    }

    @Test func spansMayBeUsedFromManyThreadsAtOnce() async throws {
        let (tracer, exporter) = tracer()
        let span = tracer.startSpan("shared", context: .topLevel, ofKind: .internal, at: at(1))
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    span.attributes["k\(index % 8)"] = index
                    span.addEvent(SpanEvent(name: "e\(index)", attributes: [:]))
                }
            }
        }
        span.end(at: at(2))
        let record = try #require(exporter.records.only)
        // Each `attributes[...] =` is a read and a write, so concurrent writers may undo each other's
        // keys, but never corrupt the span; events are appended one by one.
        #expect((1...8).contains(record.attributes.count))
        #expect(record.events.count == 16)
    }
}

extension Collection {
    /// The one element, or `nil` when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
