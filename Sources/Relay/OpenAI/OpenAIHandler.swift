import HTTPCodec
import Logging
import SparkCodec

/// The OpenAI-compatible API over Spark: `POST /v1/chat/completions` (streaming and not) and
/// `GET /v1/models[/{id}]`. Completions run on the same `ChatStream` machinery as `/chat/stream`
/// (one relay path); only the output format differs.
final class OpenAIHandler: Sendable {
    private let upstream: UpstreamSettings
    private let settings: RelayConfiguration.Stream
    private let registry: StreamRegistry
    private let logger: Logger
    private let gate: ClientGate
    private let metrics: RelayMetrics?

    init(upstream: UpstreamSettings, settings: RelayConfiguration.Stream, registry: StreamRegistry, gate: ClientGate, metrics: RelayMetrics?, logger: Logger) {
        self.gate = gate
        self.metrics = metrics
        self.upstream = upstream
        self.settings = settings
        self.registry = registry
        self.logger = logger
    }

    func register(in router: inout Router) {
        router.add(.post, "/v1/chat/completions", gate.protect(completions))
        router.add(.get, "/v1/models", gate.protect(listModels))
        router.add(.get, "/v1/models/{id}", gate.protect(retrieveModel))
    }

    func completions(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let parsed: OpenAIChatRequest
        do {
            parsed = try OpenAIChatRequest.parse(body: request.body, headers: request.headers, models: upstream.models)
        } catch {
            writer.respond(error.openAIResponse)
            return
        }
        if let refused = gate.checkModel(request, model: parsed.input.model.name, requested: parsed.requestedModel) {
            writer.respond(refused.openAIResponse)
            return
        }
        gate.acquireStream(for: request, on: writer.loop) { [self] result in
            let slot: StreamSlot
            switch result {
            case .success(let acquired): slot = acquired
            case .failure(let error):
                writer.respond(error.openAIResponse)
                return
            }
            let completion = OpenAICompletion(model: parsed.requestedModel, maxTokens: parsed.input.maxTokens)
            let output: any StreamOutput = parsed.stream
                ? OpenAIStreamOutput(completion: completion, includeUsage: parsed.includeUsage)
                : OpenAICompletionOutput(completion: completion)
            let registry = self.registry
            let stream = ChatStream(id: StreamRegistry.makeID(), loop: writer.loop, origin: .unlisted, input: parsed.input,
                                    upstream: upstream, settings: settings, budget: registry.budget, logger: logger,
                                    onRemove: { registry.remove($0) })
            stream.slot = slot
            stream.metrics = metrics
            stream.keyName = request.keyName
            // The registry owns every live stream (this one is never reachable by id: see ChatHandler).
            registry.add(stream)
            var headers = HTTPHeaders()
            if !parsed.ignoredParameters.isEmpty {
                headers.add(name: "X-Relay-Ignored-Params", value: parsed.ignoredParameters.joined(separator: ", "))
            }
            stream.attach(writer: writer, output: output, after: nil, headers: headers)
        }
    }

    private struct ModelObject: Encodable {
        var id: String
        var object = "model"
        var created = 0
        var owned_by = "iflytek"
    }

    private struct ModelList: Encodable {
        var object = "list"
        var data: [ModelObject]
    }

    /// Every configured model the request's key may use, under its name and each alias.
    private func modelObjects(for request: HTTPRequest) -> [ModelObject] {
        upstream.models.models.filter { gate.allowsModel(request, model: $0.name) }.flatMap { model in
            [ModelObject(id: model.name)] + model.aliases.map { ModelObject(id: $0) }
        }
    }

    func listModels(_ request: HTTPRequest, _ writer: ResponseWriter) {
        writer.respond(HTTPResponse.json(ModelList(data: modelObjects(for: request))))
    }

    func retrieveModel(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let id = FormURLEncoding.decodePathSegment(request.pathParameters["id"] ?? "") ?? ""
        guard upstream.models.model(named: id) != nil else {
            writer.respond(APIError(status: .notFound, type: "invalid_request_error", code: "model_not_found",
                                    message: "The model '\(id.prefix(100))' does not exist").openAIResponse)
            return
        }
        writer.respond(HTTPResponse.json(ModelObject(id: id)))
    }
}
