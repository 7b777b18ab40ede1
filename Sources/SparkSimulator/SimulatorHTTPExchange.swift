import Glibc
import HTTPCodec
import JSON
import RelayCrypto
import RelayIO
import SparkCodec

/// The HTTP API side of one simulator connection: its request parser, the request being read, the
/// answer being sent, and the outcome of the last exchange (what the record says when the client
/// closes the idle connection).
struct SimulatorHTTPState {
    var parser: HTTPRequestParser
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var plan: SimulatorHTTPPlan?
    /// Keep the connection open after the current exchange (HTTP/1.1 default, `Connection: close` ends it).
    var keepAlive = true
    /// How the last finished exchange went.
    var lastOutcome: SimulatorConnectionEnd = .completed
}

/// Spark's HTTP API on the simulator's port (Sources/SparkCodec/README.md §10, the simulator README):
/// `POST /v1/chat/completions` and `/v2/chat/completions`, `Authorization: Bearer <APIPassword>` or
/// `Bearer <APIKey>:<APISecret>`, the body validated by `SparkHTTPRequest`, answers streamed as SSE
/// in chunked transfer coding (or one JSON body for `stream: false`), the prompt directives of the
/// WebSocket side, and HTTP/1.1 keep-alive (pipelined requests are read after the current answer).
extension SimulatorConnection {
    /// A request for the HTTP API: not a WebSocket upgrade, and a `POST` or a path that is some model's `httpPath`.
    func isHTTPAPIRequest(_ head: HTTPRequestHead) -> Bool {
        guard !head.headers.tokens(for: "Upgrade").contains("websocket") else { return false }
        // A POST anywhere is the HTTP API's (an unknown path gets its 404, as Spark's gateway answers).
        return head.method == .post || !configuration.models.models(forHTTPPath: head.path).isEmpty
    }

    /// Switches the connection to the HTTP API and reads `received` (everything read so far) again.
    func startHTTP(received: [UInt8]) {
        record.sparkProtocol = .http
        http = SimulatorHTTPState(parser: HTTPRequestParser(limits: HTTPParserLimits(maxBodyBytes: configuration.maxRequestBytes)))
        phase = .httpReading
        http?.parser.append(received)
        processHTTP()
    }

    /// Bytes read in an HTTP phase: buffered always, parsed only between answers.
    func readHTTP(_ bytes: UnsafeRawBufferPointer) {
        http?.parser.append(bytes)
        if phase == .httpReading { processHTTP() }
    }

    /// Parses buffered requests until one starts an answer or more bytes are needed.
    private func processHTTP() {
        while phase == .httpReading, http != nil {
            let part: HTTPRequestPart?
            do throws(HTTPParserError) {
                part = try http?.parser.next()
            } catch {
                http?.keepAlive = false
                respondHTTP(status: error.status, body: Self.errorBody(message: error.message, type: "invalid_request_error"),
                            outcome: .rejected(error.status.code))
                return
            }
            guard let part else { return }
            switch part {
            case .head(let head):
                http?.head = head
                http?.body = []
                if head.expectsContinue { channel?.write(HTTPResponseEncoder.continueResponse()) }
            case .body(let bytes):
                http?.body.append(contentsOf: bytes)
            case .end:
                guard let head = http?.head else { return }
                let body = http?.body ?? []
                http?.head = nil
                http?.body = []
                handleHTTPRequest(head, body: body)
            }
        }
    }

