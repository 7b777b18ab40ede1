import Tracing

/// Bounds on what one span may hold, so that a span's memory and its share of an export stay
/// small whatever the caller records. What goes over a count is dropped and counted in the span's
/// record (`droppedAttributesCount`, `droppedEventsCount`, `droppedLinksCount`); text over a length is
/// cut at a character boundary; arrays over a length keep their first elements.
public struct SpanLimits: Sendable, Equatable {
    /// Attributes per span; further keys are dropped.
    public var maxAttributes = 64
    /// Attributes per event or link.
    public var maxAttributesPerEvent = 16
    /// UTF-8 bytes kept of a string attribute value (and of each string in an array).
    public var maxAttributeValueBytes = 512
    /// Elements kept of an array attribute value.
    public var maxArrayElements = 32
    /// Events per span.
    public var maxEvents = 32
    /// Links per span.
    public var maxLinks = 8
    /// UTF-8 bytes kept of a span or event name.
    public var maxNameBytes = 128
    /// UTF-8 bytes kept of an error status message.
    public var maxStatusMessageBytes = 256

    /// The defaults above.
    public init() {}

    /// `text` cut to at most `maxBytes` UTF-8 bytes, at a character boundary.
    static func truncated(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        let utf8 = Array(text.utf8)
        var cut = max(0, maxBytes)
        // Back off continuation bytes (10xxxxxx) so that no scalar is split.
        while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
        return String(decoding: utf8[..<cut], as: UTF8.self)
    }

    /// `attribute` as a record value within the length bounds.
    func boundedValue(_ attribute: SpanAttribute) -> SpanRecord.Value {
        let maxBytes = maxAttributeValueBytes
        let maxElements = maxArrayElements
        switch attribute {
        case .int32(let value): return .int(Int64(value))
        case .int64(let value): return .int(value)
        case .double(let value): return .double(value)
        case .bool(let value): return .bool(value)
        case .string(let value): return .string(Self.truncated(value, maxBytes: maxBytes))
        case .int32Array(let values): return .intArray(values.prefix(maxElements).map { Int64($0) })
        case .int64Array(let values): return .intArray(Array(values.prefix(maxElements)))
        case .doubleArray(let values): return .doubleArray(Array(values.prefix(maxElements)))
        case .boolArray(let values): return .boolArray(Array(values.prefix(maxElements)))
        case .stringArray(let values): return .stringArray(values.prefix(maxElements).map { Self.truncated($0, maxBytes: maxBytes) })
        case .stringConvertible(let value): return .string(Self.truncated(value.description, maxBytes: maxBytes))
        case .stringConvertibleArray(let values):
            return .stringArray(values.prefix(maxElements).map { Self.truncated($0.description, maxBytes: maxBytes) })
        default: return .string(Self.truncated("\(attribute)", maxBytes: maxBytes))
        }
    }

    /// `attributes` as record attributes sorted by key, at most `limit` of them, and how many were left out.
    func boundedAttributes(_ attributes: SpanAttributes, limit: Int) -> (kept: [SpanRecord.Attribute], dropped: Int) {
        var all: [SpanRecord.Attribute] = []
        all.reserveCapacity(attributes.count)
        attributes.forEach { key, value in all.append(SpanRecord.Attribute(key, boundedValue(value))) }
        all.sort { $0.key < $1.key }
        guard all.count > limit else { return (all, 0) }
        return (Array(all.prefix(max(0, limit))), all.count - max(0, limit))
    }
}
