import HTTPCodec
import Logging
import RelayIO
import SparkCodec

/// The streaming chat endpoints: `POST /chat/stream` (stream in the response), `POST /chat`
/// (a ticket) and `GET /chat/stream/{id}` (attach or resume with `Last-Event-ID`, for `EventSource`).
final class ChatHandler: Sendable {
    let upstream: UpstreamSettings
    let settings: RelayConfiguration.Stream
    let defaultModel: String
    let registry: StreamRegistry
    let logger: Logger
    let gate: ClientGate
    let metrics: RelayMetrics?
    /// Where tickets and event logs live (memory: this process only; Redis: the whole fleet).
    let engine: any StreamEngine

    init(upstream: UpstreamSettings, settings: RelayConfiguration.Stream, defaultModel: String, registry: StreamRegistry,
         gate: ClientGate, metrics: RelayMetrics?, logger: Logger, engine: any StreamEngine = MemoryStreamEngine()) {
        self.engine = engine
        self.gate = gate
        self.metrics = metrics
        self.upstream = upstream
        self.settings = settings
        self.defaultModel = defaultModel
        self.registry = registry
        self.logger = logger
    }

    func register(in router: inout Router) {
        router.add(.post, "/chat/stream", gate.protect(streamDirect))
        router.add(.post, "/chat", answers: .created, gate.protect(createTicket))
        router.add(.get, "/chat/stream/{id}", attach)
    }

    func parse(_ request: HTTPRequest, _ writer: ResponseWriter) -> ChatInput? {
        let input: ChatInput
        do {
            input = try ChatInput.parse(body: request.body, headers: request.headers, models: upstream.models, defaultModel: defaultModel)
        } catch {
            writer.respond(error)
            return nil
        }
        if let refused = gate.checkModel(request, model: input.model.name, requested: input.model.name) {
            writer.respond(refused)
            return nil
        }
        return input
    }

    /// Takes `owner`'s stream slot (fleet-wide with the Redis engine), then makes and registers
    /// the stream `id` and passes it to `body` on the writer's loop; answers the error itself.
    /// `owner` is the request the stream counts against: this one, or a claimed ticket's maker.
    func makeStream(_ input: ChatInput, id: String = StreamRegistry.makeID(), origin: ChatStream.Origin, owner: HTTPRequest,
                    writer: ResponseWriter, _ body: @escaping @Sendable (ChatStream) -> Void) {
        gate.acquireStream(for: owner, on: writer.loop) { [self] result in
            let slot: StreamSlot
            switch result {
            case .success(let acquired): slot = acquired
            case .failure(let error):
                writer.respond(error)
                return
            }
            let registry = self.registry
            let stream = ChatStream(id: id, loop: writer.loop, origin: origin, input: input, upstream: upstream,
                                    settings: settings, budget: registry.budget, logger: logger,
                                    onRemove: { registry.remove($0) })
            stream.slot = slot
            stream.metrics = metrics
            stream.keyName = owner.keyName
            registry.add(stream)
            body(stream)
        }
    }

    /// `POST /chat/stream`: validate, flush the headers, open the upstream, stream every frame.
    func streamDirect(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let input = parse(request, writer) else { return }
        let output = StreamFormat.negotiate(request.headers["Accept"]).makeOutput(retryMilliseconds: settings.retryMilliseconds)
        makeStream(input, origin: .direct, owner: request, writer: writer) { stream in
            stream.attach(writer: writer, output: output, after: nil, headers: ["X-Stream-Id": stream.id])
        }
    }

    /// `POST /chat`: validate and answer `201` with the ticket; the upstream opens on the first `GET`.
    func createTicket(_ request: HTTPRequest, _ writer: ResponseWriter) {
        if engine.sharesStreams {
            createSharedTicket(request, writer)
            return
        }
        guard let input = parse(request, writer) else { return }
        makeStream(input, origin: .ticket, owner: request, writer: writer) { [self] stream in
            stream.armTicketExpiry()
            writer.respond(ticketResponse(id: stream.id))
        }
    }

    /// `201` with the ticket's id, stream URL and lifetime.
    func ticketResponse(id: String) -> HTTPResponse {
        struct Ticket: Encodable {
            var id: String
            var stream_url: String
            var expires_in: Int
        }
        let url = "/chat/stream/\(id)"
        var response = HTTPResponse.json(Ticket(id: id, stream_url: url, expires_in: Int(settings.ticketTTL.rounded(.up))), status: .created)
        response.headers.replaceOrAdd(name: "Location", value: url)
        response.headers.replaceOrAdd(name: "X-Stream-Id", value: id)
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return response
    }

    /// `GET /chat/stream/{id}`: `204` for unknown or expired streams (so `EventSource` stops), else
    /// replay after `Last-Event-ID` and follow live.
    func attach(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let id = request.pathParameters["id"] ?? ""
        let local = registry.stream(id: id).flatMap { $0.origin != .unlisted ? $0 : nil }
        guard local != nil || engine.sharesStreams else {
            writer.respond(HTTPResponse(status: .noContent, headers: ["Cache-Control": "no-store"]))
            return
        }
        let lastSequence: Int?
        do throws(APIError) {
            lastSequence = try Self.lastSequence(of: request, streamID: id)
        } catch {
            writer.respond(error)
            return
        }
        guard let stream = local else {
            attachShared(request, writer, id: id, after: lastSequence)
            return
        }
        let output = StreamFormat.negotiate(request.headers["Accept"]).makeOutput(retryMilliseconds: settings.retryMilliseconds)
        let headers: HTTPHeaders = ["X-Stream-Id": stream.id]
        if stream.loop === writer.loop {
            stream.attach(writer: writer, output: output, after: lastSequence, headers: headers)
        } else {
            stream.loop.execute { stream.attach(writer: writer, output: output, after: lastSequence, headers: headers) }
        }
    }

    /// The sequence in the request's `Last-Event-ID` (`nil` when it has none); throws
    /// `invalid_last_event_id` when the header is not `{streamID}:{n}` for this stream.
    static func lastSequence(of request: HTTPRequest, streamID: String) throws(APIError) -> Int? {
        guard let header = request.headers["Last-Event-ID"], !header.isEmpty else { return nil }
        guard let sequence = sequence(fromLastEventID: header, streamID: streamID) else {
            throw APIError(status: .badRequest, type: "invalid_request_error", code: "invalid_last_event_id",
                           message: "Last-Event-ID must be '{stream id}:{n}' for this stream")
        }
        return sequence
    }

    /// `n` from `{streamID}:{n}`, or `nil` when the id is another stream's or `n` is not a decimal
    /// number of at most `Int.max`. A number past the stream's newest event is the stream's to clamp.
    static func sequence(fromLastEventID value: String, streamID: String) -> Int? {
        let trimmed = value.trimmingSpaces()
        guard let colon = trimmed.lastIndex(of: ":"), trimmed[..<colon] == streamID else { return nil }
        let digits = trimmed[trimmed.index(after: colon)...]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(digits)
    }
}
