import SparkUpstream

extension SparkClient {
    /// Where a ``SparkClient`` connects, which models it offers, and its timeouts and limits.
    ///
    /// Every value has a default; change what you need:
    ///
    /// ```swift
    /// var configuration = SparkClient.Configuration()
    /// configuration.idleTimeout = 30
    /// let client = SparkClient(credentials: credentials, configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// Scheme, host and port of the Spark gateway; each model's path is appended
        /// (`wss://127.0.0.1:9443` sends `generalv3.5` to `wss://127.0.0.1:9443/v3.5/chat`).
        /// `ws://` is allowed (the simulator). The base's own path is ignored.
        /// Default `wss://spark-api.xf-yun.com`.
        public var baseURL: SparkEndpoint
        /// Scheme, host and port (and an optional path prefix) of Spark's OpenAI-style HTTP API, for
        /// models whose `upstreamProtocol` is `.http`; each model's `httpPath` is appended.
        /// `http://` is allowed (the simulator serves it on its WebSocket port).
        /// Default `https://spark-api-open.xf-yun.com`.
        public var httpBaseURL: SparkHTTPBase
        /// The models requests may name, with their paths, protocols and parameter limits.
        /// Default ``SparkModelTable/default``.
        public var models: SparkModelTable
        /// Sends every model over this protocol instead of its own `upstreamProtocol`; `nil` (the
        /// default) keeps each model's.
        public var upstreamProtocol: SparkProtocol?
        /// A PEM CA bundle to trust for `wss://`, in addition to the system store. Default `nil`.
        public var caFile: String?
        /// Most events held for a consumer that has not asked for them yet. When the buffer is
        /// (nearly) full the client stops reading from Spark until the consumer has drained it below
        /// half. Values below 3 (the most events one Spark frame produces) count as 3. Default 64.
        public var bufferLimit: Int
        /// The timeouts and limits of the underlying Spark conversation.
        var upstream: SparkUpstreamConfiguration

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - baseURL: Scheme, host and port of the Spark gateway.
        ///   - models: The model table.
        ///   - caFile: A PEM CA bundle to trust for `wss://`, or `nil`.
        ///   - bufferLimit: Most events buffered for a slow consumer.
        ///   - httpBaseURL: Where Spark's HTTP API is.
        ///   - upstreamProtocol: One protocol for every model, or `nil` for each model's own.
        public init(baseURL: SparkEndpoint = SparkModelTable.defaultBase, models: SparkModelTable = .default,
                    caFile: String? = nil, bufferLimit: Int = 64,
                    httpBaseURL: SparkHTTPBase = SparkModelTable.defaultHTTPBase, upstreamProtocol: SparkProtocol? = nil) {
            self.baseURL = baseURL
            self.httpBaseURL = httpBaseURL
            self.upstreamProtocol = upstreamProtocol
            self.models = models
            self.caFile = caFile
            self.bufferLimit = bufferLimit
            self.upstream = SparkUpstreamConfiguration()
        }

        /// Seconds for DNS plus TCP connect. Default 10.
        public var connectTimeout: Double {
            get { upstream.connectTimeout }
            set { upstream.connectTimeout = newValue }
        }

        /// Seconds for TLS plus the WebSocket upgrade. Default 10.
        public var handshakeTimeout: Double {
            get { upstream.handshakeTimeout }
            set { upstream.handshakeTimeout = newValue }
        }

        /// Seconds from sending the request to Spark's first frame. Default 60.
        public var firstFrameTimeout: Double {
            get { upstream.firstFrameTimeout }
            set { upstream.firstFrameTimeout = newValue }
        }

        /// Longest silence between two frames, in seconds. Default 60.
        ///
        /// While a slow consumer keeps the buffer full the client does not read from Spark, so this
        /// also bounds how long a consumer may stop asking for events.
        public var idleTimeout: Double {
            get { upstream.idleTimeout }
            set { upstream.idleTimeout = newValue }
        }

        /// Largest WebSocket message accepted from Spark, in bytes. Default 4 MiB.
        public var maxMessageBytes: Int {
            get { upstream.maxMessageBytes }
            set { upstream.maxMessageBytes = newValue }
        }

        /// Clock skew Spark tolerates, in seconds; used to explain HTTP 403 answers. Default 300.
        public var maxClockSkew: Double {
            get { upstream.maxClockSkew }
            set { upstream.maxClockSkew = newValue }
        }

        /// ``bufferLimit`` raised to the least workable value.
        var effectiveBufferLimit: Int { max(bufferLimit, SparkEvent.maxEventsPerFrame) }
    }
}
