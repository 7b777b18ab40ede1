import HTTPCodec
import Tracing

/// Reads header fields out of a `[(name, value)]` list (an `HTTPClientRequest`'s fields, a
/// WebSocket handshake's) for `Tracer.extract`. Names compare case-insensitively; a field that
/// appears more than once is returned joined with commas (RFC 9110 section 5.3), which makes a
/// repeated `traceparent` invalid, as W3C Trace Context wants.
public struct HeaderListExtractor: Extractor {
    public typealias Carrier = [(String, String)]

    public init() {}

    public func extract(key: String, from carrier: [(String, String)]) -> String? {
        var found: String?
        for (name, value) in carrier where name.count == key.count && name.lowercased() == key.lowercased() {
            found = found.map { "\($0),\(value)" } ?? value
        }
        return found
    }
}

/// Writes header fields into a `[(name, value)]` list for `Tracer.inject`, replacing any field of
/// the same name (case-insensitive) so that a forwarded request never carries two `traceparent`s.
public struct HeaderListInjector: Injector {
    public typealias Carrier = [(String, String)]

    public init() {}

    public func inject(_ value: String, forKey key: String, into carrier: inout [(String, String)]) {
        let lowered = key.lowercased()
        carrier.removeAll { $0.0.count == key.count && $0.0.lowercased() == lowered }
        carrier.append((key, value))
    }
}

/// Reads header fields out of parsed `HTTPHeaders` (an incoming request's) for `Tracer.extract`,
/// with the same joining of repeated fields as `HeaderListExtractor`.
public struct HTTPHeadersExtractor: Extractor {
    public typealias Carrier = HTTPHeaders

    public init() {}

    public func extract(key: String, from carrier: HTTPHeaders) -> String? {
        let values = carrier.values(for: key)
        return values.isEmpty ? nil : values.joined(separator: ",")
    }
}
