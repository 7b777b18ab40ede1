import HTTPCodec
import RelayCrypto
import RelayIO
import WebSocketCodec

/// Events of a `WebSocketClient`, on its event loop.
public protocol WebSocketClientDelegate: AnyObject {
    /// The upgrade succeeded; messages may be sent.
    func webSocketClientDidOpen(_ client: WebSocketClient)
    /// A complete text or binary message arrived.
    func webSocketClient(_ client: WebSocketClient, didReceive message: WebSocketMessage)
    /// The connection is over; called exactly once.
    func webSocketClient(_ client: WebSocketClient, didCloseWith result: WebSocketClient.CloseResult)
}

/// An RFC 6455 client over TCP or TLS on an event loop: connect (DNS off the loop), upgrade, frames
/// through the sans-I/O codec, ping → pong, the close handshake, and back-pressure (pause reading).
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (the public methods check preconditionInEventLoop; connector, channel and timer callbacks run there)
public final class WebSocketClient: @unchecked Sendable {
    /// How a connection ended.
    public enum CloseResult: Sendable, Equatable {
        /// A Close frame was exchanged (or the peer's Close arrived) with this code and reason.
        case closed(code: WebSocketCloseCode?, reason: String, initiatedByPeer: Bool)
        /// The connection failed.
        case failed(WebSocketClientError)
    }

    private enum State {
        case idle
        case connecting(Connector)
        case handshaking(StreamChannel)
        case open(StreamChannel)
        case closed
    }

    public let url: WebSocketURL
    public let loop: EventLoop
    public let configuration: WebSocketClientConfiguration
    public weak var delegate: (any WebSocketClientDelegate)?
    private let tls: TLSContext?
    private let extraHeaders: [(String, String)]
    private var state = State.idle
    private var key = ""
    private var responseParser: HTTPResponseParser
    private var rejectedStatus: Int?
    private var rejectedBody: [UInt8] = []
    private var rejectedDate: String?
    private var decoder: WebSocketFrameDecoder
    private var assembler: WebSocketMessageAssembler
    private var machine = WebSocketStateMachine()
    private var timer: LoopTimer?
    private var paused = false
    private var processingInput = false
    private var closeCode: WebSocketCloseCode?
    private var closeReason = ""
    private var closeInitiatedByPeer = false

