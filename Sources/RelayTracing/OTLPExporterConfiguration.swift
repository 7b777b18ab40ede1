/// Settings of an `OTLPHTTPExporter`: where it sends, what it sends with, and every bound of its
/// queue and its requests (`tracing.*` in the relay's configuration).
public struct OTLPExporterConfiguration: Sendable {
    /// The collector's OTLP/HTTP traces endpoint (`tracing.otlp_endpoint`).
    public var endpoint: OTLPEndpoint
    /// Extra request header fields, e.g. a collector's `Authorization` (`tracing.headers`). They
    /// may carry credentials and are never logged.
    public var headers: [(String, String)] = []
    /// `service.name` of the resource (`tracing.service_name`).
    public var serviceName = "spark-relay"
    /// More resource attributes (`service.version`, `service.instance.id`, …).
    public var resourceAttributes: [SpanRecord.Attribute] = []
    /// The instrumentation scope name sent with every span.
    public var scopeName = "spark-relay"
    /// Spans waiting to be sent at most; a span ended while the queue is full is dropped and counted.
    public var queueCapacity = 2048
    /// Spans per request at most; a full batch is sent at once.
    public var maxBatchSize = 512
    /// The longest a span waits for a batch to fill before it is sent anyway, in seconds.
    public var flushInterval: Double = 5
    /// The longest one export request may take (connect, send, response), in seconds; then it is
    /// abandoned, its spans counted as failed, and never retried.
    public var requestTimeout: Double = 10
    /// Largest collector response body read (it is read and discarded).
    public var maxResponseBytes = 64 * 1024
    /// On `shutdown`, the longest the exporter goes on sending what is queued, in seconds; what is
    /// left then is dropped and counted.
    public var shutdownTimeout: Double = 5

    /// Defaults, sending to `endpoint`.
    public init(endpoint: OTLPEndpoint) {
        self.endpoint = endpoint
    }
}
