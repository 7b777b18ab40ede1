import HTTPCodec
import RelayIO

/// The ticket endpoints when streams are shared through an engine (Redis): a ticket made on any
/// relay is claimed once by the first `GET` on any relay, which opens the upstream there; later
/// `GET`s on other relays read the stream's event log.
extension ChatHandler {
    /// `POST /chat` with a shared engine: validate here, store the request as the ticket in the
    /// engine, `503 engine_unavailable` when it cannot be reached.
    func createSharedTicket(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard !engine.isDegraded else {
            writer.respond(APIError.engineUnavailable)
            return
        }
        guard parse(request, writer) != nil else { return }
        let id = StreamRegistry.makeID()
        let ticket = StreamTicket(client: request.clientID, keyName: request.keyName, contentType: request.headers["Content-Type"],
                                  body: request.body)
        engine.createTicket(id: id, ticket: ticket, on: writer.loop) { [self] result in
            switch result {
            case .success: writer.respond(ticketResponse(id: id))
            case .failure(let error): writer.respond(error)
            }
        }
    }

    /// `GET /chat/stream/{id}` for an id this relay does not hold: claim the ticket (open the
    /// upstream here), or follow the owner's event log (after `lastSequence`, from `Last-Event-ID`),
    /// or `204` when nobody knows the id.
    func attachShared(_ request: HTTPRequest, _ writer: ResponseWriter, id: String, after lastSequence: Int?) {
        // Stream ids are 32 hex characters: anything else is unknown without asking Redis.
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            writer.respond(HTTPResponse(status: .noContent, headers: ["Cache-Control": "no-store"]))
            return
        }
        let headers: HTTPHeaders = ["X-Stream-Id": id]
        engine.claim(id: id, on: writer.loop) { [self] result in
            let output = StreamFormat.negotiate(request.headers["Accept"]).makeOutput(retryMilliseconds: settings.retryMilliseconds)
            switch result {
            case .failure(let error):
                writer.respond(error)
            case .success(.unknown):
                writer.respond(HTTPResponse(status: .noContent, headers: ["Cache-Control": "no-store"]))
            case .success(.remote(let owner)):
                if lastSequence != nil { metrics?.resumes.increment() }
                let subscriber = StreamSubscriber(writer: writer, output: output, streamID: id, heartbeatInterval: settings.heartbeatInterval)
                engine.follow(streamID: id, owner: owner, after: lastSequence ?? 0, subscriber: subscriber, headers: headers)
            case .success(.owned(let ticket)):
                let input: ChatInput
                do throws(APIError) {
                    input = try ChatInput.parse(body: ticket.body, headers: ticket.headers, models: upstream.models, defaultModel: defaultModel)
                } catch {
                    writer.respond(error)
                    return
                }
                // The stream counts against the client that made the ticket, wherever it is claimed.
                var owner = request
                owner.clientID = ticket.client
                owner.keyName = ticket.keyName
                let engine = self.engine
                makeStream(input, id: id, origin: .ticket, owner: owner, writer: writer) { stream in
                    let loop = stream.loop
                    stream.logWriter = engine.makeLogWriter(streamID: id, loop: loop)
                    stream.remoteReaderCheck = { done in engine.hasRemoteReader(streamID: id, on: loop, done) }
                    stream.attach(writer: writer, output: output, after: lastSequence, headers: headers)
                }
            }
        }
    }
}