    /// `tls` is required for `wss` URLs.
    public init(url: WebSocketURL, loop: EventLoop, tls: TLSContext?, configuration: WebSocketClientConfiguration = .init(),
                extraHeaders: [(String, String)] = []) {
        self.url = url
        self.loop = loop
        self.tls = tls
        self.configuration = configuration
        self.extraHeaders = extraHeaders
        self.responseParser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: configuration.maxHandshakeResponseBytes))
        self.decoder = WebSocketFrameDecoder(role: .client, maxFrameSize: configuration.maxFrameSize)
        self.assembler = WebSocketMessageAssembler(maxMessageSize: configuration.maxMessageSize, textAsBytes: configuration.textAsBytes)
    }

    /// Starts connecting. Call on the loop.
    public func connect() {
        loop.preconditionInEventLoop()
        guard case .idle = state else { return }
        if url.isSecure && tls == nil {
            fail(WebSocketClientError(kind: .connect(.tls), message: "a wss:// URL needs a TLS context"))
            return
        }
        let connector = Connector.connect(
            host: url.host, port: url.port, tls: url.isSecure ? tls : nil, serverName: url.host, on: loop,
            connectTimeout: configuration.connectTimeout, tlsTimeout: configuration.handshakeTimeout
        ) { [self] result in
            switch result {
            case .success(let transport):
                startHandshake(transport)
            case .failure(let error):
                fail(WebSocketClientError(kind: .connect(error.kind), message: error.message))
            }
        }
        state = .connecting(connector)
    }

    /// Over TLS, whether the connection resumed an earlier session (`nil` for plain TCP or before
    /// the connection is made).
    public private(set) var tlsSessionResumed: Bool?

    /// `true` once open and until a Close was sent or received.
    public var canSend: Bool {
        if case .open = state { return machine.canSendData }
        return false
    }

    /// `false` while the socket's output buffer is over its bound.
    public var isWritable: Bool {
        if case .open(let channel) = state { return channel.isWritable }
        return false
    }

    /// Sends one text message (masked, one frame).
    public func sendText(_ bytes: [UInt8]) {
        loop.preconditionInEventLoop()
        guard case .open(let channel) = state, machine.canSendData else { return }
        channel.write(WebSocketFrameEncoder.encode(opcode: .text, payload: bytes, maskingKey: SecureRandom.bytes(count: 4)))
    }

    /// Starts the close handshake; the socket closes when the peer answers or after `closeTimeout`.
    /// Before the connection is open this abandons it at once. The delegate gets `.closed` either way.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        loop.preconditionInEventLoop()
        switch state {
        case .idle:
            state = .closed
        case .connecting(let connector):
            connector.cancel()
            finish(.closed(code: code, reason: reason, initiatedByPeer: false))
        case .handshaking(let channel):
            finish(.closed(code: code, reason: reason, initiatedByPeer: false))
            channel.close()
        case .open(let channel):
            closeCode = code
            closeReason = reason
            perform(machine.sendClose(code: code, reason: reason), on: channel)
        case .closed:
            break
        }
    }

    /// Stops reading frames (back-pressure towards the server) until `resumeReading()`.
    public func pauseReading() {
        loop.preconditionInEventLoop()
        paused = true
        if case .open(let channel) = state { channel.pauseReading() }
    }

    /// Resumes after `pauseReading()`, first delivering what is already buffered.
    public func resumeReading() {
        loop.preconditionInEventLoop()
        guard paused else { return }
        paused = false
        guard case .open(let channel) = state else { return }
        processFrames(channel)
        if case .open = state, !paused { channel.resumeReading() }
    }

    // MARK: - Handshake

    private func startHandshake(_ transport: any Transport) {
        tlsSessionResumed = (transport as? TLSTransport)?.sessionReused
        let channel = StreamChannel(transport: transport, loop: loop, highWatermark: configuration.writeBufferBytes)
        channel.delegate = self
        state = .handshaking(channel)
        channel.start()
        key = WebSocketHandshake.makeClientKey()
        timer = loop.schedule(after: configuration.handshakeTimeout) { [self] in
            guard case .handshaking(let channel) = state else { return }
            abort(channel, WebSocketClientError(kind: .handshakeTimeout,
                                      message: "the WebSocket upgrade with \(url.authority) got no answer within \(configuration.handshakeTimeout) s"))
        }
        channel.write(WebSocketHandshake.clientRequest(host: url.authority, requestTarget: url.requestTarget, key: key, extraHeaders: extraHeaders))
    }

    private func handleHandshakeBytes(_ channel: StreamChannel, endOfInput: Bool) {
        do throws(HTTPParserError) {
            if endOfInput { try responseParser.endOfInput() }
            while let part = try responseParser.next() {
                switch part {
                case .head(let head):
                    if head.status == 101 {
                        try accept(head, channel: channel)
                        return
                    }
                    rejectedStatus = head.status
                    rejectedDate = head.headers["Date"]
                case .body(let bytes):
                    rejectedBody.append(contentsOf: bytes.prefix(8192 - rejectedBody.count))
                case .end:
                    rejectHandshake(channel)
                    return
                }
            }
            if endOfInput {
                if rejectedStatus != nil {
                    rejectHandshake(channel)
                } else {
                    abort(channel, WebSocketClientError(kind: .handshakeInvalid, message: "\(url.authority) closed the connection during the WebSocket upgrade"))
                }
            }
        } catch {
            if rejectedStatus != nil {
                rejectHandshake(channel)
            } else {
                abort(channel, WebSocketClientError(kind: .handshakeInvalid, message: "invalid upgrade response from \(url.authority): \(error.message)"))
            }
        }
    }

    private func accept(_ head: HTTPResponseHeadParsed, channel: StreamChannel) throws(HTTPParserError) {
        do throws(WebSocketHandshakeError) {
            try WebSocketHandshake.validateServerResponse(status: head.status, headers: head.headers.map { ($0.name, $0.value) }, key: key)
        } catch {
            abort(channel, WebSocketClientError(kind: .handshakeInvalid, message: "invalid WebSocket upgrade response from \(url.authority): \(error.message)"))
            return
        }
        timer?.cancel()
        timer = nil
        state = .open(channel)
        let leftover = responseParser.remainingBytes
        delegate?.webSocketClientDidOpen(self)
        if paused { channel.pauseReading() }
        if !leftover.isEmpty {
            decoder.append(leftover)
            processFrames(channel)
        }
    }

    private func rejectHandshake(_ channel: StreamChannel) {
        let status = rejectedStatus ?? 0
        abort(channel, WebSocketClientError(kind: .handshakeRejected(status: status),
                                  message: "\(url.authority) rejected the WebSocket upgrade with HTTP \(status)",
                                  responseBody: rejectedBody, responseDate: rejectedDate))
    }

    // MARK: - Frames

    private func processFrames(_ channel: StreamChannel) {
        guard !processingInput else { return }
        processingInput = true
        defer { processingInput = false }
        while !paused {
            guard case .open = state else { return }
            let message: WebSocketMessage?
            do throws(WebSocketProtocolError) {
                guard let frame = try decoder.next() else { return }
                message = try assembler.receive(frame)
            } catch {
                // Answer with the matching close code (RFC 6455 §7.1.7), then report the failure.
                let action = machine.protocolError(error)
                fail(WebSocketClientError(kind: .protocolViolation(error.closeCode), message: "WebSocket protocol error from \(url.authority): \(error.message)"))
                if case .sendCloseAndCloseTransport(_, let payload) = action {
                    channel.write(WebSocketFrameEncoder.encode(opcode: .close, payload: payload, maskingKey: SecureRandom.bytes(count: 4)))
                }
                channel.closeAfterFlushing(lingerSeconds: configuration.closeTimeout)
                return
            }
            if case .close(_, let reason)? = message { lastPeerCloseReason = reason }
            if let message { perform(machine.receivedMessage(message), on: channel) }
        }
    }

    private func perform(_ action: WebSocketStateMachine.Action, on channel: StreamChannel) {
        switch action {
        case .deliver(let message):
            delegate?.webSocketClient(self, didReceive: message)
        case .sendPong(let payload):
            channel.write(WebSocketFrameEncoder.encode(opcode: .pong, payload: payload, maskingKey: SecureRandom.bytes(count: 4)))
        case .sendClose(let payload):
            channel.write(WebSocketFrameEncoder.encode(opcode: .close, payload: payload, maskingKey: SecureRandom.bytes(count: 4)))
            timer?.cancel()
            timer = loop.schedule(after: configuration.closeTimeout) { [self] in
                guard case .open(let channel) = state else { return }
                finish(.closed(code: closeCode, reason: closeReason, initiatedByPeer: false))
                channel.close()
            }
        case .sendCloseAndCloseTransport(let code, let payload):
            channel.write(WebSocketFrameEncoder.encode(opcode: .close, payload: payload, maskingKey: SecureRandom.bytes(count: 4)))
            // RFC 6455 §7.1.1: the client lets the server close TCP first; a FIN after our Close is enough.
            channel.closeAfterFlushing(lingerSeconds: configuration.closeTimeout)
            finish(.closed(code: machine.peerCloseCode ?? code, reason: lastPeerCloseReason, initiatedByPeer: true))
        case .closeTransport:
            channel.closeAfterFlushing(lingerSeconds: configuration.closeTimeout)
            finish(.closed(code: machine.peerCloseCode ?? closeCode, reason: lastPeerCloseReason.isEmpty ? closeReason : lastPeerCloseReason, initiatedByPeer: false))
        case .ignore, .none:
            break
        }
    }

    private var lastPeerCloseReason = ""

    // MARK: - Ending

    private func fail(_ error: WebSocketClientError) {
        finish(.failed(error))
    }

    /// Reports `error` first, then closes: closing calls back synchronously, and the first report wins.
    private func abort(_ channel: StreamChannel, _ error: WebSocketClientError) {
        fail(error)
        channel.close()
    }

    private func finish(_ result: CloseResult) {
        if case .closed = state { return }
        state = .closed
        timer?.cancel()
        timer = nil
        delegate?.webSocketClient(self, didCloseWith: result)
    }
}

