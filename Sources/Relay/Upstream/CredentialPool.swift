import Dispatch
import RelayIO
import SparkCodec
import Synchronization

/// Several Spark apps behind one relay. Each conversation leases the least-loaded healthy app that
/// is under its concurrency and QPS limits (Spark answers 11203/11202 past them, so the relay
/// stays under); when none is free the request waits briefly in a bounded queue, then gets `429`.
/// An app that fails authentication or reports a licence, quota or rate error is left out for a
/// cool-off period, and the conversation fails over to the next app — only before any frame was
/// relayed, never after.
public final class CredentialPool: Sendable {
    /// Why no app could be leased.
    public struct Exhausted: Error, Sendable, Equatable {
        public var message: String
        /// Seconds a client should wait before retrying.
        public var retryAfter: Int
    }

    /// One leased app; give it back with `CredentialPool.release(_:)` exactly once.
    public struct Lease: Sendable, Equatable {
        public let index: Int
        public let credentials: SparkCredentials
        /// The fleet-wide lease held beside this one (Redis engine), if any.
        public internal(set) var fleetMember: String?

        init(index: Int, credentials: SparkCredentials, fleetMember: String? = nil) {
            self.index = index
            self.credentials = credentials
            self.fleetMember = fleetMember
        }
    }

    private struct App {
        var credentials: SparkCredentials
        var active = 0
        var bucket: TokenBucket?
        var downUntil: Double = 0
        var downReason = ""
    }

    private let apps: Mutex<[App]>
    private let waiting = Atomic<Int>(0)
    private let maxConcurrency: Int
    private let queueTimeout: Double
    private let maxQueued: Int
    private let cooloff: Double
    private let clock: @Sendable () -> Double
    private let fleet = Mutex<(any FleetAppLimiter)?>(nil)

    public init(credentials: [SparkCredentials], maxConcurrency: Int = 0, maxQPS: Int = 0, queueTimeout: Double = 2,
                maxQueued: Int = 256, cooloff: Double = 30,
                clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        let now = clock()
        self.apps = Mutex(credentials.map { credentials in
            App(credentials: credentials,
                bucket: maxQPS > 0 ? TokenBucket(capacity: Double(maxQPS), ratePerSecond: Double(maxQPS), now: now) : nil)
        })
        self.maxConcurrency = maxConcurrency
        self.queueTimeout = queueTimeout
        self.maxQueued = maxQueued
        self.cooloff = cooloff
        self.clock = clock
    }

    /// Makes the limits fleet-wide: a lease also needs `limiter`'s consent (Redis engine).
    public func attachFleetLimiter(_ limiter: any FleetAppLimiter) {
        fleet.withLock { $0 = limiter }
    }

    /// The first app's credentials (what `check` and the simulator use).
    public var primary: SparkCredentials { apps.withLock { $0[0].credentials } }

    /// Number of apps in the pool.
    public var count: Int { apps.withLock { $0.count } }

    /// Leases an app now if one is free, else waits up to `queue_timeout` (polling on `loop`).
    /// `excluding` skips apps already tried by this conversation. The completion runs on `loop`.
    public func acquire(on loop: EventLoop, excluding: Set<Int> = [],
                        completion: @escaping @Sendable (Result<Lease, Exhausted>) -> Void) {
        acquireWithFleet(on: loop, excluding: excluding) { [self] lease in
            if let lease {
                completion(.success(lease))
            } else {
                wait(on: loop, excluding: excluding, completion: completion)
            }
        }
    }

