import HTTPCodec

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
}
