import Dispatch
import HTTPCodec
import RelayIO

/// Events of one `HTTPClientTask`, on the client's loop.
public protocol HTTPClientTaskDelegate: AnyObject {
    /// The final response head arrived (interim 1xx heads are skipped).
    func httpClientTask(_ task: HTTPClientTask, didReceiveHead head: HTTPResponseHeadParsed)
    /// Body bytes arrived, de-chunked, as they came off the socket.
    func httpClientTask(_ task: HTTPClientTask, didReceiveBody bytes: [UInt8])
    /// The request is over: `nil` after the whole response, else why it failed. Called exactly once,
    /// never after `cancel()`.
    func httpClientTask(_ task: HTTPClientTask, didFinishWith error: HTTPClientError?)
}

/// One request and its response on an `HTTPClient`. Cancel it, back-pressure it, and read how its
/// connection was made. Loop-confined like its client.
// @unchecked: confined to its event loop: every mutable member is touched only on the client's loop (the public methods check preconditionInEventLoop; connector, connection and timer callbacks run there)
public final class HTTPClientTask: @unchecked Sendable {
    private enum State {
        /// Made, not yet connecting (or failing on the next loop turn).
        case idle
        case connecting(Connector)
        case active(HTTPClientConnection)
        case finished
    }

    /// Where the request goes.
    public let origin: HTTPClientOrigin
    private let client: HTTPClient
    private let loop: EventLoop
    private let request: HTTPClientRequest
    private var delegate: (any HTTPClientTaskDelegate)?
    private var state = State.idle
    private var requestBytes: [UInt8] = []
    private var parser: HTTPResponseParser
    private var readTimer: LoopDeadlineTimer?
    private var paused = false
    private var processing = false
    /// The connection delivered at least one byte for this request.
    private var receivedAnyByte = false
    /// The server finished sending; `endOfInputSignalled` once the parser was told.
    private var inputEnded = false
    private var endOfInputSignalled = false
    /// Between an interim 1xx head and its `.end`.
    private var inInterimResponse = false
    private var head: HTTPResponseHeadParsed?

