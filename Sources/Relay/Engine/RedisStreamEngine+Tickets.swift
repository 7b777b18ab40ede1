import HTTPCodec
import Logging
import RelayIO

/// The ticket endpoints on the Redis engine: a ticket made on any relay is claimed once by the
/// first `GET` on any relay, which opens the upstream there; later `GET`s on other relays read the
/// stream's event log.
extension RedisStreamEngine {
    func createTicket(_ input: ChatInput, request: HTTPRequest, on loop: EventLoop,
                      _ done: @escaping @Sendable (Result<String, APIError>) -> Void) {
        guard !isDegraded else {
            done(.failure(.engineUnavailable))
            return
        }
        let id = StreamRegistry.makeID()
        let ticket = StreamTicket(client: request.clientID, keyName: request.keyName, contentType: request.headers["Content-Type"],
                                  body: request.body, traceParent: streams.traceParent(of: request))
        storeTicket(id: id, ticket: ticket, on: loop) { result in done(result.map { id }) }
    }

    /// A stream this relay holds resumes here; otherwise the ticket is claimed (the upstream opens
    /// here), or the owner's event log is followed, or nobody knows the id (`204`).
    func attach(streamID id: String, after lastSequence: Int?, request: HTTPRequest, writer: ResponseWriter,
                output: any StreamOutput) {
        if streams.attachLocal(id: id, after: lastSequence, writer: writer, output: output, reader: request) { return }
        // Stream ids are 32 hex characters: anything else is unknown without asking Redis.
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            writer.respond(StreamFactory.gone)
            return
        }
        let headers: HTTPHeaders = ["X-Stream-Id": id]
        claim(id: id, on: writer.loop) { [self] result in
            switch result {
            case .failure(let error):
                writer.respond(error)
            case .success(.unknown):
                writer.respond(StreamFactory.gone)
            case .success(.remote(let owner, let traceParent)):
                if let creator = streams.creatorContext(traceParent: traceParent) { streams.link(request, toCreator: creator) }
                if lastSequence != nil { streams.metrics?.resumes.increment() }
                let subscriber = StreamSubscriber(writer: writer, output: output, streamID: id,
                                                  heartbeatInterval: settings.heartbeatInterval)
                follow(streamID: id, owner: owner, after: lastSequence ?? 0, subscriber: subscriber, headers: headers)
            case .success(.owned(let ticket)):
                open(ticket, id: id, after: lastSequence, request: request, writer: writer, output: output)
            }
        }
    }

    /// Opens a claimed ticket's stream here, logged to Redis for readers on other relays.
    private func open(_ ticket: StreamTicket, id: String, after lastSequence: Int?, request: HTTPRequest, writer: ResponseWriter,
                      output: any StreamOutput) {
        let input: ChatInput
        do throws(APIError) {
            input = try streams.input(of: ticket)
        } catch {
            writer.respond(error)
            return
        }
        writer.upstreamProtocol = input.model.upstreamProtocol
        // The stream counts against the client that made the ticket, wherever it is claimed.
        var owner = request
        owner.clientID = ticket.client
        owner.keyName = ticket.keyName
        // Its spans join the trace of the request that made the ticket, which this read links to.
        let creator = streams.creatorContext(traceParent: ticket.traceParent)
        if let creator { streams.link(request, toCreator: creator) }
        streams.make(input, id: id, origin: .ticket, owner: owner, traceContext: creator, on: writer.loop) { [self] result in
            switch result {
            case .failure(let error):
                writer.respond(error)
            case .success(let stream):
                let loop = stream.loop
                stream.logToEngine(makeLogWriter(streamID: id, loop: loop)) { [self] done in
                    hasRemoteReader(streamID: id, on: loop, done)
                }
                stream.attach(writer: writer, output: output, after: lastSequence, headers: ["X-Stream-Id": id])
            }
        }
    }

    /// With Redis, `upstream.app_max_concurrency`/`app_max_qps` and the per-client request rate and
    /// concurrent streams hold for the whole fleet.
    func shareLimits(gate: ClientGate, pool: CredentialPool, configuration: RelayConfiguration) {
        let clients = RedisClientLimiter(engine: self)
        clientLimiter = clients
        gate.attachFleetLimiter(clients)
        guard configuration.upstream.appMaxConcurrency > 0 || configuration.upstream.appMaxQPS > 0 else { return }
        let limiter = RedisAppLimiter(engine: self, maxConcurrency: configuration.upstream.appMaxConcurrency,
                                      maxQPS: configuration.upstream.appMaxQPS)
        appLimiter = limiter
        pool.attachFleetLimiter(limiter)
    }

    func makeBudgetLedger(policy: BudgetPolicy, auth: RelayConfiguration.Auth, usageFile: String?, logger: Logger) -> any BudgetLedger {
        let ledger = RedisBudgetLedger(policy: policy, engine: self, failOpen: auth.budgetWhenEngineDown == .open)
        budgetLedger = ledger
        return ledger
    }
}
