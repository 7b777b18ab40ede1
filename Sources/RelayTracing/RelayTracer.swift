import Tracing

/// A swift-distributed-tracing `Tracer` for the relay.
///
/// - Context: `extract` reads W3C `traceparent` and `tracestate` (`TraceParent`, `TraceState`)
///   into the `ServiceContext`; `inject` writes the current span's `traceparent` (version `00`)
///   and the caller's `tracestate`. A malformed `traceparent` is ignored with its `tracestate`, and
///   the next span starts a new trace.
/// - Sampling: `TraceSampler`, parent-based then a ratio on the trace id.
/// - Ids: trace and span ids from the kernel's CSPRNG.
/// - Spans: `RelaySpan`, bounded by `limits`; each ended, sampled span goes to `exporter` as a
///   `SpanRecord`. Nothing here waits on I/O: starting a span draws ids (from the pooled CSPRNG,
///   a short lock), ending one copies its state and calls the exporter, whose `export` returns at once.
public struct RelayTracer: Tracer {
    public typealias Span = RelaySpan

    /// The `traceparent` header name.
    public static let traceParentHeader = "traceparent"
    /// The `tracestate` header name.
    public static let traceStateHeader = "tracestate"

    /// The sampling decision for new root spans and children.
    public var sampler: TraceSampler
    /// Bounds on each span's contents.
    public var limits: SpanLimits
    /// Where ended, sampled spans go.
    public let exporter: any SpanExporter

    /// A tracer sampling with `sampler` and exporting through `exporter`.
    public init(sampler: TraceSampler, limits: SpanLimits = SpanLimits(), exporter: any SpanExporter) {
        self.sampler = sampler
        self.limits = limits
        self.exporter = exporter
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> RelaySpan {
        var spanServiceContext = context()
        let parent = spanServiceContext.spanContext
        let traceID = parent?.traceID ?? TraceID.random()
        let sampled = sampler.shouldSample(traceID: traceID, parent: parent)
        let spanContext = SpanContext(traceID: traceID, spanID: SpanID.random(), isSampled: sampled, traceState: parent?.traceState, isRemote: false)
        spanServiceContext.spanContext = spanContext
        let name = SpanLimits.truncated(operationName, maxBytes: limits.maxNameBytes)
        let recorder = sampled
            ? SpanRecorder(name: name, kind: SpanRecord.Kind(kind), parentSpanID: parent?.spanID,
                           startTimeUnixNano: instant().nanosecondsSinceEpoch, limits: limits, exporter: exporter)
            : nil
        return RelaySpan(name: name, context: spanServiceContext, spanContext: spanContext, recorder: recorder)
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: Self.traceParentHeader, from: carrier), let traceParent = TraceParent(value) else { return }
        let traceState = extractor.extract(key: Self.traceStateHeader, from: carrier).flatMap { TraceState($0) }
        context.spanContext = SpanContext(traceID: traceParent.traceID, spanID: traceParent.parentID, isSampled: traceParent.isSampled,
                                          traceState: traceState, isRemote: true)
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let spanContext = context.spanContext else { return }
        injector.inject(spanContext.traceParent.headerValue, forKey: Self.traceParentHeader, into: &carrier)
        if let traceState = spanContext.traceState {
            injector.inject(traceState.headerValue, forKey: Self.traceStateHeader, into: &carrier)
        }
    }

    public func forceFlush() {
        exporter.forceFlush()
    }
}
