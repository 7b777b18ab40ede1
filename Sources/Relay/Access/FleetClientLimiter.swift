import RelayIO

/// What a fleet-wide limiter says about one more request of a client.
enum FleetRateDecision: Sendable, Equatable {
    /// Within the limit (or the shared store is unreachable: the process's own limit decided).
    case allowed
    /// Over the limit fleet-wide: retry after this many seconds.
    case limited(retryAfter: Double)
}

/// Per-client request rate (`limits.requests_per_minute`, a named key's own rate) and concurrent
/// streams (`limits.max_streams_per_client`, a named key's `max_streams`) for the whole fleet (the Redis engine). `ClientGate` asks it after its own per-process bucket said yes.
protocol FleetClientLimiter: AnyObject, Sendable {
    /// Takes one request from `client`'s bucket (`burst` tokens, `perMinute` refill); `done` on `loop`.
    func admit(client: String, perMinute: Int, burst: Int, on loop: EventLoop, _ done: @escaping @Sendable (FleetRateDecision) -> Void)
    /// Asks for one more concurrent stream of `client` (at most `max` fleet-wide); `done` on `loop`.
    func acquireStream(client: String, max: Int, on loop: EventLoop, _ done: @escaping @Sendable (FleetDecision) -> Void)
    /// Gives a granted stream lease back (from any thread).
    func releaseStream(client: String, member: String)
}
