/// Drives one TLS handshake (client or server side) on an event loop from socket readiness (the
/// loop's poller), under a timeout. A client connection with a session key first waits for the
/// context's `TLSHandshakeGate` (inside the same timeout). The socket's registration is removed
/// before the result is reported, so the next owner of the descriptor can register it again; on
/// failure the socket is closed. Confined to its loop.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (`start` and `cancel` check preconditionInEventLoop; poller and timer callbacks run there)
public final class TLSHandshake: @unchecked Sendable {
    /// Why the handshake did not complete.
    public enum Failure: Error, Sendable, Equatable {
        case timedOut(seconds: Double)
        case failed(TransportError)
        case cancelled
    }

    private let loop: EventLoop
    private let socket: Socket
    private let transport: TLSTransport
    private var registration: ReadinessPoller.Registration?
    private var timer: LoopTimer?
    private var completion: ((Result<TLSTransport, Failure>) -> Void)?
    /// The gate's id for this handshake while it waits for admission.
    private var waitingID: Int?

    /// `serverName` is the host to verify (and send as SNI) for client contexts; `nil` for servers.
    /// With the server's `port`, the client resumes and keeps sessions (`TLSSessionCache`).
    public init(socket: Socket, context: TLSContext, serverName: String?, port: Int? = nil, loop: EventLoop) throws(TransportError) {
        self.loop = loop
        self.socket = socket
        self.transport = try TLSTransport(socket: socket, context: context, serverName: serverName, port: port)
    }

    /// Starts; `completion` runs once, on the loop.
    public func start(timeout: Double, completion: @escaping (Result<TLSTransport, Failure>) -> Void) {
        loop.preconditionInEventLoop()
        self.completion = completion
        timer = loop.schedule(after: timeout) { [self] in finish(.failure(.timedOut(seconds: timeout))) }
        switch transport.enterHandshakeGate(loop: loop, admit: { [self] admission in admitted(admission) }) {
        case nil:
            begin()
        case .admitted(let admission)?:
            transport.begin(with: admission)
            begin()
        case .waiting(let id)?:
            waitingID = id
        }
    }

    /// The gate admitted this handshake after it waited (on the loop).
    private func admitted(_ admission: TLSHandshakeGate.Admission) {
        waitingID = nil
        guard completion != nil else {
            transport.giveBack(admission)
            return
        }
        transport.begin(with: admission)
        begin()
    }

    private func begin() {
        do throws(IOError) {
            registration = try loop.poller.register(descriptor: socket.descriptor) { [self] _ in step() }
        } catch {
            finish(.failure(.failed(.io(error))))
            return
        }
        step()
    }

    /// Abandons the handshake and closes the socket; the completion reports `.cancelled`.
    public func cancel() {
        loop.preconditionInEventLoop()
        finish(.failure(.cancelled))
    }

    private func step() {
        guard completion != nil else { return }
        do throws(TransportError) {
            switch try transport.handshake() {
            case .processed:
                finish(.success(transport))
            case .wouldBlock:
                guard let registration else { return }
                do throws(IOError) {
                    try loop.poller.update(registration, interest: transport.handshakeWantsWritable ? .writable : .readable)
                } catch {
                    finish(.failure(.failed(.io(error))))
                }
            }
        } catch {
            finish(.failure(.failed(error)))
        }
    }

    private func finish(_ result: Result<TLSTransport, Failure>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        if let id = waitingID {
            // When the admission is already on its way, `admitted` hands it back.
            waitingID = nil
            _ = transport.withdrawFromHandshakeGate(id: id)
        }
        if let registration {
            loop.poller.unregister(registration)
            self.registration = nil
        }
        if case .failure = result {
            transport.release()
            socket.close()
        }
        completion(result)
    }
}
