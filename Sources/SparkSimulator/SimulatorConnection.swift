import Glibc
import HTTPCodec
import JSON
import Logging
import RelayCrypto
import RelayIO
import SparkCodec
import WebSocketCodec

/// One accepted socket of the simulator, confined to its event loop: optional TLS handshake, the upgrade
/// request (404 / 401 / 403 / 400 / 426, or 101), exactly one request message, then the scripted answer
/// with its faults, and the close. A first request that is not an upgrade but `POST` to an HTTP API
/// path turns the connection into an HTTP API connection instead (`SimulatorHTTPExchange.swift`).
/// Kept alive by the server's registry until its socket is closed.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (`start` and `shutdown` check preconditionInEventLoop; channel, handshake and timer callbacks run there)
final class SimulatorConnection: StreamChannelDelegate, @unchecked Sendable {
    enum Phase {
        case tlsHandshake, upgrading, awaitingRequest, streaming, stalled, closing, closed
        /// HTTP API: reading a request (or idle between keep-alive requests).
        case httpReading
        /// HTTP API: sending an answer.
        case httpStreaming
        /// HTTP API: `[[stall@N]]` went silent mid-answer.
        case httpStalled
    }

    /// Largest upgrade request head accepted (request line 8 KiB + headers 16 KiB, the HTTP codec's defaults).
    static let maxHeadBytes = 8192 + 16384

    let id: Int
    let loop: EventLoop
    let server: SimulatorServer
    var configuration: SimulatorConfiguration { server.configuration }
    var phase = Phase.upgrading
    var channel: StreamChannel?
    private var tlsHandshake: TLSHandshake?
    private var headBuffer: [UInt8] = []
    private var model: SparkModel?
    private var credentials: SparkCredentials?
    private var frameDecoder: WebSocketFrameDecoder
    private var assembler: WebSocketMessageAssembler
    var webSocket = WebSocketStateMachine()
    var requestTimer: LoopTimer?
    var stepTimer: LoopTimer?
    var delayElapsed = false
    var plan: SimulatorPlan?
    var stepIndex = 0
    var pingCounter = 0
    var record: SimulatorConnectionRecord
    /// The HTTP API state once the connection speaks it.
    var http: SimulatorHTTPState?
    private var ended = false
    private var released = false

    init(id: Int, loop: EventLoop, server: SimulatorServer) {
        self.id = id
        self.loop = loop
        self.server = server
        let limit = max(125, server.configuration.maxRequestBytes)
        self.frameDecoder = WebSocketFrameDecoder(role: .server, maxFrameSize: limit)
        self.assembler = WebSocketMessageAssembler(maxMessageSize: limit)
        let now = ContinuousClock.now
        self.record = SimulatorConnectionRecord(id: id, path: nil, sid: nil, prompt: nil, fault: nil, end: .completed,
                                                framesSent: 0, pongsReceived: 0, startedAt: now, endedAt: now)
    }

    /// Starts on the loop: TLS first when `tls` is set, then the HTTP upgrade.
    func start(socket: Socket, tls: TLSContext?) {
        loop.preconditionInEventLoop()
        requestTimer = loop.schedule(after: configuration.requestTimeout) { [weak self] in self?.requestTimedOut() }
        guard let tls else {
            startChannel(TCPTransport(socket: socket))
            return
        }
        phase = .tlsHandshake
        do throws(TransportError) {
            let handshake = try TLSHandshake(socket: socket, context: tls, serverName: nil, loop: loop)
            tlsHandshake = handshake
            handshake.start(timeout: configuration.tlsHandshakeTimeout) { [self] result in
                tlsHandshake = nil
                switch result {
                case .success(let transport):
                    guard phase == .tlsHandshake else { return }
                    record.tlsResumed = transport.sessionReused
                    phase = .upgrading
                    startChannel(transport)
                case .failure(let error):
                    server.logger?.debug("spark-sim TLS handshake failed", metadata: ["sim.connection": "\(id)", "error": "\(error)"])
                    end(.tlsFailed)
                    released(socketClosedBy: "handshake")
                }
            }
        } catch {
            socket.close()
            end(.tlsFailed)
            released(socketClosedBy: "handshake")
        }
    }

