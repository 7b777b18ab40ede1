import Dispatch
import HTTPClient
import JSON
import RelayIO
import RelayTracing
import Testing
import Tracing
#if canImport(Glibc)
import Glibc
#endif

/// The exporter against an in-process collector on 127.0.0.1: batching, the request it sends,
/// and what it drops and counts when the collector is down, stalled or failing.
@Suite struct OTLPHTTPExporterTests {
    private static func record(_ index: Int) -> SpanRecord {
        SpanRecord(name: "span \(index)", kind: .server, traceID: TraceID(high: 1, low: UInt64(index + 1)), spanID: SpanID(UInt64(index + 1)),
                   startTimeUnixNano: 1, endTimeUnixNano: 2)
    }

    private static func configuration(port: Int, _ adjust: (inout OTLPExporterConfiguration) -> Void = { _ in }) -> OTLPExporterConfiguration {
        var configuration = OTLPExporterConfiguration(endpoint: OTLPEndpoint(url: "http://127.0.0.1:\(port)")!)
        adjust(&configuration)
        return configuration
    }

    /// Waits until `predicate` holds for the exporter's statistics (at most `timeout` seconds).
    private static func waitFor(_ exporter: OTLPHTTPExporter, timeout: Double = 10,
                                _ predicate: (OTLPExporterStatistics) -> Bool) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while DispatchTime.now().uptimeNanoseconds < deadline {
            if predicate(exporter.statistics) { return true }
            usleep(5_000)
        }
        return predicate(exporter.statistics)
    }

    /// The number of spans in an export request body.
    private static func spanCount(_ body: [UInt8]) throws -> Int {
        let json = try JSONScanner.parse(body)
        return json["resourceSpans"]?.arrayValue?.first?["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue?.count ?? -1
    }

    /// A port nothing listens on: a collector's, after it stopped.
    private static func closedPort() throws -> Int {
        let collector = try TestCollector()
        let port = collector.port
        collector.stop()
        return port
    }

    @Test func fullBatchesGoAtOnceAndTheRestOnFlush() throws {
        let collector = try TestCollector()
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 3
            $0.flushInterval = 60
            $0.headers = [("Authorization", "Bearer collector-token"), ("Content-Type", "text/plain")]
            $0.serviceName = "relay-under-test"
        })
        for index in 0..<7 { exporter.export(Self.record(index)) }
        #expect(collector.waitUntil { $0.count == 2 }, "two full batches go without waiting for the interval")
        #expect(exporter.statistics.queuedSpans == 1)

        exporter.forceFlush()
        #expect(collector.waitUntil { $0.count == 3 })
        #expect(Self.waitFor(exporter) { $0.exportedSpans == 7 })
        let requests = collector.requests
        #expect(try requests.map { try Self.spanCount($0.body) } == [3, 3, 1])
        for request in requests {
            #expect(request.head.method == .post)
            #expect(request.head.path == "/v1/traces")
            #expect(request.head.headers.values(for: "content-type") == ["application/json"], "the body's type cannot be overridden")
            #expect(request.head.headers["authorization"] == "Bearer collector-token")
        }
        let body = try JSONScanner.parse(requests[0].body)
        let resource = body["resourceSpans"]?.arrayValue?.first?["resource"]?["attributes"]?.arrayValue?.first
        #expect(resource?["value"]?["stringValue"]?.stringValue == "relay-under-test")
        let statistics = exporter.statistics
        #expect(statistics.successfulExports == 3)
        #expect(statistics.failedExports == 0)
        #expect(statistics.droppedSpans == 0)
    }

    @Test func aPartialBatchGoesAfterTheFlushInterval() throws {
        let collector = try TestCollector()
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 100
            $0.flushInterval = 0.2
        })
        let started = DispatchTime.now().uptimeNanoseconds
        exporter.export(Self.record(0))
        exporter.export(Self.record(1))
        #expect(collector.waitUntil { $0.count == 1 })
        let waited = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        #expect(waited >= 0.19, "sent after \(waited) s")
        #expect(try Self.spanCount(collector.requests[0].body) == 2)
        // A later span arms the timer again.
        exporter.export(Self.record(2))
        #expect(collector.waitUntil { $0.count == 2 })
    }

    @Test func aCollectorThatIsDownCountsFailedExportsAndKeepsNothing() throws {
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: try Self.closedPort()) {
            $0.maxBatchSize = 2
            $0.flushInterval = 0.05
        })
        for index in 0..<5 { exporter.export(Self.record(index)) }
        #expect(Self.waitFor(exporter) { $0.failedSpans == 5 && $0.queuedSpans == 0 })
        let statistics = exporter.statistics
        #expect(statistics.failedExports == 3)
        #expect(statistics.exportedSpans == 0)
        #expect(statistics.droppedSpans == 0)
    }

    @Test func aNon2xxAnswerIsAFailedExport() throws {
        let collector = try TestCollector(behaviour: .answer(status: 503))
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) { $0.maxBatchSize = 1 })
        exporter.export(Self.record(0))
        #expect(Self.waitFor(exporter) { $0.failedExports == 1 })
        #expect(exporter.statistics.failedSpans == 1)
        #expect(collector.requests.count == 1, "never retried")
    }

    @Test func aStalledCollectorFillsTheQueueAndLaterSpansAreDropped() throws {
        let collector = try TestCollector(behaviour: .stall)
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 2
            $0.queueCapacity = 4
            $0.requestTimeout = 60
        })
        exporter.export(Self.record(0))
        exporter.export(Self.record(1))
        #expect(collector.waitUntil { $0.count == 1 }, "the first batch is under way and gets no answer")
        for index in 2..<12 { exporter.export(Self.record(index)) }
        let statistics = exporter.statistics
        #expect(statistics.queuedSpans == 4)
        #expect(statistics.droppedSpans == 6)
        #expect(collector.requests.count == 1, "one request at a time")
    }

    @Test func aRequestThatTakesTooLongIsAbandoned() throws {
        let collector = try TestCollector(behaviour: .stall)
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 1
            $0.requestTimeout = 0.2
        })
        exporter.export(Self.record(0))
        #expect(Self.waitFor(exporter) { $0.failedExports == 1 })
        #expect(exporter.statistics.failedSpans == 1)
        // The next batch goes on a new request.
        exporter.export(Self.record(1))
        #expect(collector.waitUntil { $0.count == 2 })
    }

    @Test func endingSpansNeverWaitsForAStalledCollector() throws {
        let collector = try TestCollector(behaviour: .stall)
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 8
            $0.queueCapacity = 64
            $0.requestTimeout = 60
        })
        let tracer = RelayTracer(sampler: TraceSampler(ratio: 1), exporter: exporter)
        let count = 20_000
        var slowest: UInt64 = 0
        let started = DispatchTime.now().uptimeNanoseconds
        for index in 0..<count {
            let span = tracer.startSpan("request \(index)", context: .topLevel, ofKind: .server)
            span.attributes["http.response.status_code"] = 200
            let before = DispatchTime.now().uptimeNanoseconds
            span.end()
            slowest = max(slowest, DispatchTime.now().uptimeNanoseconds - before)
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        #expect(total < 10, "\(count) spans took \(total) s")
        #expect(slowest < 100_000_000, "the slowest end() took \(Double(slowest) / 1e6) ms")
        #expect(collector.waitUntil { $0.count == 1 })
        let statistics = exporter.statistics
        #expect(statistics.droppedSpans >= count - 64 - 8)
        #expect(statistics.droppedSpans + statistics.queuedSpans + 8 == count, "every span is queued, in flight, or counted as dropped")
    }

    @Test func shutdownSendsWhatIsQueuedThenDropsLaterSpans() throws {
        let collector = try TestCollector()
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 2
            $0.flushInterval = 60
        })
        for index in 0..<5 { exporter.export(Self.record(index)) }
        let done = ConditionLock()
        nonisolated(unsafe) var finished = false
        exporter.shutdown { done.update { finished = true } }
        #expect(done.wait(timeout: 10) { finished })
        #expect(exporter.statistics.exportedSpans == 5)
        exporter.export(Self.record(9))
        #expect(exporter.statistics.droppedSpans == 1)
        #expect(exporter.statistics.queuedSpans == 0)
    }

    @Test func shutdownGivesUpAfterItsTimeout() throws {
        let collector = try TestCollector(behaviour: .stall)
        defer { collector.stop() }
        let exporter = try OTLPHTTPExporter(configuration: Self.configuration(port: collector.port) {
            $0.maxBatchSize = 2
            $0.requestTimeout = 60
            $0.shutdownTimeout = 0.3
        })
        for index in 0..<5 { exporter.export(Self.record(index)) }
        let done = ConditionLock()
        nonisolated(unsafe) var finished = false
        exporter.shutdown { done.update { finished = true } }
        #expect(done.wait(timeout: 10) { finished })
        let statistics = exporter.statistics
        #expect(statistics.exportedSpans == 0)
        #expect(statistics.failedSpans + statistics.droppedSpans == 5, "\(statistics)")
        #expect(statistics.queuedSpans == 0)
    }
}

