/// One Spark chat model: the id clients use, the `parameter.chat.domain` Spark expects (the HTTP
/// API's `model`), the protocol it is reached over, its WebSocket and HTTP paths, and the parameter
/// limits the request validator enforces (SparkCodec/README.md §1, §4.3, §10).
public struct SparkModel: Sendable, Equatable, Codable {
    /// Client-facing id (the Spark domain for the built-in models, e.g. `generalv3.5`).
    public var name: String
    /// The `parameter.chat.domain` value sent upstream (X1: `x1`, or `spark-x` since the X1.5 upgrade).
    public var domain: String
    /// The WebSocket path on the Spark host, e.g. `/v3.5/chat`.
    public var path: String
    /// Other names accepted for this model; matched case-insensitively.
    public var aliases: [String]
    /// Upper bound of `max_tokens` (lower bound is 1).
    public var maxTokensLimit: Int
    /// `max_tokens` Spark assumes when the request omits it.
    public var defaultMaxTokens: Int
    /// Allowed `temperature`, with an OPEN lower bound: `0...1` means (0, 1] (general models),
    /// `0...2` means (0, 2] (X1). Use `acceptsTemperature(_:)` rather than `contains`.
    public var temperatureRange: ClosedRange<Double>
    /// Whether a leading `system` message is documented for this model.
    public var supportsSystem: Bool
    /// Whether `payload.functions` (function calling over WebSocket) is documented for this model.
    public var supportsFunctions: Bool
    /// Whether the model streams `reasoning_content` (X1).
    public var isReasoning: Bool
    /// Whether `parameter.chat.tools` web search applies (Pro, Max, 4.0 Ultra).
    public var supportsWebSearch: Bool
    /// Token budget for all message contents together; more gives error 10907.
    public var contextTokenLimit: Int
    /// The protocol the relay uses for this model. Default `.websocket`.
    public var upstreamProtocol: SparkProtocol
    /// The HTTP API path on the Spark HTTP host: `/v1/chat/completions`, X1 `/v2/chat/completions`.
    public var httpPath: String

    /// The HTTP API path of the general models.
    public static let defaultHTTPPath = "/v1/chat/completions"
    /// The HTTP API path of the X1 reasoning model.
    public static let reasoningHTTPPath = "/v2/chat/completions"

    /// Creates a model description.
    public init(name: String, domain: String, path: String, aliases: [String] = [], maxTokensLimit: Int,
                defaultMaxTokens: Int, temperatureRange: ClosedRange<Double> = 0...1, supportsSystem: Bool = true,
                supportsFunctions: Bool = false, isReasoning: Bool = false, supportsWebSearch: Bool = false,
                contextTokenLimit: Int = 8192, upstreamProtocol: SparkProtocol = .websocket,
                httpPath: String = SparkModel.defaultHTTPPath) {
        self.name = name
        self.domain = domain
        self.path = path
        self.aliases = aliases
        self.maxTokensLimit = maxTokensLimit
        self.defaultMaxTokens = defaultMaxTokens
        self.temperatureRange = temperatureRange
        self.supportsSystem = supportsSystem
        self.supportsFunctions = supportsFunctions
        self.isReasoning = isReasoning
        self.supportsWebSearch = supportsWebSearch
        self.contextTokenLimit = contextTokenLimit
        self.upstreamProtocol = upstreamProtocol
        self.httpPath = httpPath
    }

    private enum CodingKeys: String, CodingKey {
        case name, domain, path, aliases, maxTokensLimit, defaultMaxTokens, temperatureRange, supportsSystem
        case supportsFunctions, isReasoning, supportsWebSearch, contextTokenLimit, upstreamProtocol, httpPath
    }

    /// Decodes every member; `upstreamProtocol` (default `.websocket`) and `httpPath` (default
    /// `/v1/chat/completions`) may be absent, as in data written before they existed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        domain = try container.decode(String.self, forKey: .domain)
        path = try container.decode(String.self, forKey: .path)
        aliases = try container.decode([String].self, forKey: .aliases)
        maxTokensLimit = try container.decode(Int.self, forKey: .maxTokensLimit)
        defaultMaxTokens = try container.decode(Int.self, forKey: .defaultMaxTokens)
        temperatureRange = try container.decode(ClosedRange<Double>.self, forKey: .temperatureRange)
        supportsSystem = try container.decode(Bool.self, forKey: .supportsSystem)
        supportsFunctions = try container.decode(Bool.self, forKey: .supportsFunctions)
        isReasoning = try container.decode(Bool.self, forKey: .isReasoning)
        supportsWebSearch = try container.decode(Bool.self, forKey: .supportsWebSearch)
        contextTokenLimit = try container.decode(Int.self, forKey: .contextTokenLimit)
        upstreamProtocol = try container.decodeIfPresent(SparkProtocol.self, forKey: .upstreamProtocol) ?? .websocket
        httpPath = try container.decodeIfPresent(String.self, forKey: .httpPath) ?? Self.defaultHTTPPath
    }

    /// `true` when `value` is in (lower, upper] (the lower bound is exclusive, SparkCodec/README.md §4.3).
    public func acceptsTemperature(_ value: Double) -> Bool {
        value > temperatureRange.lowerBound && value <= temperatureRange.upperBound
    }

    /// `true` when `value` is in [1, maxTokensLimit].
    public func acceptsMaxTokens(_ value: Int) -> Bool {
        value >= 1 && value <= maxTokensLimit
    }

    /// This model's endpoint on `base` (scheme, host and port from `base`, path from the model).
    public func endpoint(on base: SparkEndpoint) -> SparkEndpoint {
        SparkEndpoint(scheme: base.scheme, host: base.host, port: base.port, path: path)
    }

    /// The HTTP API URL of this model on `base` (`https://spark-api-open.xf-yun.com` by default):
    /// `base`'s scheme, host and non-default port, then `httpPath`; a path on `base` is replaced.
    /// `base` is `http://…` or `https://…` (`SparkModelTable.defaultHTTPBase`).
    public func httpURL(on base: SparkHTTPBase = SparkModelTable.defaultHTTPBase) -> String {
        base.url(path: httpPath)
    }
}
