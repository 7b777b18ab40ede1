import Dispatch
import Glibc
import HTTPCodec
import SparkCodec
import Logging
import RelayIO
import Tracing

/// One client socket: feeds bytes to the request parser, routes complete requests, writes responses
/// in order (keep-alive and pipelining), and enforces the header, body and idle timeouts.
/// Confined to its event loop.
// @unchecked: confined to its channel's loop; handlers and writers reach it only through that loop.
final class HTTPConnection: @unchecked Sendable {
    private enum State {
        /// Between requests, nothing buffered yet.
        case idle
        /// Reading a request head.
        case readingHead
        /// Reading the body of a routed request.
        case readingBody(head: HTTPRequestHead, handler: RouteHandler, parameters: [String: String])

        /// A handler owns the response.
        case responding(ResponseWriter)
        /// Closing or closed.
        case closing
    }

    private let channel: StreamChannel
    private let context: ServerContext
    private let remoteAddress: SocketAddress?
    private let connectionID: String
    private var parser: HTTPRequestParser
    private var state = State.idle
    private var timer: LoopTimer?
    private var body: [UInt8] = []
    private var processing = false
    private var draining = false
    private var peerFinished = false
    private var requestCount = 0

    // Per request, for the access log and framing.
    private var currentHead: HTTPRequestHead?
    private var requestStart: UInt64 = 0
    private var responseStatus = 0
    private var responseBodyBytes = 0
    private var keepAliveAfterResponse = true
    /// The matched route pattern, for metrics (bounded label values).
    private var currentRoute = "unmatched"
    /// The request path as the access log shows it: capabilities in it cut short.
    private var loggedPath = "-"
    /// The client the current request is for (`server.trusted_proxies`).
    private var currentClient = "-"
    private var streamFraming: HTTPBodyFraming = .none
    /// The current request's span (tracing on).
    private var serverSpan: ServerSpan?
    /// Whether the current request's route matched (the span and the metrics name it then).
    private var routeMatched = false

    init(socket: Socket, remoteAddress: SocketAddress?, loop: EventLoop, context: ServerContext, connectionID: String) {
        self.channel = StreamChannel(transport: TCPTransport(socket: socket), loop: loop,
                                     highWatermark: context.configuration.http.writeBufferBytes)
        self.context = context
        self.remoteAddress = remoteAddress
        self.connectionID = connectionID
        self.parser = HTTPRequestParser(limits: context.parserLimits)
    }

    private var loop: EventLoop { channel.loop }
    private var http: RelayConfiguration.HTTP { context.configuration.http }

    func start() {
        channel.delegate = self
        context.register(self, on: loop)
        channel.start()
        // A new connection must send its first request head within the header timeout.
        armTimer(http.headerReadTimeout) { $0.headerTimedOut() }
    }

    /// Finish the current response (if any), then close; idle connections close now.
    func beginDrain() {
        draining = true
        switch state {
        case .idle:
            closeNow()
        case .readingHead where parser.bufferedByteCount == 0:
            closeNow()
        default:
            break
        }
    }

    func closeNow() {
        channel.close()
    }

    // MARK: - Input