    /// Checks method, path, credentials, body and model in that order; answers an error or starts the answer.
    private func handleHTTPRequest(_ head: HTTPRequestHead, body: [UInt8]) {
        // The whole request arrived in time (`requestTimeout` bounds head and body together).
        requestTimer?.cancel()
        requestTimer = nil
        record.httpRequests += 1
        record.path = head.path
        http?.keepAlive = head.keepAlive
        let models = configuration.models.models(forHTTPPath: head.path)
        guard !models.isEmpty else {
            respondHTTP(status: .notFound, body: Self.errorBody(message: "Not Found", type: "invalid_request_error"), outcome: .rejected(404))
            return
        }
        guard head.method == .post else {
            respondHTTP(status: .methodNotAllowed, body: Self.errorBody(message: "Method Not Allowed", type: "invalid_request_error"),
                        outcome: .rejected(405))
            return
        }
        guard isAuthorized(head.headers["Authorization"]) else {
            respondHTTP(status: .unauthorized, body: SparkHTTPChunkEncoder.invalidUserBody, outcome: .rejected(401))
            return
        }
        let sid = Self.makeSID()
        record.sid = sid
        let request: SparkHTTPRequest
        do throws(SparkChatRequestDecodingError) {
            request = try SparkHTTPRequest.decode(body)
            guard let model = models.first(where: { $0.domain == request.model }) else {
                throw SparkChatRequestDecodingError(.domainMismatch, field: "model", message: "model \(request.model) is not served at \(head.path)")
            }
            try request.validate(for: model)
        } catch {
            refuseHTTP(code: error.code, message: "\(error.field): \(error.message)", sid: sid)
            return
        }
        let lastUser = request.messages.last(where: { $0.role == .user })?.content ?? ""
        let (directives, prompt) = SimulatorDirectives.parse(lastUser)
        if let malformed = directives.malformed.first {
            refuseHTTP(code: 10005, message: "InvalidParam:(spark-sim) malformed simulator directive \(malformed)", sid: sid)
            return
        }
        let chatRequest = SparkChatRequest(appID: "", domain: request.model, messages: request.messages)
        let webSocketPlan = SimulatorPlan.make(request: chatRequest, prompt: prompt, directives: directives, sid: sid,
                                               chunkDelay: configuration.chunkDelay)
        let plan = SimulatorHTTPPlan.make(from: webSocketPlan, stream: request.stream,
                                          usageInOwnChunk: head.path == SparkModel.reasoningHTTPPath, sid: sid,
                                          created: configuration.now().wholeSeconds)
        record.prompt = prompt
        record.fault = plan.fault
        http?.plan = plan
        stepIndex = 0
        delayElapsed = false
        server.events.requestAccepted()
        phase = .httpStreaming
        if plan.stream {
            let head = HTTPResponseHead(status: .ok, headers: Self.headers(contentType: "text/event-stream; charset=utf-8",
                                                                           date: configuration.now()))
            if let bytes = try? HTTPResponseEncoder.encodeHead(head, framing: .chunked, keepAlive: http?.keepAlive ?? false) {
                channel?.write(bytes)
            }
        }
        httpPump()
    }

    /// `Bearer <APIPassword>` (when configured) or `Bearer <APIKey>:<APISecret>` of a configured app.
    private func isAuthorized(_ authorization: String?) -> Bool {
        guard let authorization else { return false }
        let prefix = "Bearer "
        guard authorization.count > prefix.count,
              authorization.prefix(prefix.count).lowercased() == prefix.lowercased() else { return false }
        let token = Array(authorization.dropFirst(prefix.count).utf8)
        if let password = configuration.apiPassword, !password.isEmpty, ConstantTime.equals(token, Array(password.utf8)) {
            return true
        }
        return configuration.credentials.contains { credentials in
            ConstantTime.equals(token, Array("\(credentials.apiKey):\(credentials.apiSecret)".utf8))
        }
    }

    /// A refused request body: HTTP 400 with `{"code":N,"message":M,"sid":S}`.
    private func refuseHTTP(code: Int, message: String, sid: String) {
        respondHTTP(status: .badRequest, body: SparkHTTPChunkEncoder.errorChunk(code: code, message: message, sid: sid),
                    outcome: .requestError(code: code))
    }

    /// Sends a whole JSON response, then reads on (keep-alive) or closes.
    private func respondHTTP(status: HTTPStatus, body: [UInt8], outcome: SimulatorConnectionEnd) {
        let head = HTTPResponseHead(status: status, headers: Self.headers(contentType: "application/json; charset=utf-8",
                                                                         date: configuration.now()))
        if let bytes = try? HTTPResponseEncoder.encodeHead(head, framing: .contentLength(body.count), keepAlive: http?.keepAlive ?? false) {
            channel?.write(bytes + body)
        }
        server.logger?.debug("spark-sim refused an HTTP request", metadata: ["sim.connection": "\(id)", "http.status": "\(status.code)"])
        finishExchange(outcome)
    }

