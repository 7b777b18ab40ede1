import HTTPCodec
import Logging
import RelayIO
import RelayTracing
import Tracing

/// Makes every chat stream — `POST /chat/stream`, tickets (on either engine) and `/v1` — and keeps
/// the ones of this process reachable by id in the `StreamRegistry`: takes the owner's stream slot
/// (fleet-wide with the Redis engine), builds the `ChatStream` on the caller's loop, registers it.
final class StreamFactory: Sendable {
    let upstream: UpstreamSettings
    let settings: RelayConfiguration.Stream
    let defaultModel: String
    let registry: StreamRegistry
    let gate: ClientGate
    let metrics: RelayMetrics?
    let logger: Logger
    /// Where each stream's usage record goes (`log.usage_file`), when configured.
    let usageLog: UsageLog?
    /// What each upstream attempt's span is started with (`nil`: tracing off).
    let tracer: (any Tracer)?
    /// The named keys' budgets, when any key is named. Set once during set-up (the stream engine
    /// makes the ledger, and the engine needs this factory), before the server accepts anything.
    nonisolated(unsafe) var budgets: (any BudgetLedger)?

    init(upstream: UpstreamSettings, settings: RelayConfiguration.Stream, defaultModel: String, registry: StreamRegistry,
         gate: ClientGate, metrics: RelayMetrics?, logger: Logger, usageLog: UsageLog? = nil, tracer: (any Tracer)? = nil) {
        self.tracer = tracer
        self.upstream = upstream
        self.settings = settings
        self.defaultModel = defaultModel
        self.registry = registry
        self.gate = gate
        self.metrics = metrics
        self.logger = logger
        self.usageLog = usageLog
    }

    /// Counts the request against its key's budget and calls `next` on `loop`, or passes it the `429`
    /// the request gets when the budget is used up (before any upstream connection; OpenAI's
    /// `insufficient_quota` shape, with `Retry-After`), or the `503` while a shared budget cannot be
    /// read and budgets fail closed.
    func admitBudget(_ request: HTTPRequest, model: String, on loop: EventLoop, _ next: @escaping @Sendable (APIError?) -> Void) {
        guard let budgets else {
            next(nil)
            return
        }
        let key = request.keyName
        budgets.admit(key: key, model: model, on: loop) { [metrics] admission in
            switch admission {
            case .admitted:
                next(nil)
            case .exhausted(let refusal):
                metrics?.budgetRejected(key: key ?? RelayMetrics.noKey, reason: "budget_exceeded")
                next(APIError(status: .tooManyRequests, type: "insufficient_quota", code: "budget_exceeded", message: refusal.message,
                              headers: refusal.retryAfterSeconds.map { [("Retry-After", String($0))] } ?? []))
            case .unavailable:
                metrics?.budgetRejected(key: key ?? RelayMetrics.noKey, reason: "budget_unavailable")
                next(.budgetUnavailable(key: key ?? ""))
            }
        }
    }

    /// Takes `owner`'s stream slot, then makes and registers the stream `id` and passes it to `done`
    /// on `loop`; the refusal (a limit) goes to `done` instead, for the caller to answer in its shape.
    /// `owner` is the request the stream counts against: this one, or a claimed ticket's maker.
    /// `streamed`: whether the client reads the answer as a stream (for the usage record).
    /// `traceContext`: the context the stream's spans start from, when not the owner's (a ticket
    /// claimed on another relay: the span that made the ticket).
    func make(_ input: ChatInput, id: String = StreamRegistry.makeID(), origin: ChatStream.Origin, owner: HTTPRequest,
              streamed: Bool = true, traceContext: ServiceContext? = nil, on loop: EventLoop,
              _ done: @escaping @Sendable (Result<ChatStream, APIError>) -> Void) {
        gate.acquireStream(for: owner, on: loop) { [self] result in
            switch result {
            case .failure(let error):
                done(.failure(error))
            case .success(let slot):
                let registry = self.registry
                let stream = ChatStream(id: id, loop: loop, origin: origin, input: input, upstream: upstream,
                                        settings: settings, budget: registry.budget, logger: logger,
                                        onRemove: { registry.remove($0) })
                stream.slot = slot
                stream.metrics = metrics
                stream.keyName = owner.keyName
                stream.usageLog = usageLog
                stream.budgets = budgets
                stream.usageContext = UsageContext(requestID: owner.requestID, key: owner.keyName, client: owner.clientAddress,
                                                   route: Self.route(of: origin), stream: streamed,
                                                   startedAt: ChatStream.uptimeSeconds(), traceID: owner.traceID)
                if let tracer {
                    stream.tracer = tracer
                    stream.traceContext = traceContext ?? owner.traceContext
                }
                registry.add(stream)
                done(.success(stream))
            }
        }
    }

