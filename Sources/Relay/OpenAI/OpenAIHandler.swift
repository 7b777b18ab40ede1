import HTTPCodec
import Logging
import SparkCodec

/// The OpenAI-compatible API over Spark: `POST /v1/chat/completions` (streaming and not) and
/// `GET /v1/models[/{id}]`. Completions run on the same `ChatStream` machinery as `/chat/stream`
/// (one relay path); only the output format differs.
final class OpenAIHandler: Sendable {
    private let streams: StreamFactory
    private var upstream: UpstreamSettings { streams.upstream }
    private var gate: ClientGate { streams.gate }

    init(streams: StreamFactory) {
        self.streams = streams
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
        streams.admitBudget(request, model: parsed.input.model.name, on: writer.loop) { [streams] refused in
            if let refused {
                writer.respond(refused.openAIResponse)
                return
            }
            let completion = OpenAICompletion(model: parsed.requestedModel, maxTokens: parsed.input.maxTokens)
            let output: any StreamOutput = parsed.stream
                ? OpenAIStreamOutput(completion: completion, includeUsage: parsed.includeUsage)
                : OpenAICompletionOutput(completion: completion)
            var headers = HTTPHeaders()
            if !parsed.ignoredParameters.isEmpty {
                headers.add(name: "X-Relay-Ignored-Params", value: parsed.ignoredParameters.joined(separator: ", "))
            }
            writer.upstreamProtocol = parsed.input.model.upstreamProtocol
            // Unlisted: never reachable by id (an OpenAI client has no way to resume).
            streams.make(parsed.input, origin: .unlisted, owner: request, streamed: parsed.stream, on: writer.loop) { [headers] result in
                switch result {
                case .success(let stream): stream.attach(writer: writer, output: output, after: nil, headers: headers)
                case .failure(let error): writer.respond(error.openAIResponse)
                }
            }
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