extension WebSocketClient: StreamChannelDelegate {
    public func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        switch state {
        case .handshaking:
            responseParser.append(bytes)
            handleHandshakeBytes(channel, endOfInput: false)
        case .open:
            decoder.append(bytes)
            processFrames(channel)
        default:
            break
        }
    }

    public func channelDidReadEndOfStream(_ channel: StreamChannel) {
        switch state {
        case .handshaking:
            handleHandshakeBytes(channel, endOfInput: true)
        case .open:
            processFrames(channel)
            guard case .open = state else { return }
            if machine.state == .closing {
                finish(.closed(code: closeCode, reason: closeReason, initiatedByPeer: false))
            } else {
                fail(WebSocketClientError(kind: .closedWithoutClose, message: "\(url.authority) closed the connection without a WebSocket Close frame"))
            }
            channel.close()
        default:
            break
        }
    }

    public func channelBecameWritable(_ channel: StreamChannel) {}

    public func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        switch state {
        case .handshaking, .open:
            if let error {
                fail(WebSocketClientError(kind: .transport, message: "connection to \(url.authority) failed: \(error)"))
            } else if machine.state == .closing {
                finish(.closed(code: closeCode, reason: closeReason, initiatedByPeer: false))
            } else {
                fail(WebSocketClientError(kind: .closedWithoutClose, message: "connection to \(url.authority) closed"))
            }
        default:
            break
        }
    }
}