    private func processInput() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while true {
            switch state {
            case .idle, .readingHead, .readingBody:
                break
            case .responding:
                if parser.bufferedByteCount > http.maxPipelinedBytes { channel.pauseReading() }
                return
            case .closing:
                return
            }
            let part: HTTPRequestPart?
            do {
                part = try parser.next()
            } catch {
                rejectRequest(APIError(parserError: error))
                return
            }
            guard let part else {
                if peerFinished { handlePeerFinishedWhileReading() }
                return
            }
            switch part {
            case .head(let head):
                beginRequest(head)
            case .body(let bytes):
                body.append(contentsOf: bytes)
            case .end:
                guard case .readingBody(let head, let handler, let parameters) = state else { continue }
                dispatch(head: head, handler: handler, parameters: parameters)
            }
        }
    }

    private func beginRequest(_ head: HTTPRequestHead) {
        requestCount += 1
        currentHead = head
        requestStart = DispatchTime.now().uptimeNanoseconds
        responseStatus = 0
        responseBodyBytes = 0
        body = []
        keepAliveAfterResponse = head.keepAlive && !draining
        currentRoute = "unmatched"
        loggedPath = head.path
        currentClient = context.clientAddress(peer: remoteAddress, headers: head.headers)
        routeMatched = false
        if let tracer = context.tracer { serverSpan = ServerSpan(tracer: tracer, head: head, client: currentClient) }
        if let cors = context.cors, CORSPolicy.isPreflight(head), let origin = head.headers["Origin"] {
            answerWithoutBody(head, cors.preflightResponse(origin: origin))
            return
        }
        switch context.router.match(method: head.method, path: head.path) {
        case .found(let handler, let parameters, let route):
            currentRoute = route
            routeMatched = true
            loggedPath = CapabilityRedaction.path(head.path, parameters: parameters)
            state = .readingBody(head: head, handler: handler, parameters: parameters)
            if head.expectsContinue { channel.write(HTTPResponseEncoder.continueResponse()) }
            armTimer(http.bodyReadTimeout) { $0.bodyTimedOut() }
        case .notFound:
            answerWithoutBody(head, APIError.notFound(head.path))
        case .methodNotAllowed(let allowed):
            answerWithoutBody(head, APIError.methodNotAllowed(head.method, allowed: allowed))
        }
    }

    /// Answers before reading the body. A body that was announced but not read leaves the stream
    /// unusable, so such connections close after the response.
    private func answerWithoutBody(_ head: HTTPRequestHead, _ error: APIError) {
        answerWithoutBody(head, error.response)
    }

    private func answerWithoutBody(_ head: HTTPRequestHead, _ response: HTTPResponse) {
        if Self.announcesBody(head) { keepAliveAfterResponse = false }
        cancelTimer()
        let writer = ResponseWriter(loop: loop, isHEAD: head.method == .head, sink: self)
        state = .responding(writer)
        writer.respond(response)
    }

    private static func announcesBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains("Transfer-Encoding") { return true }
        if let length = head.headers["Content-Length"], length != "0" { return true }
        return false
    }

    private func dispatch(head: HTTPRequestHead, handler: RouteHandler, parameters: [String: String]) {
        cancelTimer()
        let writer = ResponseWriter(loop: loop, isHEAD: head.method == .head, sink: self)
        state = .responding(writer)
        var request = HTTPRequest(head: head, body: body, pathParameters: parameters,
                                  remoteAddress: remoteAddress, requestID: "\(connectionID)-\(requestCount)")
        request.clientAddress = currentClient
        request.span = serverSpan?.span
        body = []
        handler(request, writer)
    }

    /// A malformed request: answer with the error and close (the stream cannot be trusted any more).
    private func rejectRequest(_ error: APIError) {
        cancelTimer()
        keepAliveAfterResponse = false
        if currentHead == nil || !(stateIsReadingBody) {
            requestStart = DispatchTime.now().uptimeNanoseconds
        }
        let writer = ResponseWriter(loop: loop, isHEAD: false, sink: self)
        state = .responding(writer)
        writer.respond(error)
    }

    private var stateIsReadingBody: Bool {
        if case .readingBody = state { return true }
        return false
    }

    private func handlePeerFinishedWhileReading() {
        switch state {
        case .idle:
            closeNow()
        case .readingHead where parser.bufferedByteCount == 0:
            closeNow()
        case .readingHead, .readingBody:
            // The client closed in the middle of a request: nobody is left to answer.
            closeNow()
        case .responding, .closing:
            break
        }
    }

    // MARK: - Timers

    private func armTimer(_ seconds: Double, _ action: @escaping @Sendable (HTTPConnection) -> Void) {
        timer?.cancel()
        timer = loop.schedule(after: seconds) { [weak self] in
            guard let self else { return }
            self.timer = nil
            action(self)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func headerTimedOut() {
        switch state {
        case .idle:
            closeNow()
        case .readingHead:
            if parser.bufferedByteCount == 0 && currentHead == nil && requestCount == 0 {
                // Connected but never sent a byte.
                rejectRequest(.requestTimeout)
            } else if parser.bufferedByteCount == 0 {
                closeNow()
            } else {
                rejectRequest(.requestTimeout)
            }
        default:
            break
        }
    }

    private func bodyTimedOut() {
        if case .readingBody = state { rejectRequest(.requestTimeout) }
    }

    private func idleTimedOut() {
        if case .idle = state { closeNow() }
    }

    // MARK: - Output

    private func finishResponse() {
        logAccess()
        currentHead = nil
        guard !channel.isClosed else {
            // A write of this response found the peer gone: nobody can read what follows, so
            // nothing buffered behind it is dispatched.
            state = .closing
            return
        }
        guard keepAliveAfterResponse, !draining, !peerFinished || parser.bufferedByteCount > 0 else {
            state = .closing
            channel.closeAfterFlushing(lingerSeconds: http.lingerTimeout)
            return
        }
        state = .idle
        channel.resumeReading()
        if parser.bufferedByteCount > 0 {
            state = .readingHead
            armTimer(http.headerReadTimeout) { $0.headerTimedOut() }
        } else {
            armTimer(http.idleTimeout) { $0.idleTimedOut() }
        }
        processInput()
    }

    private func writeHead(status: HTTPStatus, headers: HTTPHeaders, framing: HTTPBodyFraming) -> Bool {
        var headers = headers
        if !headers.contains("Server") { headers.add(name: "Server", value: "spark-relay") }
        if !headers.contains("Date") { headers.add(name: "Date", value: HTTPDateCache.now()) }
        if let cors = context.cors, let origin = currentHead?.headers["Origin"] { cors.apply(to: &headers, origin: origin) }
        // A drain that began after the request was read still says so: the connection closes after this.
        let keepAlive = keepAliveAfterResponse && framing != .closeDelimited && !draining && !context.isDraining(loop)
        keepAliveAfterResponse = keepAlive
        do {
            let bytes = try HTTPResponseEncoder.encodeHead(
                HTTPResponseHead(status: status, version: .http1_1, headers: headers),
                framing: framing, keepAlive: keepAlive, requestVersion: currentHead?.version)
            responseStatus = status.code
            context.metrics?.requestHeadWritten(route: currentRoute, nanoseconds: DispatchTime.now().uptimeNanoseconds - requestStart)
            channel.write(bytes)
            return true
        } catch {
            context.logger.error("response head rejected by the encoder", metadata: ["connection.id": "\(connectionID)", "error": "\(error)"])
            let fallback = APIError(status: .internalServerError, type: "server_error", code: "invalid_response_header",
                                    message: "the server produced an invalid response header")
            keepAliveAfterResponse = false
            if let bytes = try? HTTPResponseEncoder.encodeHead(
                HTTPResponseHead(status: fallback.status, version: .http1_1, headers: ["Content-Type": "application/json"]),
                framing: .contentLength(fallback.body.count), keepAlive: false) {
                responseStatus = fallback.status.code
                channel.write(bytes)
                channel.write(fallback.body)
                responseBodyBytes = fallback.body.count
            }
            return false
        }
    }

    private func logAccess() {
        var keyName: String?
        var upstreamProtocol: SparkProtocol?
        if case .responding(let writer) = state {
            keyName = writer.keyName
            upstreamProtocol = writer.upstreamProtocol
        }
        context.metrics?.request(route: currentRoute, method: currentHead?.method.rawValue ?? "-", status: responseStatus, key: keyName)
        let traceID = serverSpan?.traceID
        endServerSpan(keyName: keyName, clientGone: false)
        // The line is made only when it will be written (access lines are `info`).
        guard context.configuration.log.accessLog, context.logger.logLevel <= .info else { return }
        let head = currentHead
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - requestStart) / 1_000_000
        var metadata: Logger.Metadata = [
            "connection.id": "\(connectionID)",
            "request.id": "\(connectionID)-\(requestCount)",
            "client": "\(currentHead == nil ? remoteAddress?.host ?? "-" : currentClient)",
            "method": "\(head?.method.rawValue ?? "-")",
            "path": "\(head == nil ? "-" : loggedPath)",
            "status": "\(responseStatus)",
            "bytes": "\(responseBodyBytes)",
            "duration_ms": "\(FixedPoint.format(elapsed, decimals: 2))",
        ]
        if let keyName { metadata["key"] = "\(keyName)" }
        if let upstreamProtocol { metadata["protocol"] = "\(upstreamProtocol.rawValue)" }
        if let traceID { metadata["trace_id"] = "\(traceID)" }
        context.logger.info("access", metadata: metadata)
    }

    /// Ends the current request's span, if it has one.
    private func endServerSpan(keyName: String?, clientGone: Bool) {
        guard let span = serverSpan else { return }
        serverSpan = nil
        span.end(route: routeMatched ? currentRoute : nil, path: currentHead == nil ? "-" : loggedPath, status: responseStatus,
                 bodyBytes: responseBodyBytes, keyName: keyName, clientGone: clientGone)
    }

    /// The client left before the response was complete: the span ends with what was written.
    private func endServerSpanClientGone() {
        guard serverSpan != nil else { return }
        var keyName: String?
        if case .responding(let writer) = state { keyName = writer.keyName }
        endServerSpan(keyName: keyName, clientGone: true)
    }
}

