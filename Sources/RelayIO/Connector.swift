import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Why an outgoing connection could not be made.
public struct ConnectError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The name did not resolve.
        case resolve
        /// Every address refused or was unreachable.
        case refused
        /// The TCP connect did not finish within its timeout.
        case connectTimeout
        /// The TLS handshake did not finish within its timeout.
        case tlsTimeout
        /// The TLS handshake failed (certificate, host name, protocol).
        case tls
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }
}

/// Opens a TCP (and optionally TLS) connection on an event loop without blocking it: resolution off
/// the loop, non-blocking connect tried on each address in turn, then the TLS handshake, each phase
/// under its own timeout. The completion runs exactly once, on the loop.
// @unchecked: confined to its event loop: made anywhere, but every mutable member is touched only on `loop` (`begin` is queued there, `cancel` checks preconditionInEventLoop, resolver, poller, handshake and timer callbacks run there)
public final class Connector: @unchecked Sendable {
    private let loop: EventLoop
    private let host: String
    private let port: Int
    private let tls: TLSContext?
    private let serverName: String
    private let connectTimeout: Double
    private let tlsTimeout: Double
    private var completion: (@Sendable (Result<any Transport, ConnectError>) -> Void)?
    private var addresses: [SocketAddress] = []
    private var socket: Socket?
    private var tlsHandshake: TLSHandshake?
    /// The connecting socket's registration with the loop's poller (waiting for it to be writable).
    private var registration: ReadinessPoller.Registration?
    private var timer: LoopTimer?
    private var lastError = ""
    private var cancelled = false

    private init(loop: EventLoop, host: String, port: Int, tls: TLSContext?, serverName: String,
                 connectTimeout: Double, tlsTimeout: Double,
                 completion: @escaping @Sendable (Result<any Transport, ConnectError>) -> Void) {
        self.loop = loop
        self.host = host
        self.port = port
        self.tls = tls
        self.serverName = serverName
        self.connectTimeout = connectTimeout
        self.tlsTimeout = tlsTimeout
        self.completion = completion
    }

    /// Starts connecting; returns a handle whose `cancel()` abandons the attempt (no completion call).
    @discardableResult
    public static func connect(
        host: String, port: Int, tls: TLSContext?, serverName: String? = nil, on loop: EventLoop,
        connectTimeout: Double, tlsTimeout: Double,
        completion: @escaping @Sendable (Result<any Transport, ConnectError>) -> Void
    ) -> Connector {
        let connector = Connector(loop: loop, host: host, port: port, tls: tls, serverName: serverName ?? host,
                                  connectTimeout: connectTimeout, tlsTimeout: tlsTimeout, completion: completion)
        loop.execute { connector.begin() }
        return connector
    }

    /// Abandons the attempt and closes its socket; must be called on the loop.
    public func cancel() {
        loop.preconditionInEventLoop()
        cancelled = true
        completion = nil
        tlsHandshake?.cancel()
        tlsHandshake = nil
        tearDown(closeSocket: true)
    }

    private func begin() {
        guard !cancelled else { return }
        timer = loop.schedule(after: connectTimeout) { [self] in
            finish(.failure(ConnectError(kind: .connectTimeout, message: "connecting to \(host):\(port) timed out after \(connectTimeout) s")))
        }
        Resolver.resolve(host: host, port: port, on: loop) { [self] result in
            guard completion != nil else { return }
            switch result {
            case .failure(let error):
                finish(.failure(ConnectError(kind: .resolve, message: error.description)))
            case .success(let addresses):
                self.addresses = addresses
                tryNextAddress()
            }
        }
    }

    private func tryNextAddress() {
        guard completion != nil else { return }
        tearDown(closeSocket: true)
        guard !addresses.isEmpty else {
            finish(.failure(ConnectError(kind: .refused, message: "cannot connect to \(host):\(port): \(lastError)")))
            return
        }
        let address = addresses.removeFirst()
        do throws(IOError) {
            let socket = try Socket.makeTCP(family: address.family)
            self.socket = socket
            switch try socket.connect(to: address) {
            case .processed:
                connected()
            case .wouldBlock:
                let registration = try loop.poller.register(descriptor: socket.descriptor) { [self] _ in connectFinished(socket) }
                self.registration = registration
                try loop.poller.update(registration, interest: .writable)
            }
        } catch {
            lastError = error.description
            tryNextAddress()
        }
    }

    /// The non-blocking connect on `socket` ended (writable, or an error or hang-up reported).
    private func connectFinished(_ socket: Socket) {
        guard completion != nil, socket == self.socket else { return }
        do throws(IOError) {
            try socket.connectResult()
            tearDown(closeSocket: false)
            connected()
        } catch {
            lastError = error.description
            tryNextAddress()
        }
    }

    private func connected() {
        guard let socket else { return }
        socket.setNoDelay()
        guard let tls else {
            self.socket = nil
            finish(.success(TCPTransport(socket: socket)))
            return
        }
        timer?.cancel()
        timer = nil
        let handshake: TLSHandshake
        do throws(TransportError) {
            handshake = try TLSHandshake(socket: socket, context: tls, serverName: serverName, port: port, loop: loop)
        } catch {
            finish(.failure(ConnectError(kind: .tls, message: "TLS with \(host):\(port): \(error)")))
            return
        }
        // From here the handshake owns the socket (it closes it on failure).
        self.socket = nil
        tlsHandshake = handshake
        handshake.start(timeout: tlsTimeout) { [self] result in
            tlsHandshake = nil
            switch result {
            case .success(let transport):
                finish(.success(transport))
            case .failure(.timedOut):
                finish(.failure(ConnectError(kind: .tlsTimeout, message: "TLS handshake with \(host):\(port) timed out after \(tlsTimeout) s")))
            case .failure(.failed(.tls(let reason))):
                finish(.failure(ConnectError(kind: .tls, message: reason)))
            case .failure(.failed(let error)):
                finish(.failure(ConnectError(kind: .tls, message: "\(error)")))
            case .failure(.cancelled):
                break
            }
        }
    }

    private func finish(_ result: Result<any Transport, ConnectError>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        // On success the caller registers the descriptor again, after ours is gone.
        if case .success = result { tearDown(closeSocket: false) } else { tearDown(closeSocket: true) }
        completion(result)
    }

    /// Removes the socket's registration from the poller and closes the socket if asked.
    private func tearDown(closeSocket: Bool) {
        if let registration {
            loop.poller.unregister(registration, closingDescriptor: closeSocket && socket != nil)
            self.registration = nil
        }
        if closeSocket {
            socket?.close()
            socket = nil
        }
    }
}
