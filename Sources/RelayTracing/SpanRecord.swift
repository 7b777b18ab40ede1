import Tracing

/// An ended, sampled span as plain values, what `RelayTracer` hands to a `SpanExporter`: name,
/// kind, ids, start and end in Unix nanoseconds, typed attributes, events, links and status,
/// every part already within the tracer's `SpanLimits`.
public struct SpanRecord: Sendable, Equatable {
    /// The span's role (OTLP `Span.SpanKind`; the raw value is the protobuf enum number).
    public enum Kind: Int, Sendable, Equatable {
        case `internal` = 1
        case server = 2
        case client = 3
        case producer = 4
        case consumer = 5

        /// The kind of a swift-distributed-tracing span kind.
        public init(_ kind: SpanKind) {
            switch kind {
            case .server: self = .server
            case .client: self = .client
            case .producer: self = .producer
            case .consumer: self = .consumer
            case .internal: self = .internal
            }
        }
    }

    /// An attribute value: OTLP `AnyValue` without maps and bytes.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case stringArray([String])
        case intArray([Int64])
        case doubleArray([Double])
        case boolArray([Bool])

        /// The same value as a swift-distributed-tracing attribute.
        public var spanAttribute: SpanAttribute {
            switch self {
            case .string(let value): .string(value)
            case .int(let value): .int64(value)
            case .double(let value): .double(value)
            case .bool(let value): .bool(value)
            case .stringArray(let values): .stringArray(values)
            case .intArray(let values): .int64Array(values)
            case .doubleArray(let values): .doubleArray(values)
            case .boolArray(let values): .boolArray(values)
            }
        }
    }

    /// A key and its value.
    public struct Attribute: Sendable, Equatable {
        public var key: String
        public var value: Value

        /// The attribute `key` = `value`.
        public init(_ key: String, _ value: Value) {
            self.key = key
            self.value = value
        }
    }

    /// Something that happened at one instant of the span (the first token, the end of a stream, an error).
    public struct Event: Sendable, Equatable {
        public var name: String
        public var timeUnixNano: UInt64
        public var attributes: [Attribute]
        public var droppedAttributesCount: Int

        /// An event.
        public init(name: String, timeUnixNano: UInt64, attributes: [Attribute] = [], droppedAttributesCount: Int = 0) {
            self.name = name
            self.timeUnixNano = timeUnixNano
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    /// A reference to a span of another trace (or another place in this one).
    public struct Link: Sendable, Equatable {
        public var traceID: TraceID
        public var spanID: SpanID
        public var traceState: TraceState?
        public var attributes: [Attribute]
        public var droppedAttributesCount: Int

        /// A link.
        public init(traceID: TraceID, spanID: SpanID, traceState: TraceState? = nil, attributes: [Attribute] = [], droppedAttributesCount: Int = 0) {
            self.traceID = traceID
            self.spanID = spanID
            self.traceState = traceState
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    /// How the operation ended (OTLP `Status`).
    public enum Status: Sendable, Equatable {
        /// Nothing said (OTLP code 0).
        case unset
        /// Explicitly successful (code 1).
        case ok
        /// Failed (code 2), with a short message.
        case error(message: String?)
    }

    public var name: String
    public var kind: Kind
    public var traceID: TraceID
    public var spanID: SpanID
    /// `nil` for a root span.
    public var parentSpanID: SpanID?
    public var traceState: TraceState?
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    /// Sorted by key.
    public var attributes: [Attribute]
    public var droppedAttributesCount: Int
    /// In the order they were added.
    public var events: [Event]
    public var droppedEventsCount: Int
    public var links: [Link]
    public var droppedLinksCount: Int
    public var status: Status

    /// A record; the counts of dropped parts default to zero.
    public init(name: String, kind: Kind, traceID: TraceID, spanID: SpanID, parentSpanID: SpanID? = nil, traceState: TraceState? = nil,
                startTimeUnixNano: UInt64, endTimeUnixNano: UInt64, attributes: [Attribute] = [], droppedAttributesCount: Int = 0,
                events: [Event] = [], droppedEventsCount: Int = 0, links: [Link] = [], droppedLinksCount: Int = 0, status: Status = .unset) {
        self.name = name
        self.kind = kind
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.traceState = traceState
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.links = links
        self.droppedLinksCount = droppedLinksCount
        self.status = status
    }

    /// The value of attribute `key`, if the span has it.
    public func attribute(_ key: String) -> Value? {
        attributes.first { $0.key == key }?.value
    }
}