extension HTTPConnection: ResponseSink {
    /// `true` when `writer` owns the response now. A writer whose connection closed under it is
    /// told that its client is gone instead of writing into nothing.
    private func isCurrent(_ writer: ResponseWriter) -> Bool {
        if case .responding(let current) = state, current === writer { return true }
        if case .closing = state { writer.notifyClientGone() }
        return false
    }

    func writer(_ writer: ResponseWriter, respond response: HTTPResponse) {
        guard isCurrent(writer) else { return }
        let status = response.status.code
        let bodyless = writer.isHEAD || status == 204 || status == 304 || (100..<200).contains(status)
        let framing: HTTPBodyFraming = (status == 204 || status == 304) ? .none : .contentLength(response.body.count)
        if writeHead(status: response.status, headers: response.headers, framing: framing) {
            if !bodyless {
                channel.write(response.body)
                responseBodyBytes = response.body.count
            }
        }
        finishResponse()
    }

    func writer(_ writer: ResponseWriter, startStreamWith status: HTTPStatus, headers: HTTPHeaders) {
        guard isCurrent(writer) else { return }
        let isHTTP10 = currentHead?.version == .http1_0
        streamFraming = isHTTP10 ? .closeDelimited : .chunked
        if !writeHead(status: status, headers: headers, framing: streamFraming) {
            streamFraming = .none
            // The fallback 500 is written and the connection closes after it; only then is the
            // stream told to stop (its writer can no longer close the connection early).
            finishResponse()
            writer.notifyClientGone()
        }
    }

