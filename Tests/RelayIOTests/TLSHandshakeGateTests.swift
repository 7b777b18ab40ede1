import COpenSSL
@testable import RelayIO
import Testing

/// `TLSHandshakeGate`: while no session for a server is cached, at most N full handshakes to it
/// start; the others wait for a session (which they resume) or a free slot, in arrival order.
@Suite struct TLSHandshakeGateTests {
    private static let key = "spark.example:443"
    private static let loops = EventLoopGroup(count: 1, label: "tls-gate-tests")

    /// What waiters were admitted with, in order.
    private final class Admissions: @unchecked Sendable {
        private let condition = ConditionLock()
        private var received: [(id: Int, resumed: Bool)] = []

        func record(_ id: Int, _ admission: TLSHandshakeGate.Admission) {
            condition.update {
                if case .resume(let session) = admission {
                    SSL_SESSION_free(session.pointer)
                    received.append((id, true))
                } else {
                    received.append((id, false))
                }
            }
        }

        func wait(for count: Int) -> [(id: Int, resumed: Bool)] {
            _ = condition.wait(timeout: 5) { received.count >= count }
            return condition.withLock { received }
        }
    }

    /// A resumable TLS 1.3 session (a session id, the default 304 s lifetime from now).
    private static func session() -> OpaquePointer {
        let session = SSL_SESSION_new()!
        var id: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
        _ = SSL_SESSION_set1_id(session, &id, UInt32(id.count))
        _ = SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION)
        return session
    }

    private static func enter(_ gate: TLSHandshakeGate, _ admissions: Admissions, number: Int) -> TLSHandshakeGate.Entry {
        gate.enter(key: key, loop: loops.loops[0]) { admissions.record(number, $0) }
    }

    private static func isFull(_ entry: TLSHandshakeGate.Entry) -> Bool {
        if case .admitted(.full) = entry { return true }
        return false
    }

    @Test func withNoCachedSessionFullHandshakesStartOnlyForConnectionsNoSessionIsExpectedFor() {
        let gate = TLSHandshakeGate(cache: TLSSessionCache(), fullHandshakesPerServer: 2)
        let admissions = Admissions()
        #expect(Self.isFull(Self.enter(gate, admissions, number: 1)))
        guard case .waiting = Self.enter(gate, admissions, number: 2) else {
            Issue.record("the second connection did not wait for the first one's session")
            return
        }
        // Two waiting, one handshake in flight: the first waiter starts in full (the second slot).
        _ = Self.enter(gate, admissions, number: 3)
        #expect(admissions.wait(for: 1).map(\.id) == [2])
        // Both slots taken: the fourth waits too, until a slot settles without a session.
        _ = Self.enter(gate, admissions, number: 4)
        #expect(gate.waiting(for: Self.key) == 2)
        gate.settled(.full, for: Self.key)
        let admitted = admissions.wait(for: 2)
        #expect(admitted.map(\.id) == [2, 3] && admitted.map(\.resumed) == [false, false])
        #expect(gate.waiting(for: Self.key) == 1)
    }

    @Test func anArrivingSessionIsResumedByTheFirstWaiterOnly() {
        let cache = TLSSessionCache()
        let gate = TLSHandshakeGate(cache: cache, fullHandshakesPerServer: 1)
        let admissions = Admissions()
        #expect(Self.isFull(Self.enter(gate, admissions, number: 1)))
        _ = Self.enter(gate, admissions, number: 2)
        _ = Self.enter(gate, admissions, number: 3)
        cache.store(Self.session(), for: Self.key)
        gate.sessionArrived(for: Self.key)
        let admitted = admissions.wait(for: 1)
        #expect(admitted.map(\.id) == [2] && admitted.map(\.resumed) == [true])
        #expect(cache.count(for: Self.key) == 0, "a TLS 1.3 session is handed out once")
        #expect(gate.waiting(for: Self.key) == 1)
    }

    @Test func aCachedSessionIsResumedAtOnceAndTheNextConnectionWaitsForTheSessionItBrings() {
        let cache = TLSSessionCache()
        let gate = TLSHandshakeGate(cache: cache, fullHandshakesPerServer: 1)
        let admissions = Admissions()
        cache.store(Self.session(), for: Self.key)
        guard case .admitted(.resume(let session)) = Self.enter(gate, admissions, number: 1) else {
            Issue.record("the cached session was not resumed")
            return
        }
        SSL_SESSION_free(session.pointer)
        guard case .waiting = Self.enter(gate, admissions, number: 2) else {
            Issue.record("the second connection did not wait for the resumption's session")
            return
        }
        // The resumption ended without a session: the waiter starts in full.
        gate.settled(.resuming, for: Self.key)
        let admitted = admissions.wait(for: 1)
        #expect(admitted.map(\.id) == [2] && admitted.map(\.resumed) == [false])
    }

    @Test func aWithdrawnWaiterIsNeverAdmittedAndAnUnusedSessionGoesBack() {
        let cache = TLSSessionCache()
        let gate = TLSHandshakeGate(cache: cache, fullHandshakesPerServer: 1)
        let admissions = Admissions()
        #expect(Self.isFull(Self.enter(gate, admissions, number: 1)))
        guard case .waiting(let id) = Self.enter(gate, admissions, number: 2) else {
            Issue.record("the second handshake was not queued")
            return
        }
        #expect(gate.withdraw(key: Self.key, id: id))
        #expect(!gate.withdraw(key: Self.key, id: id))
        #expect(gate.waiting(for: Self.key) == 0)
        gate.giveBack(.resume(SessionPointer(Self.session())), for: Self.key)
        #expect(cache.count(for: Self.key) == 1)
        #expect(admissions.wait(for: 0).isEmpty, "the withdrawn handshake was admitted")
    }
}
