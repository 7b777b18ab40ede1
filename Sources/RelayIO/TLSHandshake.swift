import Dispatch

/// Drives one TLS handshake (client or server side) on an event loop from socket readiness, under a
/// timeout. The result is reported only after the handshake's dispatch sources are unregistered, so
/// the next owner of the descriptor can watch it with sources of its own; on failure the socket is
/// closed (after the sources are gone). Confined to its loop.
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
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var readSuspended = true
    private var writeSuspended = true
    private var timer: LoopTimer?
    private var completion: ((Result<TLSTransport, Failure>) -> Void)?

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
        let read = DispatchSource.makeReadSource(fileDescriptor: socket.descriptor, queue: loop.queue)
        read.setEventHandler { [self] in step() }
        readSource = read
        let write = DispatchSource.makeWriteSource(fileDescriptor: socket.descriptor, queue: loop.queue)
        write.setEventHandler { [self] in step() }
        writeSource = write
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
                setInterest(writable: transport.handshakeWantsWritable)
            }
        } catch {
            finish(.failure(.failed(error)))
        }
    }

    private func setInterest(writable: Bool) {
        if writable {
            if let readSource, !readSuspended { readSource.suspend(); readSuspended = true }
            if let writeSource, writeSuspended { writeSource.resume(); writeSuspended = false }
        } else {
            if let writeSource, !writeSuspended { writeSource.suspend(); writeSuspended = true }
            if let readSource, readSuspended { readSource.resume(); readSuspended = false }
        }
    }

    private func finish(_ result: Result<TLSTransport, Failure>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        let failed: Bool
        if case .failure = result { failed = true; transport.release() } else { failed = false }
        let sources: [any DispatchSourceProtocol] = [readSource, writeSource].compactMap { $0 }
        // A suspended source must be resumed before it is cancelled and released.
        if let readSource, readSuspended { readSource.resume() }
        if let writeSource, writeSuspended { writeSource.resume() }
        readSource = nil
        writeSource = nil
        let socket = self.socket
        var remaining = sources.count
        guard remaining > 0 else {
            if failed { socket.close() }
            completion(result)
            return
        }
        for source in sources {
            source.setCancelHandler {
                // Handlers run one after the other on the loop's queue.
                remaining -= 1
                if remaining == 0 {
                    if failed { socket.close() }
                    completion(result)
                }
            }
            source.cancel()
        }
    }
}
