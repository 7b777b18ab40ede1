import Synchronization
import Tracing

/// A span of `RelayTracer`. While open it records attributes, events, links and status within the
/// tracer's `SpanLimits`; its first `end()` turns it into one `SpanRecord` handed to the exporter
/// (later calls, and changes after the end, are ignored). A span that was not sampled records
/// nothing: it only carries its `SpanContext` so that the trace id and the `sampled = 0` decision
/// still travel onward.
///
/// Safe to use from any thread: a recording span keeps its state behind a lock held only to copy
/// values in or out, never across the exporter call.
public final class RelaySpan: Span, Sendable {
    /// The context children of this span start from (the parent's context plus this span's `SpanContext`).
    public let context: ServiceContext
    /// This span's identity.
    public let spanContext: SpanContext
    private let initialName: String
    private let recorder: SpanRecorder?

    init(name: String, context: ServiceContext, spanContext: SpanContext, recorder: SpanRecorder?) {
        self.initialName = name
        self.context = context
        self.spanContext = spanContext
        self.recorder = recorder
    }

    public var operationName: String {
        get { recorder?.state.withLock { $0.name } ?? initialName }
        set {
            guard let recorder else { return }
            let name = SpanLimits.truncated(newValue, maxBytes: recorder.limits.maxNameBytes)
            recorder.state.withLock { state in
                if !state.ended { state.name = name }
            }
        }
    }

    public var attributes: SpanAttributes {
        get {
            guard let recorder else { return [:] }
            let stored = recorder.state.withLock { $0.attributes }
            var attributes = SpanAttributes()
            for attribute in stored { attributes.set(attribute.key, value: attribute.value.spanAttribute) }
            return attributes
        }
        set {
            guard let recorder else { return }
            let limits = recorder.limits
            var incoming: [SpanRecord.Attribute] = []
            incoming.reserveCapacity(newValue.count)
            newValue.forEach { key, value in incoming.append(SpanRecord.Attribute(key, limits.boundedValue(value))) }
            // Kept in key order: the record's order, and the order in which new keys fill what is left.
            incoming.sort { $0.key < $1.key }
            recorder.state.withLock { state in
                guard !state.ended else { return }
                guard incoming.count > limits.maxAttributes else {
                    state.attributes = incoming
                    return
                }
                // Over the bound: keys the span already holds keep their place; new keys fill what is left.
                let held = Set(state.attributes.map(\.key))
                var room = limits.maxAttributes - incoming.lazy.filter { held.contains($0.key) }.count
                var kept: [SpanRecord.Attribute] = []
                kept.reserveCapacity(limits.maxAttributes)
                for attribute in incoming {
                    if held.contains(attribute.key) {
                        kept.append(attribute)
                    } else if room > 0 {
                        kept.append(attribute)
                        room -= 1
                    } else {
                        state.droppedAttributes += 1
                    }
                }
                state.attributes = kept
            }
        }
    }

    public var isRecording: Bool {
        recorder?.state.withLock { !$0.ended } ?? false
    }

    public func setStatus(_ status: SpanStatus) {
        guard let recorder else { return }
        let next: SpanRecord.Status
        switch status.code {
        case .ok: next = .ok
        case .error: next = .error(message: status.message.map { SpanLimits.truncated($0, maxBytes: recorder.limits.maxStatusMessageBytes) })
        }
        recorder.state.withLock { state in
            // OpenTelemetry's rule: Ok is final; a later Error does not undo it.
            guard !state.ended, state.status != .ok else { return }
            state.status = next
        }
    }

    public func addEvent(_ event: SpanEvent) {
        guard let recorder else { return }
        let limits = recorder.limits
        let (attributes, dropped) = limits.boundedAttributes(event.attributes, limit: limits.maxAttributesPerEvent)
        let record = SpanRecord.Event(name: SpanLimits.truncated(event.name, maxBytes: limits.maxNameBytes),
                                      timeUnixNano: event.nanosecondsSinceEpoch, attributes: attributes, droppedAttributesCount: dropped)
        recorder.state.withLock { state in
            guard !state.ended else { return }
            if state.events.count < limits.maxEvents { state.events.append(record) } else { state.droppedEvents += 1 }
        }
    }

    /// Records an `exception` event with `exception.type` and `exception.message` (OpenTelemetry's
    /// exception conventions). The message is the error's description, cut to the value length
    /// bound: record only errors whose description is safe to export.
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        guard recorder != nil else { return }
        var attributes = attributes
        attributes.set("exception.type", value: .string(String(describing: type(of: error))))
        attributes.set("exception.message", value: .string(String(describing: error)))
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: attributes))
    }

    public func addLink(_ link: SpanLink) {
        guard let recorder, let target = link.context.spanContext else { return }
        let limits = recorder.limits
        let (attributes, dropped) = limits.boundedAttributes(link.attributes, limit: limits.maxAttributesPerEvent)
        let record = SpanRecord.Link(traceID: target.traceID, spanID: target.spanID, traceState: target.traceState,
                                     attributes: attributes, droppedAttributesCount: dropped)
        recorder.state.withLock { state in
            guard !state.ended else { return }
            if state.links.count < limits.maxLinks { state.links.append(record) } else { state.droppedLinks += 1 }
        }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let recorder else { return }
        let endTime = instant().nanosecondsSinceEpoch
        let spanContext = self.spanContext
        let record: SpanRecord? = recorder.state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            let attributes = state.attributes
            return SpanRecord(
                name: state.name, kind: recorder.kind, traceID: spanContext.traceID, spanID: spanContext.spanID,
                parentSpanID: recorder.parentSpanID, traceState: spanContext.traceState,
                startTimeUnixNano: recorder.startTimeUnixNano, endTimeUnixNano: max(endTime, recorder.startTimeUnixNano),
                attributes: attributes, droppedAttributesCount: state.droppedAttributes,
                events: state.events, droppedEventsCount: state.droppedEvents,
                links: state.links, droppedLinksCount: state.droppedLinks, status: state.status)
        }
        if let record { recorder.exporter.export(record) }
    }
}

/// What a recording `RelaySpan` holds until its end.
final class SpanRecorder: Sendable {
    struct State {
        var name: String
        /// In key order, unique keys.
        var attributes: [SpanRecord.Attribute] = []
        var droppedAttributes = 0
        var events: [SpanRecord.Event] = []
        var droppedEvents = 0
        var links: [SpanRecord.Link] = []
        var droppedLinks = 0
        var status = SpanRecord.Status.unset
        var ended = false
    }

    let state: Mutex<State>
    let kind: SpanRecord.Kind
    let parentSpanID: SpanID?
    let startTimeUnixNano: UInt64
    let limits: SpanLimits
    let exporter: any SpanExporter

    init(name: String, kind: SpanRecord.Kind, parentSpanID: SpanID?, startTimeUnixNano: UInt64, limits: SpanLimits, exporter: any SpanExporter) {
        self.state = Mutex(State(name: name))
        self.kind = kind
        self.parentSpanID = parentSpanID
        self.startTimeUnixNano = startTimeUnixNano
        self.limits = limits
        self.exporter = exporter
    }
}
