import RelayIO
import SparkCodec
import SparkUpstream

/// Everything needed to open Spark conversations, resolved once from the configuration:
/// credentials, the model table, and one `Upstream` per protocol (the WebSocket on
/// `upstream.spark_base_url`, the HTTP API on `upstream.spark_http_base_url`). A model's
/// `upstreamProtocol` picks its upstream; callers never branch on it.
public final class UpstreamSettings: Sendable {
    /// The first app's credentials.
    public let credentials: SparkCredentials
    /// Every app, leased per conversation.
    public let pool: CredentialPool
    public let models: SparkModelTable
    /// The WebSocket upstream.
    public let webSocket: WebSocketUpstream
    /// The HTTP API upstream.
    public let http: HTTPUpstream
    public let configuration: SparkUpstreamConfiguration
    /// What `/healthz` and the logs call this upstream (`spark` or `simulator`).
    public let mode: UpstreamMode

    public init(credentials: SparkCredentials, base: SparkEndpoint, httpBase: SparkHTTPBase, models: SparkModelTable,
                tls: TLSContext?, configuration: SparkUpstreamConfiguration, mode: UpstreamMode, pool: CredentialPool? = nil) {
        self.credentials = credentials
        self.pool = pool ?? CredentialPool(credentials: [credentials])
        self.models = models
        self.webSocket = WebSocketUpstream(base: base, tls: base.isSecure ? tls : nil, configuration: configuration)
        self.http = HTTPUpstream(base: httpBase, tls: httpBase.isSecure ? tls : nil, configuration: configuration)
        self.configuration = configuration
        self.mode = mode
    }

    /// Scheme, host and port of the WebSocket upstream.
    public var base: SparkEndpoint { webSocket.base }

    /// The upstream `model` is served by.
    public func upstream(for model: SparkModel) -> any Upstream {
        upstream(speaking: model.upstreamProtocol)
    }

    /// The upstream of `sparkProtocol`.
    public func upstream(speaking sparkProtocol: SparkProtocol) -> any Upstream {
        switch sparkProtocol {
        case .websocket: webSocket
        case .http: http
        }
    }

    /// The protocols the model table uses, in `SparkProtocol` order.
    public var protocolsInUse: [SparkProtocol] {
        SparkProtocol.allCases.filter { wanted in models.models.contains { $0.upstreamProtocol == wanted } }
    }

    /// Builds the settings for real Spark (or whatever the base URLs point at) from the configuration.
    public static func make(from upstream: RelayConfiguration.Upstream, mode: UpstreamMode,
                            credentials overriding: SparkCredentials? = nil, base overridingBase: SparkEndpoint? = nil,
                            httpBase overridingHTTPBase: SparkHTTPBase? = nil) throws(ConfigError) -> UpstreamSettings {
        let models = try modelTable(from: upstream)
        let protocols = Set(models.models.map(\.upstreamProtocol))
        let credentials: SparkCredentials
        if let overriding {
            credentials = overriding
        } else {
            credentials = try configuredCredentials(upstream, needsWebSocket: protocols.contains(.websocket))
        }
        let base: SparkEndpoint
        if let overridingBase {
            base = overridingBase
        } else {
            guard let parsed = SparkEndpoint(url: upstream.sparkBaseURL) else {
                throw ConfigError(key: "upstream.spark_base_url", message: "must be a ws:// or wss:// URL without a query, got '\(upstream.sparkBaseURL)'")
            }
            base = parsed
        }
        let httpBase: SparkHTTPBase
        if let overridingHTTPBase {
            httpBase = overridingHTTPBase
        } else {
            guard let parsed = SparkHTTPBase(url: upstream.sparkHTTPBaseURL) else {
                throw ConfigError(key: "upstream.spark_http_base_url", message: "must be an http:// or https:// URL without a query, got '\(upstream.sparkHTTPBaseURL)'")
            }
            httpBase = parsed
        }
        var tls: TLSContext?
        if (protocols.contains(.websocket) && base.isSecure) || (protocols.contains(.http) && httpBase.isSecure) {
            do {
                tls = try TLSContext(clientWithCAFile: upstream.caFile)
            } catch {
                throw ConfigError(key: "upstream.ca_file", message: "\(error)")
            }
        }
        var configuration = SparkUpstreamConfiguration()
        configuration.connectTimeout = upstream.connectTimeout
        configuration.handshakeTimeout = upstream.handshakeTimeout
        configuration.firstFrameTimeout = upstream.firstFrameTimeout
        configuration.idleTimeout = upstream.idleTimeout
        configuration.maxMessageBytes = upstream.maxMessageBytes
        let extra = overriding == nil ? upstream.additionalCredentials.map {
            SparkCredentials(appID: $0.appID, apiKey: $0.apiKey, apiSecret: $0.apiSecret, apiPassword: $0.apiPassword)
        } : []
        let pool = CredentialPool(credentials: [credentials] + extra, maxConcurrency: upstream.appMaxConcurrency,
                                  maxQPS: upstream.appMaxQPS, queueTimeout: upstream.queueTimeout,
                                  maxQueued: upstream.maxQueued, cooloff: upstream.failoverCooloff)
        return UpstreamSettings(credentials: credentials, base: base, httpBase: httpBase, models: models, tls: tls,
                                configuration: configuration, mode: mode, pool: pool)
    }

