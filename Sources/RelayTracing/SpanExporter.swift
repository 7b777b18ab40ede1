/// Where `RelayTracer` sends each ended, sampled span.
///
/// `export` is called on whatever thread ended the span, often an event loop in the middle of a
/// request: it must return at once (queue the record, or drop and count it), never wait for I/O
/// or for a lock held across I/O.
public protocol SpanExporter: Sendable {
    /// Takes one ended span; returns at once.
    func export(_ record: SpanRecord)
    /// Starts sending whatever is queued without waiting for a full batch; returns at once.
    func forceFlush()
}