    /// The route pattern a stream of `origin` was asked for on.
    static func route(of origin: ChatStream.Origin) -> String {
        switch origin {
        case .direct: "/chat/stream"
        case .ticket: "/chat"
        case .unlisted: "/v1/chat/completions"
        }
    }

    /// The output `Accept` asks for (SSE unless NDJSON or plain text is named).
    func output(for request: HTTPRequest) -> any StreamOutput {
        StreamFormat.negotiate(request.headers["Accept"]).makeOutput(retryMilliseconds: settings.retryMilliseconds)
    }

    /// Attaches `writer` to the stream `id` held by this process, replaying after `after`; `false`
    /// when this process holds no resumable stream of that id.
    /// The `reader` request's span is linked to the span of the request that made the stream.
    func attachLocal(id: String, after: Int?, writer: ResponseWriter, output: any StreamOutput, reader: HTTPRequest) -> Bool {
        guard let stream = registry.stream(id: id), stream.origin != .unlisted else { return false }
        link(reader, toCreator: stream.traceContext)
        writer.upstreamProtocol = stream.upstreamProtocol
        let headers: HTTPHeaders = ["X-Stream-Id": stream.id]
        if stream.loop === writer.loop {
            stream.attach(writer: writer, output: output, after: after, headers: headers)
        } else {
            stream.loop.execute { stream.attach(writer: writer, output: output, after: after, headers: headers) }
        }
        return true
    }

    /// The `traceparent` naming `request`'s span, to store with a ticket (`nil`: tracing off).
    func traceParent(of request: HTTPRequest) -> String? {
        guard let tracer, request.span != nil else { return nil }
        var fields: [(String, String)] = []
        tracer.inject(request.traceContext, into: &fields, using: HeaderListInjector())
        return fields.first { $0.0 == RelayTracer.traceParentHeader }?.1
    }

    /// The context of the span a ticket's `traceparent` names (`nil`: none, or tracing off).
    func creatorContext(traceParent: String?) -> ServiceContext? {
        guard let tracer, let traceParent else { return nil }
        var context = ServiceContext.topLevel
        tracer.extract([(RelayTracer.traceParentHeader, traceParent)], into: &context, using: HeaderListExtractor())
        return context
    }

    /// Links the span of `reader` (a `GET` of a ticket stream) to the span of the request that made
    /// the stream, when both exist and differ.
    func link(_ reader: HTTPRequest, toCreator creator: ServiceContext) {
        guard let span = reader.span, let creatorSpan = creator.spanContext, creatorSpan != span.context.spanContext else { return }
        span.addLink(SpanLink(context: creator, attributes: ["spark_relay.link": "stream_creator"]))
    }

    /// The chat request a ticket holds, validated again by the relay that claimed it.
    func input(of ticket: StreamTicket) throws(APIError) -> ChatInput {
        try ChatInput.parse(body: ticket.body, headers: ticket.headers, models: upstream.models, defaultModel: defaultModel)
    }

    /// `204`: the id is unknown, or its stream is over and past its replay window (`EventSource` stops).
    static let gone = HTTPResponse(status: .noContent, headers: ["Cache-Control": "no-store"])
}
