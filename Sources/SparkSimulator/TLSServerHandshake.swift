import Dispatch
import RelayIO

/// Drives the server side of a TLS handshake on an accepted non-blocking socket from read/write readiness
/// (the server twin of `Connector`'s client handshake), under a timeout. The completion runs once, on
/// the loop; on failure the socket is closed after every source on it is cancelled.
final class TLSServerHandshake: @unchecked Sendable {
    private let loop: EventLoop
    private let socket: Socket
    private let transport: TLSTransport
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var readSuspended = true
    private var writeSuspended = true
    private var timer: LoopTimer?
    private var completion: ((Result<TLSTransport, TransportError>) -> Void)?

    /// Prepares a handshake on `socket` with a server `context`.
    init(socket: Socket, context: TLSContext, loop: EventLoop) throws(TransportError) {
        self.loop = loop
        self.socket = socket
        self.transport = try TLSTransport(socket: socket, context: context, serverName: nil)
    }

    /// Starts; must be called on the loop.
    func start(timeout: Double, completion: @escaping (Result<TLSTransport, TransportError>) -> Void) {
        loop.preconditionInEventLoop()
        self.completion = completion
        timer = loop.schedule(after: timeout) { [self] in
            finish(.failure(.tls("TLS handshake timed out after \(timeout) s")))
        }
        let read = DispatchSource.makeReadSource(fileDescriptor: socket.descriptor, queue: loop.queue)
        read.setEventHandler { [self] in step() }
        readSource = read
        let write = DispatchSource.makeWriteSource(fileDescriptor: socket.descriptor, queue: loop.queue)
        write.setEventHandler { [self] in step() }
        writeSource = write
        step()
    }

    /// Abandons the handshake (the completion gets a failure) and closes the socket; on the loop.
    func cancel() {
        loop.preconditionInEventLoop()
        finish(.failure(.tls("TLS handshake cancelled")))
    }

    private func step() {
        guard completion != nil else { return }
        do {
            switch try transport.handshake() {
            case .processed:
                finish(.success(transport))
            case .wouldBlock:
                setInterest(writable: transport.handshakeWantsWritable)
            }
        } catch {
            finish(.failure(error))
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

    private func finish(_ result: Result<TLSTransport, TransportError>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        var closeSocket = false
        if case .failure = result {
            transport.release()
            closeSocket = true
        }
        let sources: [any DispatchSourceProtocol] = [readSource, writeSource].compactMap { $0 }
        // A suspended source must be resumed before it is cancelled and released.
        if let readSource, readSuspended { readSource.resume() }
        if let writeSource, writeSuspended { writeSource.resume() }
        readSource = nil
        writeSource = nil
        let socket = self.socket
        var remaining = sources.count
        guard remaining > 0 else {
            if closeSocket { socket.close() }
            completion(result)
            return
        }
        for source in sources {
            source.setCancelHandler {
                // Cancel handlers run on the loop's serial queue, one after the other. The result is
                // reported only after both sources are unregistered: the connection then watches the
                // same descriptor with new sources, which a late unregistration could remove from epoll.
                remaining -= 1
                if remaining == 0 {
                    if closeSocket { socket.close() }
                    completion(result)
                }
            }
            source.cancel()
        }
    }
}
