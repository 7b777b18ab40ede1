import RelayIO

/// Thread-safe counters and the log of finished connections, with blocking waits on a condition variable
/// so tests await events instead of sleeping.
// @unchecked: mutable state is only touched under `condition`
public final class SimulatorEventLog: @unchecked Sendable {
    private let condition = ConditionLock()
    private var open = 0
    private var accepted = 0
    private var pongs = 0
    private var records: [SimulatorConnectionRecord] = []

    /// An empty log.
    public init() {}

    /// Sockets currently open (from accept until the socket is closed).
    public var openConnections: Int { locked { open } }
    /// Requests accepted (valid request frame, answer started).
    public var acceptedRequests: Int { locked { accepted } }
    /// Pongs received over all connections.
    public var pongsReceived: Int { locked { pongs } }
    /// Finished connections in the order their ends were detected.
    public var finishedConnections: [SimulatorConnectionRecord] { locked { records } }

    /// Waits until `openConnections == count`; `false` on timeout.
    public func waitForConnectionCount(_ count: Int, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { $0.open == count }
    }

    /// Waits until at least `count` connections have finished; `false` on timeout.
    public func waitForFinishedConnections(_ count: Int, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { $0.records.count >= count }
    }

    /// Waits for the first finished connection matching `predicate`; `nil` on timeout.
    public func waitForRecord(timeout: Double, where predicate: (SimulatorConnectionRecord) -> Bool) -> SimulatorConnectionRecord? {
        var found: SimulatorConnectionRecord?
        _ = waitUntil(timeout: timeout) { state in
            found = state.records.first(where: predicate)
            return found != nil
        }
        return found
    }

    /// Waits until `acceptedRequests >= count`; `false` on timeout.
    public func waitForAcceptedRequests(_ count: Int, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { $0.accepted >= count }
    }

    // MARK: - Recording (called by the server)

    func connectionOpened() {
        update { open += 1 }
    }

    func connectionClosed() {
        update { open -= 1 }
    }

    func requestAccepted() {
        update { accepted += 1 }
    }

    func pongReceived() {
        update { pongs += 1 }
    }

    func finished(_ record: SimulatorConnectionRecord) {
        update { records.append(record) }
    }

    // MARK: - Locking

    private struct View {
        var open: Int
        var accepted: Int
        var records: [SimulatorConnectionRecord]
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.withLock(body)
    }

    private func update(_ body: () -> Void) {
        condition.update(body)
    }

    private func waitUntil(timeout: Double, _ predicate: (View) -> Bool) -> Bool {
        condition.wait(timeout: timeout) { predicate(View(open: open, accepted: accepted, records: records)) }
    }
}
