/// One Spark chat model: the id clients use, the `parameter.chat.domain` Spark expects, the endpoint
/// path, and the parameter limits the request validator enforces (SparkCodec/README.md §1, §4.3).
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

    /// Creates a model description.
    public init(name: String, domain: String, path: String, aliases: [String] = [], maxTokensLimit: Int,
                defaultMaxTokens: Int, temperatureRange: ClosedRange<Double> = 0...1, supportsSystem: Bool = true,
                supportsFunctions: Bool = false, isReasoning: Bool = false, supportsWebSearch: Bool = false,
                contextTokenLimit: Int = 8192) {
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
}