    /// The configured app. WebSocket models need all three of app id, key and secret; the HTTP API
    /// needs the password, or the key and secret.
    private static func configuredCredentials(_ upstream: RelayConfiguration.Upstream, needsWebSocket: Bool) throws(ConfigError) -> SparkCredentials {
        func value(_ text: String?) -> String? { (text ?? "").isEmpty ? nil : text }
        let password = value(upstream.apiPassword)
        let because = needsWebSocket ? "for models on the websocket protocol" : "for the HTTP API unless SPARK_API_PASSWORD is set"
        if needsWebSocket {
            guard value(upstream.appID) != nil else {
                throw ConfigError(key: "upstream.app_id", message: "is required \(because) (set SPARK_APP_ID, or upstream.protocol to http with SPARK_API_PASSWORD)")
            }
        }
        if needsWebSocket || password == nil {
            guard value(upstream.apiKey) != nil else {
                throw ConfigError(key: "upstream.api_key", message: "is required \(because) (set SPARK_API_KEY)")
            }
            guard value(upstream.apiSecret) != nil else {
                throw ConfigError(key: "upstream.api_secret", message: "is required \(because) (set SPARK_API_SECRET)")
            }
        }
        return SparkCredentials(appID: value(upstream.appID) ?? "-", apiKey: upstream.apiKey ?? "", apiSecret: upstream.apiSecret ?? "",
                                apiPassword: password)
    }

    /// The built-in table with the configured `x1_domain` and `upstream.protocol`, plus configured
    /// models: an entry with a built-in's name overrides it (what it leaves out stays as built in),
    /// any other name adds a model (starting from the limits of the built-in on its domain).
    static func modelTable(from upstream: RelayConfiguration.Upstream) throws(ConfigError) -> SparkModelTable {
        var models = SparkModelTable.standard(x1Domain: upstream.x1Domain).models
        for index in models.indices { models[index].upstreamProtocol = upstream.sparkProtocol }
        for (position, entry) in upstream.models.enumerated() {
            let overridden = models.first { $0.name == entry.name }
            let domain = entry.domain ?? overridden?.domain ?? entry.name
            let builtIn = overridden ?? models.first { $0.domain == domain }
            guard let path = entry.path ?? overridden?.path else {
                throw ConfigError(key: "upstream.models[\(position)].path", message: "is required for a model that is not built in ('\(entry.name.prefix(60))')")
            }
            let model = SparkModel(
                name: entry.name, domain: domain, path: path,
                aliases: entry.aliases.isEmpty ? overridden?.aliases ?? [] : entry.aliases,
                maxTokensLimit: entry.maxTokens ?? builtIn?.maxTokensLimit ?? 8192,
                defaultMaxTokens: min(entry.maxTokens ?? builtIn?.defaultMaxTokens ?? 4096, builtIn?.defaultMaxTokens ?? 4096),
                temperatureRange: builtIn?.temperatureRange ?? 0...1,
                supportsSystem: builtIn?.supportsSystem ?? true,
                supportsFunctions: builtIn?.supportsFunctions ?? false,
                isReasoning: builtIn?.isReasoning ?? false,
                supportsWebSearch: builtIn?.supportsWebSearch ?? false,
                contextTokenLimit: builtIn?.contextTokenLimit ?? 8192,
                upstreamProtocol: entry.sparkProtocol ?? upstream.sparkProtocol,
                httpPath: entry.httpPath ?? builtIn?.httpPath ?? SparkModel.defaultHTTPPath)
            models.removeAll { $0.name == entry.name }
            models.append(model)
        }
        do {
            return try SparkModelTable(models: models)
        } catch {
            throw ConfigError(key: "upstream.models", message: "\(error)")
        }
    }
}
