import RelayIO
import SparkCodec
import SparkUpstream

/// Everything needed to open Spark conversations, resolved once from the configuration:
/// credentials, the base URL every model path goes to, the model table, TLS and timeouts.
public final class UpstreamSettings: Sendable {
    /// The first app's credentials.
    public let credentials: SparkCredentials
    /// Every app, leased per conversation.
    public let pool: CredentialPool
    public let base: SparkEndpoint
    public let models: SparkModelTable
    public let tls: TLSContext?
    public let configuration: SparkUpstreamConfiguration
    /// What `/healthz` and the logs call this upstream (`spark` or `simulator`).
    public let mode: UpstreamMode

    public init(credentials: SparkCredentials, base: SparkEndpoint, models: SparkModelTable, tls: TLSContext?,
                configuration: SparkUpstreamConfiguration, mode: UpstreamMode, pool: CredentialPool? = nil) {
        self.credentials = credentials
        self.pool = pool ?? CredentialPool(credentials: [credentials])
        self.base = base
        self.models = models
        self.tls = tls
        self.configuration = configuration
        self.mode = mode
    }

    /// Builds the settings for real Spark (or whatever `spark_base_url` points at) from the configuration.
    public static func make(from upstream: RelayConfiguration.Upstream, mode: UpstreamMode,
                            credentials overriding: SparkCredentials? = nil, base overridingBase: SparkEndpoint? = nil) throws(ConfigError) -> UpstreamSettings {
        let credentials: SparkCredentials
        if let overriding {
            credentials = overriding
        } else {
            guard let appID = upstream.appID, !appID.isEmpty else {
                throw ConfigError(key: "upstream.app_id", message: "is required for the spark upstream (set SPARK_APP_ID)")
            }
            guard let apiKey = upstream.apiKey, !apiKey.isEmpty else {
                throw ConfigError(key: "upstream.api_key", message: "is required for the spark upstream (set SPARK_API_KEY)")
            }
            guard let apiSecret = upstream.apiSecret, !apiSecret.isEmpty else {
                throw ConfigError(key: "upstream.api_secret", message: "is required for the spark upstream (set SPARK_API_SECRET)")
            }
            credentials = SparkCredentials(appID: appID, apiKey: apiKey, apiSecret: apiSecret)
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
        let models = try modelTable(from: upstream)
        var tls: TLSContext?
        if base.isSecure {
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
            SparkCredentials(appID: $0.appID, apiKey: $0.apiKey, apiSecret: $0.apiSecret)
        } : []
        let pool = CredentialPool(credentials: [credentials] + extra, maxConcurrency: upstream.appMaxConcurrency,
                                  maxQPS: upstream.appMaxQPS, queueTimeout: upstream.queueTimeout,
                                  maxQueued: upstream.maxQueued, cooloff: upstream.failoverCooloff)
        return UpstreamSettings(credentials: credentials, base: base, models: models, tls: tls,
                                configuration: configuration, mode: mode, pool: pool)
    }

    /// The built-in table with the configured `x1_domain`, plus configured models (a configured
    /// model replaces the built-in one of the same name).
    static func modelTable(from upstream: RelayConfiguration.Upstream) throws(ConfigError) -> SparkModelTable {
        var models = SparkModelTable.standard(x1Domain: upstream.x1Domain).models
        for entry in upstream.models {
            // The built-in the entry overrides (same name), or whose limits a new model on its
            // domain starts from.
            let overridden = models.first { $0.name == entry.name }
            let builtIn = overridden ?? models.first { $0.domain == entry.domain }
            let model = SparkModel(
                name: entry.name, domain: entry.domain, path: entry.path,
                aliases: entry.aliases.isEmpty ? overridden?.aliases ?? [] : entry.aliases,
                maxTokensLimit: entry.maxTokens ?? builtIn?.maxTokensLimit ?? 8192,
                defaultMaxTokens: min(entry.maxTokens ?? builtIn?.defaultMaxTokens ?? 4096, builtIn?.defaultMaxTokens ?? 4096),
                temperatureRange: builtIn?.temperatureRange ?? 0...1,
                supportsSystem: builtIn?.supportsSystem ?? true,
                supportsFunctions: builtIn?.supportsFunctions ?? false,
                isReasoning: builtIn?.isReasoning ?? false,
                supportsWebSearch: builtIn?.supportsWebSearch ?? false,
                contextTokenLimit: builtIn?.contextTokenLimit ?? 8192)
            models.removeAll { $0.name == entry.name }
            models.append(model)
        }
        do {
            return try SparkModelTable(models: models)
        } catch {
            throw ConfigError(key: "upstream.models", message: "\(error)")
        }
    }

    /// A conversation for `request` with `model`, on `loop` (not started), signed with `credentials`
    /// (default: the first app).
    public func makeConnection(model: SparkModel, request: SparkChatRequest, loop: EventLoop,
                               credentials: SparkCredentials? = nil) -> SparkConnection {
        SparkConnection(credentials: credentials ?? self.credentials, model: model, endpoint: model.endpoint(on: base),
                        request: request, loop: loop, tls: tls, configuration: configuration)
    }
}
