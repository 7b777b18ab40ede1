import COpenSSL
import Synchronization

/// Client TLS sessions kept for resumption, per server (`host:port`): a connection that resumes one
/// skips the server's certificate chain, its parsing and its verification, which for a relay opening
/// one upstream TLS connection per chat stream is most of the handshake's CPU and memory.
///
/// A TLS 1.3 session is handed out once (RFC 8446 §C.4: clients should not reuse a ticket); every
/// handshake brings new ones (OpenSSL servers send two after a full handshake, one after a
/// resumption), and the newest `sessionsPerServer` per server are kept. A TLS 1.2 session stays in
/// the cache and is offered again (RFC 5077 tickets and session ids may be resumed many times, and a
/// TLS 1.2 server seldom issues a new one on resumption). A connection that finds none does a full
/// handshake. A
/// session is only stored from a connection whose certificate and host name were verified, under the
/// key that connection verified, and it lives in the `TLSContext` whose CA store verified it.
/// Thread-safe.
public final class TLSSessionCache: Sendable {
    /// Sessions kept per server.
    public static let defaultSessionsPerServer = 16
    /// Servers remembered (the relay talks to one or a few upstream hosts).
    public static let defaultServers = 16

    private let sessionsPerServer: Int
    private let servers: Int
    /// Owned `SSL_SESSION` references, oldest first per server; servers in order of last store.
    private let store = Mutex<[(key: String, sessions: [SessionPointer])]>([])

    public init(sessionsPerServer: Int = TLSSessionCache.defaultSessionsPerServer, servers: Int = TLSSessionCache.defaultServers) {
        precondition(sessionsPerServer > 0 && servers > 0, "TLSSessionCache bounds must be positive")
        self.sessionsPerServer = sessionsPerServer
        self.servers = servers
    }

    deinit {
        store.withLock { entries in
            for entry in entries { for session in entry.sessions { SSL_SESSION_free(session.pointer) } }
            entries.removeAll()
        }
    }

    /// Takes ownership of one reference to `session` for `key`, if it can be resumed.
    func store(_ session: OpaquePointer, for key: String) {
        guard SSL_SESSION_is_resumable(session) == 1 else {
            SSL_SESSION_free(session)
            return
        }
        var evicted: [SessionPointer] = []
        store.withLock { entries in
            if let index = entries.firstIndex(where: { $0.key == key }) {
                var entry = entries.remove(at: index)
                entry.sessions.append(SessionPointer(session))
                if entry.sessions.count > sessionsPerServer {
                    evicted.append(contentsOf: entry.sessions.prefix(entry.sessions.count - sessionsPerServer))
                    entry.sessions.removeFirst(entry.sessions.count - sessionsPerServer)
                }
                entries.append(entry)
            } else {
                entries.append((key: key, sessions: [SessionPointer(session)]))
                if entries.count > servers {
                    evicted.append(contentsOf: entries.removeFirst().sessions)
                }
            }
        }
        for session in evicted { SSL_SESSION_free(session.pointer) }
    }

    /// The newest unexpired session for `key`; the caller owns the reference returned. A TLS 1.3
    /// session leaves the cache, a TLS 1.2 one stays (see above).
    func take(for key: String, now: Int64) -> OpaquePointer? {
        var expired: [SessionPointer] = []
        let taken: SessionPointer? = store.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
            defer { if entries[index].sessions.isEmpty { entries.remove(at: index) } }
            while let session = entries[index].sessions.last {
                let expires = Int64(SSL_SESSION_get_time(session.pointer)) + Int64(SSL_SESSION_get_timeout(session.pointer))
                guard expires > now else {
                    expired.append(entries[index].sessions.removeLast())
                    continue
                }
                if SSL_SESSION_get_protocol_version(session.pointer) >= TLS1_3_VERSION {
                    return entries[index].sessions.removeLast()
                }
                _ = SSL_SESSION_up_ref(session.pointer)
                return session
            }
            return nil
        }
        for session in expired { SSL_SESSION_free(session.pointer) }
        return taken?.pointer
    }

    /// Sessions held for `key` (for tests and diagnostics).
    public func count(for key: String) -> Int {
        store.withLock { entries in entries.first(where: { $0.key == key })?.sessions.count ?? 0 }
    }
}

/// An owned `SSL_SESSION` reference moved between threads under the cache's lock.
// @unchecked: an owned SSL_SESSION reference, handed between threads only under the cache's lock; OpenSSL counts session references atomically
struct SessionPointer: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