    /// A local lease, confirmed by the fleet limiter when there is one; `nil` when no app is free
    /// here or fleet-wide. An app busy fleet-wide is skipped for the next candidate.
    private func acquireWithFleet(on loop: EventLoop, excluding: Set<Int>, _ done: @escaping @Sendable (Lease?) -> Void) {
        guard let lease = tryAcquire(excluding: excluding) else {
            done(nil)
            return
        }
        guard let limiter = fleet.withLock({ $0 }) else {
            done(lease)
            return
        }
        limiter.acquire(appID: lease.credentials.appID, on: loop) { [self] decision in
            switch decision {
            case .granted(let member):
                var granted = lease
                granted.fleetMember = member
                done(granted)
            case .unavailable:
                done(lease)
            case .busy:
                release(lease)
                acquireWithFleet(on: loop, excluding: excluding.union([lease.index]), done)
            }
        }
    }

    private func wait(on loop: EventLoop, excluding: Set<Int>, completion: @escaping @Sendable (Result<Lease, Exhausted>) -> Void) {
        if !hasCandidate(excluding: excluding) {
            completion(.failure(Exhausted(message: "every Spark app is cooling off after failures", retryAfter: Int(cooloff.rounded(.up)))))
            return
        }
        guard waiting.add(1, ordering: .relaxed).newValue <= maxQueued else {
            waiting.subtract(1, ordering: .relaxed)
            completion(.failure(Exhausted(message: "too many requests are waiting for a free Spark app", retryAfter: 1)))
            return
        }
        let deadline = clock() + queueTimeout
        poll(loop: loop, excluding: excluding, deadline: deadline, completion: completion)
    }

    private func poll(loop: EventLoop, excluding: Set<Int>, deadline: Double,
                      completion: @escaping @Sendable (Result<Lease, Exhausted>) -> Void) {
        loop.schedule(after: 0.02) { [self] in
            acquireWithFleet(on: loop, excluding: excluding) { [self] lease in
                if let lease {
                    waiting.subtract(1, ordering: .relaxed)
                    completion(.success(lease))
                } else if clock() >= deadline {
                    waiting.subtract(1, ordering: .relaxed)
                    completion(.failure(Exhausted(message: "all Spark apps are at their concurrency or QPS limit; waited \(queueTimeout) s", retryAfter: 1)))
                } else {
                    poll(loop: loop, excluding: excluding, deadline: deadline, completion: completion)
                }
            }
        }
    }

    private func hasCandidate(excluding: Set<Int>) -> Bool {
        let now = clock()
        return apps.withLock { apps in apps.indices.contains { !excluding.contains($0) && apps[$0].downUntil <= now } }
    }

    func tryAcquire(excluding: Set<Int> = []) -> Lease? {
        let now = clock()
        return apps.withLock { apps -> Lease? in
            let candidates = apps.indices.filter { index in
                !excluding.contains(index) && apps[index].downUntil <= now
                    && (maxConcurrency == 0 || apps[index].active < maxConcurrency)
            }.sorted { apps[$0].active < apps[$1].active }
            for index in candidates {
                if var bucket = apps[index].bucket {
                    guard bucket.take(now: now) == nil else {
                        apps[index].bucket = bucket
                        continue
                    }
                    apps[index].bucket = bucket
                }
                apps[index].active += 1
                return Lease(index: index, credentials: apps[index].credentials)
            }
            return nil
        }
    }

    /// Returns a lease.
    public func release(_ lease: Lease) {
        apps.withLock { $0[lease.index].active -= 1 }
        if let member = lease.fleetMember, let limiter = fleet.withLock({ $0 }) {
            limiter.release(appID: lease.credentials.appID, member: member)
        }
    }

    /// Leaves the leased app out for the cool-off period.
    public func markDown(_ lease: Lease, reason: String) {
        let until = clock() + cooloff
        apps.withLock { apps in
            apps[lease.index].downUntil = until
            apps[lease.index].downReason = reason
        }
    }

    /// Per app: id, conversations in flight, and whether it is usable now (for `/metrics`).
    public var state: [(appID: String, active: Int, up: Bool)] {
        let now = clock()
        return apps.withLock { apps in apps.map { ($0.credentials.appID, $0.active, $0.downUntil <= now) } }
    }

    /// Requests waiting for an app right now.
    public var queued: Int { waiting.load(ordering: .relaxed) }
}