/// The exporter on a loop and `HTTPClient` the caller already runs.
@Suite struct OTLPHTTPExporterSharedClientTests {
    @Test func sendsThroughTheGivenClientAndLeavesItOpen() throws {
        let collector = try TestCollector()
        defer { collector.stop() }
        let loop = EventLoop(index: 0, label: "test-shared-loop")
        let client = loop.queue.sync { HTTPClient(loop: loop, tls: nil) }
        defer { loop.queue.sync { client.shutdown() } }
        var configuration = OTLPExporterConfiguration(endpoint: OTLPEndpoint(url: "http://127.0.0.1:\(collector.port)")!)
        configuration.maxBatchSize = 1
        let exporter = OTLPHTTPExporter(configuration: configuration, client: client)
        #expect(exporter.loop === loop)
        exporter.export(SpanRecord(name: "s", kind: .internal, traceID: TraceID(high: 1, low: 1), spanID: SpanID(1),
                                   startTimeUnixNano: 1, endTimeUnixNano: 2))
        #expect(collector.waitUntil { $0.count == 1 })
        let done = ConditionLock()
        nonisolated(unsafe) var finished = false
        exporter.shutdown { done.update { finished = true } }
        #expect(done.wait(timeout: 10) { finished })
        #expect(exporter.statistics.exportedSpans == 1)
        let origin = configuration.endpoint.origin
        #expect(loop.queue.sync { client.idleConnectionCount(for: origin) } == 1, "the client stays open, its connection pooled")
    }
}
