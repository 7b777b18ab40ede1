import HTTPCodec
import Logging
import RelayIO
import SparkCodec

/// The streaming chat endpoints: `POST /chat/stream` (stream in the response), `POST /chat`
/// (a ticket) and `GET /chat/stream/{id}` (attach or resume with `Last-Event-ID`, for `EventSource`).
/// Tickets and resumes go to the stream engine, whichever it is.
final class ChatHandler: Sendable {
    let streams: StreamFactory
    /// Where tickets and resumable streams live (memory: this process only; Redis: the whole fleet).
    let engine: any StreamEngine

    init(streams: StreamFactory, engine: any StreamEngine) {
        self.streams = streams
        self.engine = engine
    }

    func register(in router: inout Router) {
        router.add(.post, "/chat/stream", streams.gate.protect(streamDirect))
        router.add(.post, "/chat", answers: .created, streams.gate.protect(createTicket))
        router.add(.get, "/chat/stream/{id}", attach)
    }

    /// Validates the request and admits it against its key's budget, then calls `next` with it on
    /// the writer's loop; answers why not instead.
    func parse(_ request: HTTPRequest, _ writer: ResponseWriter, _ next: @escaping @Sendable (ChatInput) -> Void) {
        let input: ChatInput
        do {
            input = try ChatInput.parse(body: request.body, headers: request.headers, models: streams.upstream.models,
                                        defaultModel: streams.defaultModel)
        } catch {
            writer.respond(error)
            return
        }
        if let refused = streams.gate.checkModel(request, model: input.model.name, requested: input.model.name) {
            writer.respond(refused)
            return
        }
        streams.admitBudget(request, model: input.model.name, on: writer.loop) { refused in
            if let refused {
                writer.respond(refused)
            } else {
                next(input)
            }
        }
    }

    /// `POST /chat/stream`: validate, flush the headers, open the upstream, stream every frame.
    func streamDirect(_ request: HTTPRequest, _ writer: ResponseWriter) {
        parse(request, writer) { [streams] input in
            writer.upstreamProtocol = input.model.upstreamProtocol
            let output = streams.output(for: request)
            streams.make(input, origin: .direct, owner: request, on: writer.loop) { result in
                switch result {
                case .success(let stream): stream.attach(writer: writer, output: output, after: nil, headers: ["X-Stream-Id": stream.id])
                case .failure(let error): writer.respond(error)
                }
            }
        }
    }

    /// `POST /chat`: validate and answer `201` with the ticket; the upstream opens on the first `GET`.
    func createTicket(_ request: HTTPRequest, _ writer: ResponseWriter) {
        parse(request, writer) { [streams, engine] input in
            let ticketTTL = streams.settings.ticketTTL
            engine.createTicket(input, request: request, on: writer.loop) { result in
                switch result {
                case .success(let id): writer.respond(Self.ticketResponse(id: id, ttl: ticketTTL))
                case .failure(let error): writer.respond(error)
                }
            }
        }
    }

    /// `201` with the ticket's id, stream URL and lifetime.
    static func ticketResponse(id: String, ttl: Double) -> HTTPResponse {
        struct Ticket: Encodable {
            var id: String
            var stream_url: String
            var expires_in: Int
        }
        let url = "/chat/stream/\(id)"
        var response = HTTPResponse.json(Ticket(id: id, stream_url: url, expires_in: Int(ttl.rounded(.up))), status: .created)
        response.headers.replaceOrAdd(name: "Location", value: url)
        response.headers.replaceOrAdd(name: "X-Stream-Id", value: id)
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return response
    }

    /// `GET /chat/stream/{id}`: replay after `Last-Event-ID` and follow live, or `204` for unknown
    /// and expired streams (so `EventSource` stops).
    func attach(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let id = request.pathParameters["id"] ?? ""
        let lastSequence: Int?
        do throws(APIError) {
            lastSequence = try Self.lastSequence(of: request, streamID: id)
        } catch {
            writer.respond(error)
            return
        }
        engine.attach(streamID: id, after: lastSequence, request: request, writer: writer, output: streams.output(for: request))
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
