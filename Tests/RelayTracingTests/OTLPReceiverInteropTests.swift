import Dispatch
import Foundation
import JSON
import RelayTracing
import Testing
import Tracing

/// The exporter against code no one here wrote: `Tests/EndToEnd/otlp_receiver.py` decodes each
/// request with the official opentelemetry-proto classes (protobuf's strict JSON parser). A chat
/// request's spans go out: the server span, child of an incoming `traceparent`, and two upstream
/// attempts (the first failed over with Spark's error code, the second streamed).
///
/// With `RELAY_TRACING_OTLP_RECEIVER_URL` set (by `Tests/EndToEnd/test_otlp_exporter.py`), the
/// spans go to that receiver and the pytest checks what it decoded. Without it, this test starts
/// the receiver itself when `python3` can import opentelemetry-proto, and checks the decoded spans.
@Suite struct OTLPReceiverInteropTests {
    static let incomingTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    static let receiverURLVariable = "RELAY_TRACING_OTLP_RECEIVER_URL"

    /// A `python3` on PATH that imports opentelemetry-proto and protobuf, or `nil`.
    private static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/python3"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: candidate)
            probe.arguments = ["-c", "import google.protobuf.json_format, opentelemetry.proto.collector.trace.v1.trace_service_pb2"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            return probe.terminationStatus == 0 ? candidate : nil
        }
        return nil
    }()

    private static var receiverScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EndToEnd/otlp_receiver.py").path
    }

    /// Ends the scenario's three spans through an exporter to `url` and waits until the receiver accepted them.
    private static func exportScenario(to url: String) throws {
        let endpoint = try #require(OTLPEndpoint(url: url))
        var configuration = OTLPExporterConfiguration(endpoint: endpoint)
        configuration.serviceName = "spark-relay-interop"
        configuration.headers = [("Authorization", "Bearer collector-token")]
        let exporter = try OTLPHTTPExporter(configuration: configuration)
        let tracer = RelayTracer(sampler: TraceSampler(ratio: 0), exporter: exporter)

        var context = ServiceContext.topLevel
        tracer.extract([("traceparent", incomingTraceParent), ("tracestate", "congo=t61rcWkgMzE")], into: &context, using: HeaderListExtractor())
        let server = tracer.startSpan("POST /v1/chat/completions", context: context, ofKind: .server)
        server.attributes["http.request.method"] = "POST"
        server.attributes["url.path"] = "/v1/chat/completions"
        server.attributes["http.route"] = "/v1/chat/completions"
        server.attributes["client.address"] = "127.0.0.1"
        server.attributes["relay.key_name"] = "team-a"

        let failed = tracer.startSpan("chat 4.0Ultra", context: server.context, ofKind: .client)
        failed.attributes["gen_ai.operation.name"] = "chat"
        failed.attributes["gen_ai.request.model"] = "4.0Ultra"
        failed.attributes["relay.credential"] = "primary"
        failed.attributes["relay.protocol"] = "websocket"
        failed.attributes["relay.failover_reason"] = "spark_error"
        failed.attributes["error.type"] = "10013"
        failed.setStatus(SpanStatus(code: .error, message: "Spark error 10013"))
        failed.end()

        let attempt = tracer.startSpan("chat 4.0Ultra", context: server.context, ofKind: .client)
        attempt.attributes["gen_ai.operation.name"] = "chat"
        attempt.attributes["gen_ai.request.model"] = "4.0Ultra"
        attempt.attributes["gen_ai.request.temperature"] = 0.5
        attempt.attributes["gen_ai.request.max_tokens"] = 1024
        attempt.attributes["relay.credential"] = "secondary"
        attempt.attributes["relay.protocol"] = "websocket"
        attempt.attributes["relay.handshake_ms"] = 42.5
        attempt.addEvent(SpanEvent(name: "gen_ai.first_token", attributes: ["relay.time_to_first_token_ms": 180]))
        attempt.attributes["gen_ai.response.id"] = "cht000b7a2f@dx19"
        attempt.attributes["gen_ai.usage.input_tokens"] = 12
        attempt.attributes["gen_ai.usage.output_tokens"] = 34
        attempt.attributes["gen_ai.response.finish_reasons"] = ["stop"]
        attempt.addEvent(SpanEvent(name: "gen_ai.end", attributes: [:]))
        attempt.end()

        server.attributes["http.response.status_code"] = 200
        server.end()

        exporter.forceFlush()
        let deadline = DispatchTime.now().uptimeNanoseconds + 30_000_000_000
        while exporter.statistics.exportedSpans + exporter.statistics.failedSpans < 3, DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(10_000)
        }
        let statistics = exporter.statistics
        #expect(statistics.exportedSpans == 3, "the receiver refused or never answered: \(statistics)")
        #expect(statistics.failedExports == 0)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment[receiverURLVariable] != nil, "run by Tests/EndToEnd/test_otlp_exporter.py"))
    func exportToTheReceiverOfThePytest() throws {
        try Self.exportScenario(to: try #require(ProcessInfo.processInfo.environment[Self.receiverURLVariable]))
    }

    @Test(.enabled(if: python != nil, "python3 with opentelemetry-proto and protobuf is not installed (pip install -r Tests/EndToEnd/requirements.txt)"))
    func theOfficialProtoClassesDecodeTheExport() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.python))
        process.arguments = [Self.receiverScript]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var buffered = Data()
        func nextLine() throws -> String {
            while true {
                if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                    buffered = Data(buffered[(newline + 1)...])
                    return line
                }
                let more = output.fileHandleForReading.availableData
                try #require(!more.isEmpty, "the receiver exited")
                buffered.append(more)
            }
        }
        let port = try #require(Int(try nextLine()))
        try Self.exportScenario(to: "http://127.0.0.1:\(port)")

        var spans: [String: JSONValue] = [:]
        var attempts: [JSONValue] = []
        for _ in 0..<3 {
            let span = try JSONScanner.parse(Array(try nextLine().utf8))
            #expect(span["error"] == nil, "refused: \(span)")
            let name = try #require(span["name"]?.stringValue)
            if name == "chat 4.0Ultra" { attempts.append(span) } else { spans[name] = span }
        }
        let server = try #require(spans["POST /v1/chat/completions"])
        #expect(server["trace_id"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(server["parent_span_id"]?.stringValue == "00f067aa0ba902b7")
        #expect(server["trace_state"]?.stringValue == "congo=t61rcWkgMzE")
        #expect(server["kind"]?.intValue == 2)
        #expect(server["resource"]?["service.name"]?.stringValue == "spark-relay-interop")
        #expect(server["attributes"]?["http.response.status_code"]?.intValue == 200)
        #expect(attempts.count == 2)
        for attempt in attempts {
            #expect(attempt["parent_span_id"]?.stringValue == server["span_id"]?.stringValue)
            #expect(attempt["trace_id"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(attempt["kind"]?.intValue == 3)
        }
        let failed = try #require(attempts.first { $0["status"]?["code"]?.intValue == 2 })
        #expect(failed["status"]?["message"]?.stringValue == "Spark error 10013")
        let streamed = try #require(attempts.first { $0["status"]?["code"]?.intValue == 0 })
        #expect(streamed["attributes"]?["gen_ai.usage.output_tokens"]?.intValue == 34)
        #expect(streamed["attributes"]?["gen_ai.request.temperature"]?.doubleValue == 0.5)
        #expect(streamed["attributes"]?["gen_ai.response.finish_reasons"]?.arrayValue?.first?.stringValue == "stop")
        #expect(streamed["events"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["gen_ai.first_token", "gen_ai.end"])
    }
}
