/// What an `OTLPHTTPExporter` did with the spans it was given, for metrics and logs.
public struct OTLPExporterStatistics: Sendable, Equatable {
    /// Spans the collector accepted (a 2xx answer).
    public var exportedSpans = 0
    /// Spans refused at the queue: it was full (the collector slow or down), or the exporter was shut down.
    public var droppedSpans = 0
    /// Spans sent in a request that failed.
    public var failedSpans = 0
    /// Requests answered with a 2xx status.
    public var successfulExports = 0
    /// Requests that failed: no connection, a timeout, a broken or non-2xx response.
    public var failedExports = 0
    /// Spans waiting in the queue now.
    public var queuedSpans = 0

    /// All zero.
    public init() {}
}
