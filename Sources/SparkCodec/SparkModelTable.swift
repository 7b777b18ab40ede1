/// The models the relay offers and how client model names map onto them.
///
/// Lookup order in `model(named:)`: exact name, exact domain (domains are case-sensitive, as Spark
/// compares them), then aliases case-insensitively.
public struct SparkModelTable: Sendable, Equatable {
    /// The models in table order (the order `/v1/models` lists them).
    public let models: [SparkModel]
    private let byName: [String: Int]
    private let byAlias: [String: Int]

    /// Builds a table; throws when a name or alias would be ambiguous between two models. Names
    /// are unique exactly. A domain also finds its model, unless a model has it as its name (a
    /// configured model may run on a built-in's domain: the built-in keeps its name); models that
    /// share a domain are found through it in table order. An alias must not equal (ignoring case)
    /// any name, domain or alias of another model.
    public init(models: [SparkModel]) throws(SparkModelTableError) {
        var byName: [String: Int] = [:]
        for (index, model) in models.enumerated() {
            if byName[model.name] != nil { throw .duplicateName(model.name) }
            byName[model.name] = index
        }
        for (index, model) in models.enumerated() where byName[model.domain] == nil {
            byName[model.domain] = index
        }
        var folded: [String: Int] = [:]
        for (index, model) in models.enumerated() {
            for key in [model.name, model.domain] where folded[key.lowercased()] == nil {
                folded[key.lowercased()] = index
            }
        }
        var byAlias: [String: Int] = [:]
        for (index, model) in models.enumerated() {
            for alias in model.aliases {
                let key = alias.lowercased()
                if let other = folded[key], other != index { throw .duplicateAlias(alias) }
                if let other = byAlias[key], other != index { throw .duplicateAlias(alias) }
                byAlias[key] = index
            }
        }
        self.models = models
        self.byName = byName
        self.byAlias = byAlias
    }

    /// The model for a client-supplied name: exact name or domain first, then any alias ignoring case.
    public func model(named name: String) -> SparkModel? {
        if let index = byName[name] ?? byAlias[name.lowercased()] { return models[index] }
        return nil
    }

    /// The model served at `path` (the simulator maps an upgrade request's path to its model).
    public func model(forPath path: String) -> SparkModel? {
        models.first(where: { $0.path == path })
    }

    /// Spark's public host for the built-in table.
    public static let defaultBase = SparkEndpoint(scheme: "wss", host: "spark-api.xf-yun.com", path: "/")

    /// Spark's public host for the HTTP API (SparkCodec/README.md §10).
    public static let defaultHTTPBase = SparkHTTPBase(scheme: "https", host: "spark-api-open.xf-yun.com")

    /// The models whose HTTP path is `path` (the simulator serves `POST path` for them).
    public func models(forHTTPPath path: String) -> [SparkModel] {
        models.filter { $0.httpPath == path }
    }

    /// The built-in table (SparkCodec/README.md §1) with X1's domain `x1`.
    public static let `default` = standard(x1Domain: "x1")

    /// The built-in table with a chosen X1 domain (every model on WebSocket; HTTP path
    /// `/v1/chat/completions`, X1 `/v2/chat/completions`): `x1` (X1 WS doc, 2025-04) or `spark-x` (iFlytek's
    /// Java SDK since the X1.5 upgrade, 2025-11); which one the live service requires is unverified.
    public static func standard(x1Domain: String) -> SparkModelTable {
        let models = [
            SparkModel(name: "lite", domain: "lite", path: "/v1.1/chat", aliases: ["Spark-Lite"],
                       maxTokensLimit: 4096, defaultMaxTokens: 4096, supportsSystem: false),
            SparkModel(name: "generalv3", domain: "generalv3", path: "/v3.1/chat", aliases: ["Spark-Pro"],
                       maxTokensLimit: 8192, defaultMaxTokens: 4096, supportsWebSearch: true),
            SparkModel(name: "pro-128k", domain: "pro-128k", path: "/chat/pro-128k", aliases: ["Spark-Pro-128K"],
                       maxTokensLimit: 4096, defaultMaxTokens: 4096, contextTokenLimit: 128 * 1024),
            SparkModel(name: "generalv3.5", domain: "generalv3.5", path: "/v3.5/chat", aliases: ["Spark-Max"],
                       maxTokensLimit: 8192, defaultMaxTokens: 4096, supportsFunctions: true, supportsWebSearch: true),
            SparkModel(name: "max-32k", domain: "max-32k", path: "/chat/max-32k", aliases: ["Spark-Max-32K"],
                       maxTokensLimit: 8192, defaultMaxTokens: 4096, contextTokenLimit: 32 * 1024),
            SparkModel(name: "4.0Ultra", domain: "4.0Ultra", path: "/v4.0/chat", aliases: ["Spark-4.0-Ultra", "Spark-Ultra"],
                       maxTokensLimit: 8192, defaultMaxTokens: 4096, supportsFunctions: true, supportsWebSearch: true),
            SparkModel(name: "x1", domain: x1Domain, path: "/v1/x1", aliases: ["Spark-X1"],
                       maxTokensLimit: 32768, defaultMaxTokens: 32768, temperatureRange: 0...2, isReasoning: true,
                       contextTokenLimit: 32 * 1024, httpPath: SparkModel.reasoningHTTPPath),
        ]
        do {
            return try SparkModelTable(models: models)
        } catch {
            preconditionFailure("built-in Spark model table is inconsistent: \(error)")
        }
    }
}
