import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Decides, per server (`host:port`), when a client TLS connection starts its handshake: at once
/// with a cached session (it resumes), at once as a full handshake while fewer than
/// `fullHandshakesPerServer` are in flight, or later, when a session arrives for it to resume or a
/// full handshake may start after all.
///
/// Why: a burst of streams to a server with no cached session (the relay's start, or more streams at
/// once than tickets in the cache) would otherwise run every handshake in full at once. Each full
/// handshake parses and keeps its own copy of the server's certificate, and while they all run each
/// holds OpenSSL's handshake and record buffers. Against an OpenSSL server (two TLS 1.3 tickets per
/// full handshake, one per resumption) 1,000 streams opened at once resumed 2 sessions and cost
/// 48 KiB each; opened 16 at a time they resumed 984 and cost 24 KiB.
///
/// Every admitted handshake holds a slot (`Slot`) until it settles: when the read or handshake step
/// that brought its sessions ends, when it reads data first (a server that issues none), or when it
/// fails or closes. Each handshake in flight is expected to bring at least one session, so a waiting
/// connection starts a full handshake only while full slots are free and more connections wait than
/// resumptions are in flight; a server that never issues sessions still gets its full slots, and
/// waiting is bounded by each connection's own handshake timeout. Thread-safe.
final class TLSHandshakeGate: Sendable {
    /// How a connection starts its handshake.
    enum Admission: Sendable {
        /// Resumes this session (an owned reference), holding a `.resuming` slot.
        case resume(SessionPointer)
        /// A full handshake, holding a `.full` slot.
        case full

        var slot: Slot {
            if case .full = self { return .full }
            return .resuming
        }
    }

    /// What an admitted handshake holds until it settles.
    enum Slot: Sendable {
        case full
        case resuming
    }

    /// The answer to `enter`.
    enum Entry {
        case admitted(Admission)
        /// Queued under this id (for `withdraw`); `admit` runs on the loop later.
        case waiting(Int)
    }

    private struct Waiter {
        let id: Int
        let loop: EventLoop
        let admit: @Sendable (Admission) -> Void
    }

    private struct Server {
        var fullInFlight = 0
        var resumingInFlight = 0
        var waiters: [Waiter] = []

        var isIdle: Bool { fullInFlight == 0 && resumingInFlight == 0 && waiters.isEmpty }
    }

    private struct State {
        var servers: [String: Server] = [:]
        var nextID = 0
    }

    let fullHandshakesPerServer: Int
    private let cache: TLSSessionCache
    private let state = Mutex(State())

    init(cache: TLSSessionCache, fullHandshakesPerServer: Int = TLSContext.defaultFullHandshakesPerServer) {
        precondition(fullHandshakesPerServer > 0, "TLSHandshakeGate needs at least one full handshake per server")
        self.cache = cache
        self.fullHandshakesPerServer = fullHandshakesPerServer
    }

    /// Admits a connection to `key` now, or queues it: `admit` then runs once on `loop` (unless
    /// `withdraw` took it back first).
    func enter(key: String, loop: EventLoop, admit: @escaping @Sendable (Admission) -> Void) -> Entry {
        var now: Admission?
        let (id, granted) = state.withLock { state -> (Int, [(Waiter, Admission)]) in
            state.nextID += 1
            let id = state.nextID
            var server = state.servers[key] ?? Server()
            server.waiters.append(Waiter(id: id, loop: loop, admit: admit))
            var granted = admitWaiters(of: &server, key: key)
            state.servers[key] = server.isIdle ? nil : server
            if let index = granted.firstIndex(where: { $0.0.id == id }) {
                now = granted.remove(at: index).1
            }
            return (id, granted)
        }
        dispatch(granted)
        if let now { return .admitted(now) }
        return .waiting(id)
    }

    /// Takes a queued connection back (its handshake timed out or was cancelled). `false` when it
    /// was already admitted: its `admit` is on the way and must hand the admission back.
    func withdraw(key: String, id: Int) -> Bool {
        state.withLock { state in
            guard var server = state.servers[key], let index = server.waiters.firstIndex(where: { $0.id == id }) else { return false }
            server.waiters.remove(at: index)
            state.servers[key] = server.isIdle ? nil : server
            return true
        }
    }

    /// A session for `key` entered the cache: waiting connections resume it.
    func sessionArrived(for key: String) {
        admitWaiters(for: key, settling: nil)
    }

    /// A handshake to `key` no longer holds its slot (see the type's comment).
    func settled(_ slot: Slot, for key: String) {
        admitWaiters(for: key, settling: slot)
    }

    /// An admission its connection could not use (it ended while the admission was on the way).
    func giveBack(_ admission: Admission, for key: String) {
        if case .resume(let session) = admission {
            cache.store(session.pointer, for: key)
        }
        settled(admission.slot, for: key)
    }

    /// Connections waiting for `key` (for tests and diagnostics).
    func waiting(for key: String) -> Int {
        state.withLock { $0.servers[key]?.waiters.count ?? 0 }
    }

    private func admitWaiters(for key: String, settling slot: Slot?) {
        let granted = state.withLock { state -> [(Waiter, Admission)] in
            guard var server = state.servers[key] else { return [] }
            switch slot {
            case .full?: server.fullInFlight = max(0, server.fullInFlight - 1)
            case .resuming?: server.resumingInFlight = max(0, server.resumingInFlight - 1)
            case nil: break
            }
            let granted = admitWaiters(of: &server, key: key)
            state.servers[key] = server.isIdle ? nil : server
            return granted
        }
        dispatch(granted)
    }

    /// Admits waiters in order while a session is cached for each, or while a full handshake may
    /// start: a full slot is free and more connections wait than the handshakes in flight will
    /// bring sessions for. Called under the lock.
    private func admitWaiters(of server: inout Server, key: String) -> [(Waiter, Admission)] {
        var granted: [(Waiter, Admission)] = []
        var next = 0
        while next < server.waiters.count {
            if let session = cache.take(for: key, now: Self.now()) {
                server.resumingInFlight += 1
                granted.append((server.waiters[next], .resume(SessionPointer(session))))
            } else if server.fullInFlight < fullHandshakesPerServer
                        && server.waiters.count - next > server.resumingInFlight + server.fullInFlight {
                server.fullInFlight += 1
                granted.append((server.waiters[next], .full))
            } else {
                break
            }
            next += 1
        }
        server.waiters.removeFirst(next)
        return granted
    }

    private func dispatch(_ granted: [(Waiter, Admission)]) {
        for (waiter, admission) in granted {
            let admit = waiter.admit
            waiter.loop.execute { admit(admission) }
        }
    }

    private static func now() -> Int64 { Int64(time(nil)) }
}