    /// Plays the answer: pacing, back-pressure, stamps and the ending.
    func httpPump() {
        guard let plan = http?.plan, let channel else { return }
        while phase == .httpStreaming && stepIndex < plan.steps.count {
            if !channel.isWritable { return }  // channelBecameWritable resumes
            let step = plan.steps[stepIndex]
            if step.delay > 0 && !delayElapsed {
                if stepTimer == nil {
                    stepTimer = loop.schedule(after: step.delay) { [weak self] in
                        guard let self else { return }
                        self.stepTimer = nil
                        self.delayElapsed = true
                        self.httpPump()
                    }
                }
                return
            }
            delayElapsed = false
            stepIndex += 1
            if plan.stream {
                let isDone = step.message == SparkHTTPChunkEncoder.doneEvent
                let event = plan.stamp && !isDone ? SimulatorHTTPPlan.stamped(step.message, nanoseconds: Self.realTimeNanoseconds()) : step.message
                if !isDone { record.framesSent += 1 }
                channel.write(HTTPResponseEncoder.encodeChunk(event))
            } else {
                record.framesSent += 1
                let head = HTTPResponseHead(status: .ok, headers: Self.headers(contentType: "application/json; charset=utf-8",
                                                                               date: configuration.now()))
                if let bytes = try? HTTPResponseEncoder.encodeHead(head, framing: .contentLength(step.message.count),
                                                                   keepAlive: http?.keepAlive ?? false) {
                    channel.write(bytes + step.message)
                }
            }
        }
        guard phase == .httpStreaming, stepIndex == plan.steps.count else { return }
        switch plan.ending {
        case .complete(let outcome):
            if plan.stream { channel.write(HTTPResponseEncoder.lastChunk) }
            finishExchange(outcome)
        case .drop:
            end(.faultInjected(.drop))
            stopAndClose(lingerSeconds: 0)
        case .stall:
            phase = .httpStalled
        }
    }

    /// The exchange is over: record its outcome, then close (`Connection: close`) or wait for the next
    /// request (and parse any already buffered one).
    private func finishExchange(_ outcome: SimulatorConnectionEnd) {
        http?.plan = nil
        http?.lastOutcome = outcome
        stepIndex = 0
        delayElapsed = false
        stepTimer?.cancel()
        stepTimer = nil
        guard http?.keepAlive == true else {
            end(outcome)
            stopAndClose(lingerSeconds: 2)
            return
        }
        phase = .httpReading
        requestTimer?.cancel()
        requestTimer = loop.schedule(after: configuration.requestTimeout) { [weak self] in self?.httpIdleTimedOutFromTimer() }
        processHTTP()
    }

    private func httpIdleTimedOutFromTimer() {
        requestTimer = nil
        guard phase == .httpReading else { return }
        httpIdleTimedOut()
    }

    /// No (complete) request within `requestTimeout`: close; the record keeps the last exchange's
    /// outcome when the connection was idle, else `.timedOut`.
    func httpIdleTimedOut() {
        let idle = http?.head == nil && (http?.parser.bufferedByteCount ?? 0) == 0 && record.httpRequests > 0
        end(idle ? http?.lastOutcome ?? .completed : .timedOut)
        channel?.close()
    }

    /// How the record ends when the client closes: mid-answer (or mid-request) `.clientClosed`,
    /// between requests the last exchange's outcome.
    func httpEndOnClientClose() -> SimulatorConnectionEnd {
        let idle = phase == .httpReading && http?.head == nil && record.httpRequests > 0
        return idle ? http?.lastOutcome ?? .completed : .clientClosed(code: nil, closeFrameReceived: false)
    }

    // MARK: - Pieces

    /// `{"error":{"message":M,"type":T,"param":null,"code":null}}`.
    static func errorBody(message: String, type: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + message.utf8.count)
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("message")
        writer.string(message)
        writer.key("type")
        writer.string(type)
        writer.key("param")
        writer.null()
        writer.key("code")
        writer.null()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func headers(contentType: String, date: UnixTime) -> HTTPHeaders {
        ["Date": HTTPDate.format(date), "Content-Type": contentType, "Server": "spark-sim"]
    }

    static func realTimeNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