    /// `true` when the response came over a connection taken from the pool.
    public private(set) var reusedConnection = false
    /// `true` when a pooled connection failed before any response byte and the request was sent
    /// again on a new connection.
    public private(set) var retriedOnNewConnection = false
    /// Over TLS, whether the connection's handshake resumed an earlier session; `nil` for plain
    /// TCP and before a connection is made.
    public private(set) var tlsSessionResumed: Bool?
    /// DNS, TCP connect and TLS handshake of the new connection, in nanoseconds; `nil` when the
    /// request ran on a pooled connection (or none was made).
    public private(set) var connectNanoseconds: UInt64?
    /// `true` once the delegate got `didFinishWith`, or after `cancel()`.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    init(client: HTTPClient, request: HTTPClientRequest, origin: HTTPClientOrigin, delegate: any HTTPClientTaskDelegate) {
        self.client = client
        self.loop = client.loop
        self.request = request
        self.origin = origin
        self.delegate = delegate
        self.parser = HTTPResponseParser(limits: client.configuration.parserLimits, requestMethodWasHEAD: request.method == .head)
    }

    /// Abandons the request at once: the connection (or the connection attempt) is closed, never
    /// pooled, and the delegate hears nothing more. Call on the loop.
    public func cancel() {
        loop.preconditionInEventLoop()
        switch state {
        case .connecting(let connector):
            connector.cancel()
        case .active(let connection):
            connection.task = nil
            connection.close()
        case .idle, .finished:
            break
        }
        state = .finished
        delegate = nil
        readTimer?.cancel()
        readTimer = nil
    }

    /// Stops reading the socket (the server's writes back up) until `resumeReading()`; callbacks
    /// stop after the current one. The read timeout does not run meanwhile. Call on the loop.
    public func pauseReading() {
        loop.preconditionInEventLoop()
        guard !paused, !isFinished else { return }
        paused = true
        readTimer?.disarm()
        if case .active(let connection) = state { connection.channel.pauseReading() }
    }

    /// Resumes after `pauseReading()`, first delivering what is already buffered. Call on the loop.
    public func resumeReading() {
        loop.preconditionInEventLoop()
        guard paused else { return }
        paused = false
        guard case .active = state else { return }
        process()
        guard case .active(let connection) = state, !paused else { return }
        readTimer?.arm(after: client.configuration.readTimeout)
        connection.channel.resumeReading()
    }

    // MARK: - Starting

    func start() {
        do throws(HTTPHeaderValidationError) {
            requestBytes = try HTTPRequestEncoder.encode(
                method: request.method, target: request.path, host: origin.host, port: origin.isDefaultPort ? nil : origin.port,
                headers: request.headers, body: request.body)
        } catch {
            // The value is never echoed; the field's name is.
            return failSoon(HTTPClientError(kind: .invalidRequest, message: "the request to \(origin) cannot be encoded: \(error)"))
        }
        if client.isShutdown {
            return failSoon(HTTPClientError(kind: .shutdown, message: "the HTTP client was shut down"))
        }
        if origin.isSecure && client.tls == nil {
            return failSoon(HTTPClientError(kind: .tls, message: "\(origin) needs a TLS context"))
        }
        if let connection = client.takeIdleConnection(for: origin) {
            attach(connection, reused: true)
        } else {
            connect()
        }
    }

    /// Reports `error` on a later loop turn (never from inside `execute`), unless cancelled first.
    private func failSoon(_ error: HTTPClientError) {
        loop.execute { [self] in
            guard case .idle = state else { return }
            finish(error)
        }
    }

    private func connect() {
        let configuration = client.configuration
        let started = DispatchTime.now().uptimeNanoseconds
        let connector = Connector.connect(
            host: origin.host, port: origin.port, tls: origin.isSecure ? client.tls : nil, serverName: origin.host, on: loop,
            connectTimeout: configuration.connectTimeout, tlsTimeout: configuration.tlsHandshakeTimeout
        ) { [self] result in
            switch result {
            case .success(let transport):
                guard case .connecting = state else {
                    transport.release()
                    transport.socket.close()
                    return
                }
                connectNanoseconds = DispatchTime.now().uptimeNanoseconds &- started
                attach(HTTPClientConnection(transport: transport, origin: origin, client: client), reused: false)
            case .failure(let error):
                guard case .connecting = state else { return }
                finish(HTTPClientError(connecting: origin, error))
            }
        }
        state = .connecting(connector)
    }

    private func attach(_ connection: HTTPClientConnection, reused: Bool) {
        reusedConnection = reused
        if reused { connectNanoseconds = nil }
        tlsSessionResumed = connection.tlsSessionResumed
        state = .active(connection)
        connection.task = self
        if paused { connection.channel.pauseReading() }
        if readTimer == nil {
            readTimer = LoopDeadlineTimer(loop: loop) { [weak self] in self?.readTimedOut() }
        }
        if !paused { readTimer?.arm(after: client.configuration.readTimeout) }
        if !reused {
            // A channel that cannot start reports its close to the task attached just above.
            connection.start()
            guard case .active(let current) = state, current === connection else { return }
        }
        connection.channel.write(requestBytes)
    }

    // MARK: - Connection events (on the loop)

    func connection(_ connection: HTTPClientConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard case .active(let current) = state, current === connection else { return }
        receivedAnyByte = true
        parser.append(bytes)
        if !paused { readTimer?.arm(after: client.configuration.readTimeout) }
        process()
    }

    func connectionDidReadEndOfStream(_ connection: HTTPClientConnection) {
        guard case .active(let current) = state, current === connection else { return }
        inputEnded = true
        process()
    }

    func connection(_ connection: HTTPClientConnection, didCloseWith error: TransportError?) {
        guard case .active(let current) = state, current === connection else { return }
        connectionFailed(connection, error)
    }

    private func readTimedOut() {
        guard case .active(let connection) = state, !paused else { return }
        fail(connection, HTTPClientError(kind: .timeout(.read),
                                         message: "\(origin) sent nothing for \(client.configuration.readTimeout) s"))
    }

    // MARK: - Response

    /// Hands parsed parts to the delegate until the parser needs more bytes, reading is paused, or
    /// the task is over.
    private func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !paused {
            guard case .active(let connection) = state else { return }
            let part: HTTPResponsePart
            do throws(HTTPParserError) {
                if let next = try parser.next() {
                    part = next
                } else if inputEnded && !endOfInputSignalled {
                    endOfInputSignalled = true
                    try parser.endOfInput()
                    continue
                } else if inputEnded {
                    return peerClosedEarly(connection)
                } else {
                    return
                }
            } catch {
                if error.kind == .truncatedMessage { return peerClosedEarly(connection) }
                return fail(connection, HTTPClientError(kind: .protocolError, message: "invalid response from \(origin): \(error.message)"))
            }
            switch part {
            case .head(let head):
                if head.status == 101 {
                    return fail(connection, HTTPClientError(kind: .protocolError, message: "\(origin) switched protocols unasked"))
                }
                if (100..<200).contains(head.status) {
                    inInterimResponse = true
                    continue
                }
                self.head = head
                delegate?.httpClientTask(self, didReceiveHead: head)
            case .body(let bytes):
                delegate?.httpClientTask(self, didReceiveBody: bytes)
            case .end:
                if inInterimResponse {
                    inInterimResponse = false
                    continue
                }
                return complete(connection)
            }
        }
    }

    /// The whole response arrived: the connection goes back to the pool if it may persist.
    private func complete(_ connection: HTTPClientConnection) {
        let persists = !inputEnded && head?.version == .http1_1
            && !(head?.headers.tokens(for: "Connection").contains("close") ?? true)
            && !HTTPHeaders(request.headers).tokens(for: "Connection").contains("close")
            && parser.remainingBytes.isEmpty
            && connection.channel.pendingWriteBytes == 0  // an early answer may leave part of the request unsent
        state = .finished
        connection.task = nil
        client.release(connection, reusable: persists)
        finish(nil)
    }

    /// The server ended the connection before a complete response.
    private func peerClosedEarly(_ connection: HTTPClientConnection) {
        if retryIsAllowed {
            return retry(leaving: connection)
        }
        let what = head == nil ? "before the response head" : "before the end of the response body"
        fail(connection, HTTPClientError(kind: .closedBeforeEnd, message: "\(origin) closed the connection \(what)"))
    }

    /// The channel closed under the task (reset, write failure, TLS error).
    private func connectionFailed(_ connection: HTTPClientConnection, _ error: TransportError?) {
        if retryIsAllowed {
            return retry(leaving: connection)
        }
        let reason = error.map { ": \($0)" } ?? ""
        if case .tls? = error {
            return fail(connection, HTTPClientError(kind: .tls, message: "TLS with \(origin) failed\(reason)"))
        }
        let what = head == nil ? "before the response head" : "before the end of the response body"
        fail(connection, HTTPClientError(kind: .closedBeforeEnd, message: "the connection to \(origin) ended \(what)\(reason)"))
    }

    /// A pooled connection that failed before any response byte may have been closed by the server
    /// just as the request left: one more try, on a new connection.
    private var retryIsAllowed: Bool {
        reusedConnection && !retriedOnNewConnection && !receivedAnyByte
    }

    private func retry(leaving connection: HTTPClientConnection) {
        retriedOnNewConnection = true
        connection.task = nil
        connection.close()
        readTimer?.disarm()
        parser = HTTPResponseParser(limits: client.configuration.parserLimits, requestMethodWasHEAD: request.method == .head)
        inputEnded = false
        endOfInputSignalled = false
        inInterimResponse = false
        reusedConnection = false
        tlsSessionResumed = nil
        connect()
    }

    // MARK: - Ending

    /// Detaches and closes the connection (never pooled), then reports `error`.
    private func fail(_ connection: HTTPClientConnection, _ error: HTTPClientError) {
        state = .finished
        connection.task = nil
        connection.close()
        finish(error)
    }

    /// Reports the end once and lets go of the delegate.
    private func finish(_ error: HTTPClientError?) {
        state = .finished
        readTimer?.cancel()
        readTimer = nil
        guard let delegate else { return }
        self.delegate = nil
        delegate.httpClientTask(self, didFinishWith: error)
    }
}
