import JSON
import RelayTracing
import Testing

/// The OTLP/HTTP JSON body, byte for byte, and the mapping's special cases.
@Suite struct OTLPJSONEncoderTests {
    private let traceID = TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!
    private let otherTraceID = TraceID(hex: "0af7651916cd43dd8448eb211c80319c")!

    @Test func goldenExportRequest() {
        let record = SpanRecord(
            name: "chat", kind: .client, traceID: traceID, spanID: SpanID(hex: "b7ad6b7169203331")!,
            parentSpanID: SpanID(hex: "00f067aa0ba902b7")!, traceState: TraceState("rojo=1"),
            startTimeUnixNano: 1_700_000_000_000_000_000, endTimeUnixNano: 1_700_000_000_500_000_000,
            attributes: [
                SpanRecord.Attribute("gen_ai.request.max_tokens", .int(1024)),
                SpanRecord.Attribute("gen_ai.request.temperature", .double(0.5)),
                SpanRecord.Attribute("gen_ai.response.finish_reasons", .stringArray(["stop"])),
                SpanRecord.Attribute("relay.stream", .bool(true)),
            ],
            droppedAttributesCount: 2,
            events: [SpanRecord.Event(name: "gen_ai.first_token", timeUnixNano: 1_700_000_000_100_000_000)],
            links: [SpanRecord.Link(traceID: otherTraceID, spanID: SpanID(hex: "00f067aa0ba902b7")!,
                                    attributes: [SpanRecord.Attribute("relay.reason", .string("failover"))])],
            status: .error(message: "Spark 10013"))
        let encoder = OTLPJSONEncoder(serviceName: "spark-relay", resourceAttributes: [SpanRecord.Attribute("service.version", .string("1.2.3"))],
                                      scopeName: "spark-relay", scopeVersion: "0.1")
        let expected = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"spark-relay"}},\
            {"key":"service.version","value":{"stringValue":"1.2.3"}}]},"scopeSpans":[{"scope":{"name":"spark-relay","version":"0.1"},\
            "spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"b7ad6b7169203331","traceState":"rojo=1",\
            "parentSpanId":"00f067aa0ba902b7","name":"chat","kind":3,"startTimeUnixNano":"1700000000000000000",\
            "endTimeUnixNano":"1700000000500000000","attributes":[{"key":"gen_ai.request.max_tokens","value":{"intValue":"1024"}},\
            {"key":"gen_ai.request.temperature","value":{"doubleValue":0.5}},\
            {"key":"gen_ai.response.finish_reasons","value":{"arrayValue":{"values":[{"stringValue":"stop"}]}}},\
            {"key":"relay.stream","value":{"boolValue":true}}],"droppedAttributesCount":2,\
            "events":[{"timeUnixNano":"1700000000100000000","name":"gen_ai.first_token"}],\
            "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7",\
            "attributes":[{"key":"relay.reason","value":{"stringValue":"failover"}}]}],\
            "status":{"message":"Spark 10013","code":2}}]}]}]}
            """
        #expect(String(decoding: encoder.encode([record]), as: UTF8.self) == expected)
    }

    @Test func aRootSpanWithDefaultsLeavesOutEmptyFields() {
        let record = SpanRecord(name: "GET /healthz", kind: .server, traceID: traceID, spanID: SpanID(1),
                                startTimeUnixNano: 5, endTimeUnixNano: 6, status: .ok)
        let body = String(decoding: OTLPJSONEncoder(serviceName: "s", scopeName: "x").encode([record]), as: UTF8.self)
        #expect(body == """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},\
            "scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736",\
            "spanId":"0000000000000001","name":"GET /healthz","kind":2,"startTimeUnixNano":"5","endTimeUnixNano":"6",\
            "status":{"code":1}}]}]}]}
            """)
    }

    @Test func valueEncodings() throws {
        let record = SpanRecord(
            name: "v\"\n", kind: .internal, traceID: traceID, spanID: SpanID(2), startTimeUnixNano: 0, endTimeUnixNano: 0,
            attributes: [
                SpanRecord.Attribute("big", .int(Int64.min)),
                SpanRecord.Attribute("inf", .double(.infinity)),
                SpanRecord.Attribute("ints", .intArray([1, -2])),
                SpanRecord.Attribute("nan", .double(.nan)),
                SpanRecord.Attribute("ninf", .double(-.infinity)),
                SpanRecord.Attribute("none", .boolArray([])),
                SpanRecord.Attribute("reals", .doubleArray([1.25])),
            ],
            status: .error(message: nil))
        let bytes = OTLPJSONEncoder(serviceName: "s").encode([record])
        #expect(JSONScanner.isValid(bytes))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""name":"v\"\n""#))
        #expect(text.contains(#"{"key":"big","value":{"intValue":"-9223372036854775808"}}"#))
        #expect(text.contains(#"{"key":"inf","value":{"doubleValue":"Infinity"}}"#))
        #expect(text.contains(#"{"key":"ints","value":{"arrayValue":{"values":[{"intValue":"1"},{"intValue":"-2"}]}}}"#))
        #expect(text.contains(#"{"key":"nan","value":{"doubleValue":"NaN"}}"#))
        #expect(text.contains(#"{"key":"ninf","value":{"doubleValue":"-Infinity"}}"#))
        #expect(text.contains(#"{"key":"none","value":{"arrayValue":{}}}"#))
        #expect(text.contains(#"{"key":"reals","value":{"arrayValue":{"values":[{"doubleValue":1.25}]}}}"#))
        #expect(text.contains(#""status":{"code":2}"#))
        #expect(text.contains(#""kind":1"#))
    }

    @Test func serviceNameCannotBeReplacedAndNoSpansIsValid() throws {
        let encoder = OTLPJSONEncoder(serviceName: "relay", resourceAttributes: [SpanRecord.Attribute("service.name", .string("other"))])
        let body = encoder.encode([SpanRecord]())
        #expect(JSONScanner.isValid(body))
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""stringValue":"relay""#))
        #expect(!text.contains("other"))
        #expect(text.contains(#""spans":[]"#))
    }
}

/// Reading `tracing.otlp_endpoint`.
@Suite struct OTLPEndpointTests {
    @Test func aURLWithoutPathGetsTheTracesPath() throws {
        let endpoint = try #require(OTLPEndpoint(url: "http://collector:4318"))
        #expect(endpoint.origin.host == "collector")
        #expect(endpoint.origin.port == 4318)
        #expect(!endpoint.origin.isSecure)
        #expect(endpoint.path == "/v1/traces")
        #expect(OTLPEndpoint(url: "http://collector:4318/")?.path == "/v1/traces")
        #expect(endpoint.description == "http://collector:4318/v1/traces")
    }

    @Test func aURLWithAPathIsUsedAsItIs() throws {
        let endpoint = try #require(OTLPEndpoint(url: "HTTPS://otel.example.com/otlp/v1/traces"))
        #expect(endpoint.origin.isSecure)
        #expect(endpoint.origin.port == 443)
        #expect(endpoint.path == "/otlp/v1/traces")
        #expect(OTLPEndpoint(url: "http://[::1]:4318")?.origin.host == "::1")
    }

    @Test(arguments: ["", "collector:4318", "ftp://collector/", "http://", "http://user:pass@collector:4318", "http://collector:99999",
                      "http://collector/#fragment", "grpc://collector:4317"])
    func refusesWhatIsNotAnHTTPURL(_ url: String) {
        #expect(OTLPEndpoint(url: url) == nil)
    }
}
