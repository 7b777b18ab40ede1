import Logging
import RelayIO
import SparkCodec
import Synchronization

/// A WebSocket server that behaves like Spark's chat gateway (Sources/SparkCodec/README.md), on the project's own
/// event loops: it verifies signed URLs (401/403 with Spark's bodies and a `Date` header), serves the
/// model table's paths (404 otherwise), takes exactly one request per connection, streams deterministic
/// answers (`SimulatorScript`) and injects faults on demand (`SimulatorDirectives`).
///
/// Observability for tests: `openConnections`, `acceptedRequests`, `finishedConnections` and blocking
/// waits (`waitForConnectionCount`, `events`).
public final class SimulatorServer: Sendable {
    /// The configuration it was created with.
    public let configuration: SimulatorConfiguration
    /// Counters, finished-connection log and waits.
    public let events = SimulatorEventLog()
    let verifier: SparkAuthVerifier
    let logger: Logger?
    private let group: EventLoopGroup
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var listener: Listener?
        var tls: TLSContext?
        var connections: [Int: SimulatorConnection] = [:]
        var nextID = 1
        var stopped = false
    }

    /// A server that will run on `group`'s loops; nothing is bound until `start()`.
    public init(configuration: SimulatorConfiguration, group: EventLoopGroup, logger: Logger? = nil) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.verifier = SparkAuthVerifier(credentials: configuration.credentials, maxClockSkew: configuration.maxClockSkew)
    }

    /// Binds `host:port` (port 0 picks one), loads TLS when configured, starts accepting, and returns the
    /// bound address.
    public func start() throws(SimulatorError) -> SocketAddress {
        let host = configuration.host == "localhost" ? "127.0.0.1" : configuration.host
        guard let address = SocketAddress(ipAddress: host, port: configuration.port) else {
            throw .invalidHost(configuration.host)
        }
        var tls: TLSContext?
        if let certificate = configuration.tlsCertificateFile, let key = configuration.tlsKeyFile {
            do throws(TransportError) {
                tls = try TLSContext(serverCertificateFile: certificate, keyFile: key)
            } catch {
                throw .tls(error)
            }
        }
        let listener: Listener
        do throws(IOError) {
            listener = try Listener(
                address: address, group: group, maxConnections: configuration.maxConnections,
                onAccept: { [weak self] socket, _, loop in
                    guard let self else { socket.close(); return }
                    self.accept(socket: socket, loop: loop)
                },
                onOverload: { socket, _ in socket.close() },
                onError: { [logger] error in logger?.warning("spark-sim accept failed", metadata: ["error": "\(error)"]) })
        } catch {
            throw .bind(error)
        }
        let started = state.withLock { state -> Bool in
            guard state.listener == nil, !state.stopped else { return false }
            state.listener = listener
            state.tls = tls
            return true
        }
        guard started else {
            listener.stop()
            throw .alreadyStarted
        }
        listener.start()
        logger?.info("spark-sim listening", metadata: [
            "sim.address": "\(listener.address)", "sim.tls": "\(tls != nil)",
        ])
        return listener.address
    }

    /// Stops accepting and closes every open connection (each is recorded as `.serverStopped` unless it had
    /// already ended). Returns at once; `waitForConnectionCount(0, timeout:)` waits for the sockets.
    public func stop() {
        let (listener, connections) = state.withLock { state in
            let listener = state.stopped ? nil : state.listener
            state.stopped = true
            return (listener, Array(state.connections.values))
        }
        listener?.stop()
        for connection in connections {
            connection.loop.execute { connection.shutdown() }
        }
    }

    /// Sockets currently open.
    public var openConnections: Int { events.openConnections }
    /// Requests accepted (an answer was started).
    public var acceptedRequests: Int { events.acceptedRequests }
    /// Finished connections, in the order their ends were detected.
    public var finishedConnections: [SimulatorConnectionRecord] { events.finishedConnections }

    /// Waits until exactly `count` sockets are open; `false` on timeout.
    public func waitForConnectionCount(_ count: Int, timeout: Double) -> Bool {
        events.waitForConnectionCount(count, timeout: timeout)
    }

    // MARK: - Connections

    private func accept(socket: Socket, loop: EventLoop) {
        let accepted = state.withLock { state -> (SimulatorConnection, TLSContext?)? in
            guard !state.stopped else { return nil }
            let connection = SimulatorConnection(id: state.nextID, loop: loop, server: self)
            state.nextID += 1
            state.connections[connection.id] = connection
            return (connection, state.tls)
        }
        guard let accepted else {
            socket.close()
            releaseListenerSlot()
            return
        }
        events.connectionOpened()
        accepted.0.start(socket: socket, tls: accepted.1)
    }

    /// Called once per connection when its socket is gone.
    func connectionReleased(_ connection: SimulatorConnection) {
        state.withLock { state in
            _ = state.connections.removeValue(forKey: connection.id)
        }
        releaseListenerSlot()
        events.connectionClosed()
    }

    /// Returns the socket's slot to the listener (kept after `stop()` for exactly this).
    private func releaseListenerSlot() {
        state.withLock { $0.listener }?.connectionClosed()
    }
}