    func writer(_ writer: ResponseWriter, writeChunk bytes: [UInt8]) {
        guard isCurrent(writer), !writer.isHEAD else { return }
        responseBodyBytes += bytes.count
        switch streamFraming {
        case .chunked: channel.write(HTTPResponseEncoder.encodeChunk(bytes))
        case .closeDelimited: channel.write(bytes)
        default: break
        }
    }

    func writer(_ writer: ResponseWriter, writeFramed chunk: FramedChunk) {
        guard isCurrent(writer), !writer.isHEAD else { return }
        responseBodyBytes += chunk.body.count
        switch streamFraming {
        case .chunked: channel.write(chunk.bytes)
        case .closeDelimited: channel.write(Array(chunk.bytes[chunk.body]))
        default: break
        }
    }

    var writerIsChunked: Bool {
        guard case .responding(let current) = state, !current.isHEAD else { return false }
        return streamFraming == .chunked
    }

    func writerFinishStream(_ writer: ResponseWriter) {
        guard isCurrent(writer) else { return }
        if streamFraming == .chunked && !writer.isHEAD { channel.write(HTTPResponseEncoder.lastChunk) }
        streamFraming = .none
        finishResponse()
    }

    var writerIsWritable: Bool { channel.isWritable }

    func writerAbandon(_ writer: ResponseWriter) {
        guard isCurrent(writer) else { return }
        // The client left and nothing more will be written: no response is owed, close now.
        endServerSpanClientGone()
        currentHead = nil
        state = .closing
        closeNow()
    }
}

extension HTTPConnection: StreamChannelDelegate {
    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
        if case .idle = state {
            state = .readingHead
            armTimer(http.headerReadTimeout) { $0.headerTimedOut() }
        }
        parser.append(bytes)
        processInput()
    }

    func channelDidReadEndOfStream(_ channel: StreamChannel) {
        peerFinished = true
        do {
            try parser.endOfInput()
        } catch {
            // Truncated request: the client is gone, nobody to answer.
        }
        switch state {
        case .responding(let writer):
            // Most clients that half-close mid-response have gone away: let streams cancel, and
            // close a stream's socket now (nothing more will be read from it, and keeping it would
            // leave it in CLOSE-WAIT). A pending fixed response is still written, then closed.
            let streaming = writer.isStreaming
            writer.notifyClientGone()
            if streaming { closeNow() }
        default:
            processInput()
            handlePeerFinishedWhileReading()
        }
    }

    func channelBecameWritable(_ channel: StreamChannel) {
        if case .responding(let writer) = state { writer.notifyWritable() }
    }

    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
        cancelTimer()
        endServerSpanClientGone()
        if case .responding(let writer) = state { writer.notifyClientGone() }
        state = .closing
        context.unregister(self, on: loop)
    }
}
