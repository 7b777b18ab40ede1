import HTTPCodec
import RelayIO

extension ClientGate {
    /// Makes the per-client request rate hold for the whole fleet (Redis engine).
    func attachFleetLimiter(_ limiter: any FleetClientLimiter) {
        fleet.withLock { $0 = limiter }
    }

    /// Runs `handler` once the fleet-wide rate allows the request (at once without a fleet limiter
    /// or a rate limit); `429 rate_limited` otherwise, like the per-process bucket.
    func admitFleetWide(_ request: HTTPRequest, _ writer: ResponseWriter, _ handler: @escaping RouteHandler) {
        let perMinute = requestsPerMinute(for: request)
        guard perMinute > 0, let limiter = fleet.withLock({ $0 }) else {
            handler(request, writer)
            return
        }
        limiter.admit(client: request.clientID, perMinute: perMinute, burst: burst, on: writer.loop) { decision in
            switch decision {
            case .allowed:
                handler(request, writer)
            case .limited(let wait):
                let seconds = max(1, Int(wait.rounded(.up)))
                let whose = request.keyName.map { "the key '\($0)'" } ?? "this client"
                let error = APIError(status: .tooManyRequests, type: "rate_limit_error", code: "rate_limited",
                                     message: "too many requests across the relays: the limit for \(whose) is \(perMinute) per minute; retry in \(seconds) s",
                                     headers: [("Retry-After", String(seconds))])
                writer.respond(request.path.hasPrefix("/v1/") ? error.openAIResponse : error.response)
            }
        }
    }

    /// `acquireStream(for:)`, then (with a fleet limiter and a per-client bound) a fleet-wide
    /// stream lease: `429 too_many_streams_for_client` when the client holds its limit across the
    /// relays. The slot releases both. `done` runs on `loop` (at once without a fleet limiter).
    func acquireStream(for request: HTTPRequest, on loop: EventLoop, _ done: @escaping @Sendable (Result<StreamSlot, APIError>) -> Void) {
        let local = acquireStream(for: request)
        let perClient = maxStreamsPerClient(for: request)
        guard case .success(let slot) = local, perClient > 0, let limiter = fleet.withLock({ $0 }) else {
            done(local)
            return
        }
        let client = request.clientID
        limiter.acquireStream(client: client, max: perClient, on: loop) { decision in
            switch decision {
            case .granted(let member):
                done(.success(StreamSlot {
                    slot.release()
                    limiter.releaseStream(client: client, member: member)
                }))
            case .unavailable:
                done(.success(slot))
            case .busy:
                slot.release()
                done(.failure(APIError(status: .tooManyRequests, type: "rate_limit_error", code: "too_many_streams_for_client",
                                       message: "this client already has \(perClient) open streams across the relays (limit \(perClient))",
                                       headers: [("Retry-After", "1")])))
            }
        }
    }
}