    /// Closes the connection because the server stops; on the loop.
    func shutdown() {
        loop.preconditionInEventLoop()
        end(.serverStopped)
        if let tlsHandshake {
            tlsHandshake.cancel()
        } else {
            channel?.close()
        }
    }

    private func startChannel(_ transport: any Transport) {
        let channel = StreamChannel(transport: transport, loop: loop)
        self.channel = channel
        channel.delegate = self
        channel.start()
    }

    // MARK: - StreamChannelDelegate

    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .upgrading:
            readUpgrade(bytes)
        case .awaitingRequest, .streaming, .stalled:
            frameDecoder.append(bytes)
            readFrames()
        case .httpReading, .httpStreaming, .httpStalled:
            readHTTP(bytes)
        case .tlsHandshake, .closing, .closed:
            break
        }
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        webSocket.transportClosed()
        end(http != nil ? httpEndOnClientClose() : .clientClosed(code: nil, closeFrameReceived: false))
        channel.close()
    }

    func channelBecameWritable(_ channel: StreamChannel) {
        if phase == .streaming { pump() }
        if phase == .httpStreaming { httpPump() }
    }

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        if let error, !error.isDisconnect {
            end(.transportError(error.description))
        } else {
            end(http != nil ? httpEndOnClientClose() : .clientClosed(code: nil, closeFrameReceived: false))
        }
        released(socketClosedBy: "channel")
    }

    // MARK: - Upgrade

    /// The first byte of a TLS handshake record (a ClientHello), which no HTTP request starts with.
    static let tlsHandshakeRecord: UInt8 = 0x16

    private func readUpgrade(_ bytes: UnsafeRawBufferPointer) {
        if headBuffer.isEmpty, bytes.first == Self.tlsHandshakeRecord {
            // A TLS client on this plain port would otherwise wait for a head that never ends.
            reject(status: .badRequest, message: "TLS arrived on a plain ws:// port: connect with ws://, or start spark-sim with --tls-cert and --tls-key")
            return
        }
        let searchFrom = max(0, headBuffer.count - 3)
        headBuffer.append(contentsOf: bytes)
        guard let end = Self.endOfHead(headBuffer, from: searchFrom) else {
            if headBuffer.count > Self.maxHeadBytes {
                reject(status: .requestHeaderFieldsTooLarge, message: "Request Header Fields Too Large")
            }
            return
        }
        let received = headBuffer
        let leftover = Array(headBuffer[end...])
        var parser = HTTPRequestParser()
        parser.append(headBuffer[..<end])
        headBuffer = []
        let head: HTTPRequestHead
        do throws(HTTPParserError) {
            guard case .head(let parsed)? = try parser.next() else {
                reject(status: .badRequest, message: "Bad Request")
                return
            }
            head = parsed
        } catch {
            reject(status: error.status, message: error.status.reasonPhrase)
            return
        }
        if isHTTPAPIRequest(head) {
            startHTTP(received: received)
            return
        }
        guard handleUpgrade(head) else { return }
        if !leftover.isEmpty {
            frameDecoder.append(leftover)
            readFrames()
        }
    }

    /// Index just past the first CRLFCRLF at or after `start`.
    private static func endOfHead(_ bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x0D, bytes[index + 3] == 0x0A {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    /// Checks path, signature and upgrade headers in the gateway's order; answers 101 or the error. `true`
    /// when the WebSocket is open.
    private func handleUpgrade(_ head: HTTPRequestHead) -> Bool {
        record.path = head.path
        if head.headers.contains("Transfer-Encoding") || (head.headers["Content-Length"].flatMap(Int.init) ?? 0) > 0 {
            reject(status: .badRequest, message: "Bad Request")
            return false
        }
        guard let model = configuration.models.model(forPath: head.path) else {
            reject(status: .notFound, message: "Not Found")
            return false
        }
        let result = server.verifier.authenticate(path: head.path, query: head.query, hostHeader: head.headers["Host"],
                                                  now: configuration.now())
        switch result {
        case .failure(let failure):
            reject(status: HTTPStatus(code: failure.httpStatus), body: failure.jsonBody, contentType: SparkAuthFailure.contentType)
            return false
        case .success(let credentials):
            self.credentials = credentials
        }
        let headerList = head.headers.map { ($0.name, $0.value) }
        switch WebSocketHandshake.validateClientRequest(method: head.method.rawValue, version: head.version.description, headers: headerList) {
        case .failure(let error):
            channel?.write(WebSocketHandshake.errorResponse(for: error))
            end(.rejected(error.httpStatus ?? 400))
            channel?.closeAfterFlushing()
            return false
        case .success(let accept):
            self.model = model
            channel?.write(WebSocketHandshake.serverResponse(
                accept: accept, extraHeaders: [("Date", HTTPDate.format(configuration.now())), ("Server", "spark-sim")]))
            phase = .awaitingRequest
            requestTimer?.cancel()
            requestTimer = loop.schedule(after: configuration.requestTimeout) { [weak self] in self?.requestTimedOut() }
            return true
        }
    }

    private func reject(status: HTTPStatus, message: String) {
        var writer = JSONWriter(capacity: 32 + message.utf8.count)
        writer.beginObject()
        writer.key("message")
        writer.string(message)
        writer.endObject()
        reject(status: status, body: String(decoding: writer.bytes, as: UTF8.self), contentType: "application/json; charset=utf-8")
    }

    /// Answers an HTTP error with a JSON body and the simulator's `Date`, then closes after flushing.
    private func reject(status: HTTPStatus, body: String, contentType: String) {
        let headers: HTTPHeaders = [
            "Date": HTTPDate.format(configuration.now()),
            "Content-Type": contentType,
            "Server": "spark-sim",
        ]
        let bodyBytes = Array(body.utf8)
        if let head = try? HTTPResponseEncoder.encodeHead(HTTPResponseHead(status: status, headers: headers),
                                                          framing: .contentLength(bodyBytes.count), keepAlive: false) {
            channel?.write(head + bodyBytes)
        }
        server.logger?.debug("spark-sim refused an upgrade", metadata: ["sim.connection": "\(id)", "http.status": "\(status.code)"])
        end(.rejected(status.code))
        phase = .closing
        channel?.closeAfterFlushing()
    }

    // MARK: - WebSocket

    private func readFrames() {
        while phase == .awaitingRequest || phase == .streaming || phase == .stalled {
            let message: WebSocketMessage
            do throws(WebSocketProtocolError) {
                guard let frame = try frameDecoder.next() else { return }
                guard let assembled = try assembler.receive(frame) else { continue }
                message = assembled
            } catch {
                let action = webSocket.protocolError(error)
                if case .sendCloseAndCloseTransport(_, let payload) = action {
                    send(opcode: .close, payload)
                }
                end(.protocolError(closeCode: error.closeCode.rawValue))
                stopAndClose(lingerSeconds: 2)
                return
            }
            handle(webSocket.receivedMessage(message))
        }
    }

    private func handle(_ action: WebSocketStateMachine.Action) {
        switch action {
        case .deliver(.text(let text)):
            handleRequest(Array(text.utf8))
        case .deliver(.binary):
            refuseRequest(code: 10003, message: "binary messages are not accepted; send the request as text")
        case .deliver(.pong):
            record.pongsReceived += 1
            server.events.pongReceived()
        case .deliver:
            break
        case .sendPong(let payload):
            send(opcode: .pong, payload)
        case .sendCloseAndCloseTransport(let code, let payload):
            send(opcode: .close, payload)
            end(.clientClosed(code: code?.rawValue, closeFrameReceived: true))
            stopAndClose(lingerSeconds: 2)
        case .sendClose(let payload):
            send(opcode: .close, payload)
        case .closeTransport:
            stopAndClose(lingerSeconds: 0)
        case .ignore, .none:
            break
        }
    }

    private func handleRequest(_ json: [UInt8]) {
        guard phase == .awaitingRequest, let model, let credentials else {
            // Spark answers one question per connection (Sources/SparkCodec/README.md §2, error 10007).
            refuseRequest(code: 10007, message: "SessionBusy:(spark-sim) still answering the previous question on this connection")
            return
        }
        requestTimer?.cancel()
        requestTimer = nil
        let request: SparkChatRequest
        do throws(SparkChatRequestDecodingError) {
            request = try SparkChatRequest.decode(json: json, for: model)
        } catch {
            refuseRequest(code: error.code, message: error.message)
            return
        }
        guard request.appID == credentials.appID else {
            refuseRequest(code: 11200, message: "AppIdNoAuthError:(spark-sim) app_id does not belong to the signing API key")
            return
        }
        let lastUser = request.messages.last(where: { $0.role == .user })?.content ?? ""
        let (directives, prompt) = SimulatorDirectives.parse(lastUser)
        if let malformed = directives.malformed.first {
            refuseRequest(code: 10005, message: "InvalidParam:(spark-sim) malformed simulator directive \(malformed)")
            return
        }
        let sid = Self.makeSID()
        let plan = SimulatorPlan.make(request: request, prompt: prompt, directives: directives, sid: sid,
                                      chunkDelay: configuration.chunkDelay)
        record.sid = sid
        record.prompt = prompt
        record.fault = plan.fault
        self.plan = plan
        server.events.requestAccepted()
        phase = .streaming
        pump()
    }

    /// Sends one error frame for the request (a new sid when none was issued yet), then Close 1000.
    private func refuseRequest(code: Int, message: String) {
        requestTimer?.cancel()
        requestTimer = nil
        let sid = record.sid ?? Self.makeSID()
        record.sid = sid
        stepTimer?.cancel()
        stepTimer = nil
        sendMessage(SparkFrameEncoder.errorFrame(code: code, message: message, sid: sid), stamp: plan?.stamp ?? false)
        finishWithClose(.requestError(code: code))
    }

    /// `cht000sim@dx` + 16 hex digits, unique per request.
    static func makeSID() -> String {
        "cht000sim@dx" + SecureRandom.hex(byteCount: 8)
    }

    /// One unfragmented frame.
    func send(opcode: WebSocketOpcode, _ payload: [UInt8]) {
        channel?.write(WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, maskingKey: nil))
    }

    // MARK: - Ending

    private func requestTimedOut() {
        requestTimer = nil
        switch phase {
        case .tlsHandshake:
            end(.timedOut)
            tlsHandshake?.cancel()
        case .upgrading:
            end(.timedOut)
            channel?.close()
        case .httpReading:
            httpIdleTimedOut()
        case .awaitingRequest:
            // Spark closes a connection that sends nothing within 60 s (Sources/SparkCodec/README.md §2).
            if case .sendClose(let payload) = webSocket.sendClose(code: .normalClosure, reason: "no request received in time") {
                send(opcode: .close, payload)
            }
            end(.timedOut)
            stopAndClose(lingerSeconds: 2)
        default:
            break
        }
    }

    func stopAndClose(lingerSeconds: Double) {
        cancelTimers()
        phase = .closing
        channel?.closeAfterFlushing(lingerSeconds: lingerSeconds)
    }

    func cancelTimers() {
        requestTimer?.cancel()
        requestTimer = nil
        stepTimer?.cancel()
        stepTimer = nil
    }

    /// Records how the connection ended (first call wins) and stops all sending.
    func end(_ end: SimulatorConnectionEnd) {
        guard !ended else { return }
        ended = true
        cancelTimers()
        switch phase {
        case .streaming, .stalled, .awaitingRequest, .upgrading, .httpReading, .httpStreaming, .httpStalled:
            phase = .closing
        case .tlsHandshake, .closing, .closed:
            break
        }
        record.end = end
        record.endedAt = ContinuousClock.now
        server.events.finished(record)
    }

    private func released(socketClosedBy: String) {
        guard !released else { return }
        released = true
        phase = .closed
        cancelTimers()
        server.connectionReleased(self)
    }
}
