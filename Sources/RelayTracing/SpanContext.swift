import Tracing

/// The identity of a span as it travels between processes and through a `ServiceContext`: trace
/// id, span id, the `sampled` decision, the caller's `tracestate`, and whether it came from another
/// process (`isRemote`, set by `RelayTracer.extract`).
public struct SpanContext: Hashable, Sendable {
    /// The trace.
    public var traceID: TraceID
    /// The span (for a remote context: the caller's span, the parent of the next span).
    public var spanID: SpanID
    /// Whether spans of this trace are recorded and exported.
    public var isSampled: Bool
    /// The caller's `tracestate`, passed on unchanged.
    public var traceState: TraceState?
    /// `true` when extracted from incoming headers rather than started here.
    public var isRemote: Bool

    /// A span context.
    public init(traceID: TraceID, spanID: SpanID, isSampled: Bool, traceState: TraceState? = nil, isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.isSampled = isSampled
        self.traceState = traceState
        self.isRemote = isRemote
    }

    /// The `traceparent` this context sends onward (version `00`; of the flags only `sampled`).
    public var traceParent: TraceParent {
        TraceParent(traceID: traceID, parentID: spanID, flags: isSampled ? 0x01 : 0x00)
    }
}

/// The `ServiceContext` key under which `RelayTracer` keeps the current `SpanContext`.
enum SpanContextKey: ServiceContextKey {
    typealias Value = SpanContext
    static var nameOverride: String? { "relay-tracing.span-context" }
}

extension ServiceContext {
    /// The span context `RelayTracer` put here: the active span's, or the caller's after `extract`.
    public var spanContext: SpanContext? {
        get { self[SpanContextKey.self] }
        set { self[SpanContextKey.self] = newValue }
    }
}
