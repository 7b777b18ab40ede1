import RelayIO

/// What a fleet-wide limiter says about one more conversation on a Spark app.
public enum FleetDecision: Sendable, Equatable {
    /// Granted: `member` names the lease, given back with `release`.
    case granted(member: String)
    /// The app is at its fleet-wide concurrency or QPS limit.
    case busy
    /// The shared store cannot be reached: the process's own limits decide alone.
    case unavailable
}

/// Per-Spark-app concurrency and QPS for a whole fleet of relays (the Redis engine). The
/// `CredentialPool` asks it after its own (per-process) limits said yes.
public protocol FleetAppLimiter: AnyObject, Sendable {
    /// Asks for a lease on `appID`; `done` runs on `loop`.
    func acquire(appID: String, on loop: EventLoop, _ done: @escaping @Sendable (FleetDecision) -> Void)
    /// Gives a granted lease back (from any thread).
    func release(appID: String, member: String)
}
