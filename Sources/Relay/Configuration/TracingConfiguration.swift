extension RelayConfiguration {
    /// Distributed tracing (`tracing.*`): where spans go and how many. Off while `otlpEndpoint` is
    /// `nil`; the keys' documentation is in `ConfigSettings.swift`.
    public struct Tracing: Sendable, Equatable {
        /// The collector's OTLP/HTTP endpoint (`http(s)://host:port[/path]`); `nil`: tracing off.
        public var otlpEndpoint: String?
        /// Extra header fields sent to the collector (its credentials, say); never logged.
        public var headers: [Header] = []
        /// `service.name` of the relay's spans.
        public var serviceName = "spark-relay"
        /// The share of new traces recorded (a caller's `traceparent` decides for its own).
        public var sampleRatio = 1.0
        /// Ended spans waiting for the collector at most; more are dropped and counted.
        public var queueSpans = 2048
        /// Spans per export request at most.
        public var batchSpans = 512
        /// The longest a span waits before it is sent, in seconds.
        public var flushInterval = 5.0
        /// The longest one export request may take, in seconds.
        public var exportTimeout = 10.0
        /// At shutdown, how long queued spans may still be sent, in seconds.
        public var shutdownTimeout = 5.0

        /// One header field sent with every export request.
        public struct Header: Sendable, Equatable {
            public var name: String
            public var value: String

            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        /// Whether spans are exported.
        public var isEnabled: Bool { otlpEndpoint != nil }
    }
}
