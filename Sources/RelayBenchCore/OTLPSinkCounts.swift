import JSON

/// What the bench's OTLP/HTTP sink received: export requests, body bytes, and the spans in the
/// bodies by kind (OTLP/JSON `resourceSpans[].scopeSpans[].spans[].kind`: 2 server, 3 client). A
/// body that is not OTLP/JSON trace data is counted as malformed, its spans not at all.
public struct OTLPSinkCounts: Sendable, Codable, Equatable {
    /// OTLP's `SPAN_KIND_SERVER`.
    public static let serverKind = 2
    /// OTLP's `SPAN_KIND_CLIENT`.
    public static let clientKind = 3

    public var requests = 0
    public var bodyBytes = 0
    public var serverSpans = 0
    public var clientSpans = 0
    /// Spans of any other kind (or none).
    public var otherSpans = 0
    public var malformedBodies = 0
    /// Requests that were not a `POST` of `Content-Type: application/json` to the traces path.
    public var unexpectedRequests = 0

    /// Nothing received yet.
    public init() {}

    /// Every span received.
    public var spans: Int { serverSpans + clientSpans + otherSpans }

    /// Counts one request and its body.
    public mutating func record(body: [UInt8], asExpected: Bool = true) {
        requests += 1
        bodyBytes += body.count
        if !asExpected { unexpectedRequests += 1 }
        guard let kinds = Self.spanKinds(inOTLPJSON: body) else {
            malformedBodies += 1
            return
        }
        for kind in kinds {
            switch kind {
            case Self.serverKind: serverSpans += 1
            case Self.clientKind: clientSpans += 1
            default: otherSpans += 1
            }
        }
    }

    /// The kind of every span in an OTLP/JSON `ExportTraceServiceRequest` (0 where a span has none);
    /// `nil` when `body` is not one. As in protobuf's JSON mapping, an absent list is an empty one.
    public static func spanKinds(inOTLPJSON body: [UInt8]) -> [Int]? {
        guard let root = try? JSONScanner.parse(body), root.isObject else { return nil }
        /// The list member `key` of `value`: empty when absent, `nil` when not a list.
        func list(_ value: JSONValue, _ key: String) -> [JSONValue]? {
            guard let member = value[key] else { return [] }
            return member.arrayValue
        }
        var kinds: [Int] = []
        guard let resources = list(root, "resourceSpans") else { return nil }
        for resource in resources {
            guard resource.isObject, let scopes = list(resource, "scopeSpans") else { return nil }
            for scope in scopes {
                guard scope.isObject, let spans = list(scope, "spans") else { return nil }
                for span in spans {
                    guard span.isObject else { return nil }
                    kinds.append(span["kind"]?.intValue ?? 0)
                }
            }
        }
        return kinds
    }
}
