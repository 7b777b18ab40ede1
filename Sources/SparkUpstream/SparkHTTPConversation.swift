import Dispatch
import HTTPClient
import HTTPCodec
import RelayIO
import SparkCodec

/// One Spark conversation over the OpenAI-style HTTP API, on an event loop: `POST`s the request
/// (`Authorization: Bearer …`) on a pooled keep-alive connection, decodes the streamed SSE chunks
/// into `SparkResponseFrame`s in the WebSocket's shape, and enforces the first-frame and idle
/// timeouts. A non-2xx answer or a JSON error body is read (bounded) and diagnosed. `cancel()`
/// aborts the request at once (the connection is closed, not pooled). After the last frame the
/// rest of the body (`data: [DONE]`) is read quietly so the connection can be reused.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (the public methods check preconditionInEventLoop; client and timer callbacks run there)
public final class SparkHTTPConversation: UpstreamConversation, @unchecked Sendable {
    /// Largest error body read to diagnose a failure.
    static let maxErrorBodyBytes = 64 * 1024

    public let loop: EventLoop
    public weak var delegate: (any UpstreamConversationDelegate)?
    private let client: HTTPClient
    private let base: SparkHTTPBase
    private let model: SparkModel
    private let body: [UInt8]
    private let bearer: String
    /// More request header fields (trace propagation).
    private let extraHeaders: [(String, String)]
    private let configuration: SparkUpstreamConfiguration
    private var task: HTTPClientTask?
    private var decoder: SparkHTTPStreamDecoder
    private var timer: LoopDeadlineTimer?
    private var timerPhase = SparkUpstreamError.Phase.firstFrame
    private var timerSeconds: Double = 0
    private var startedAt: UInt64 = 0
    /// The status when the answer is not a stream: its body is collected for the diagnosis.
    private var errorStatus: Int?
    private var errorBody: [UInt8] = []
    private var finished = false
    private var paused = false
    public private(set) var handshakeNanoseconds: UInt64?

    /// `credentials.httpBearerToken` authenticates the request.
    public init(credentials: SparkCredentials, model: SparkModel, base: SparkHTTPBase, request: SparkHTTPRequest,
                client: HTTPClient, configuration: SparkUpstreamConfiguration = .init(), extraHeaders: [(String, String)] = []) {
        self.loop = client.loop
        self.extraHeaders = extraHeaders
        self.client = client
        self.base = base
        self.model = model
        self.body = request.encodeJSON()
        self.bearer = credentials.httpBearerToken
        self.configuration = configuration
        self.decoder = SparkHTTPStreamDecoder(maxEventBytes: configuration.maxMessageBytes)
    }

    public var endpointDescription: String { "\(base)\(model.httpPath)" }
    public var sid: String? { decoder.sid }
    public var isComplete: Bool { decoder.sawLastFrame }
    /// Kept from the task once the response head arrived (the task is gone after the body).
    public private(set) var tlsSessionResumed: Bool?

    public func start() {
        loop.preconditionInEventLoop()
        guard task == nil, !finished else { return }
        startedAt = DispatchTime.now().uptimeNanoseconds
        let request = HTTPClientRequest(method: .post, path: model.httpPath, headers: [
            ("Authorization", "Bearer \(bearer)"),
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
        ] + extraHeaders, body: body)
        armTimer(configuration.connectTimeout + configuration.handshakeTimeout + configuration.firstFrameTimeout, phase: .firstFrame)
        task = client.execute(request, on: HTTPClientOrigin(isSecure: base.isSecure, host: base.host, port: base.effectivePort), delegate: self)
    }

    public func pauseReading() {
        loop.preconditionInEventLoop()
        guard !paused else { return }
        paused = true
        if decoder.frameCount > 0 && !finished { timer?.disarm() }
        task?.pauseReading()
    }

    public func resumeReading() {
        loop.preconditionInEventLoop()
        guard paused else { return }
        paused = false
        if decoder.frameCount > 0 && !finished { armTimer(configuration.idleTimeout, phase: .idle) }
        task?.resumeReading()
    }

    public func cancel() {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        stopTimer()
        task?.cancel()
        task = nil
    }

    private func armTimer(_ seconds: Double, phase: SparkUpstreamError.Phase) {
        timerPhase = phase
        timerSeconds = seconds
        if timer == nil {
            timer = LoopDeadlineTimer(loop: loop) { [self] in timedOut() }
        }
        timer?.arm(after: seconds)
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    private func timedOut() {
        guard !finished else {
            // The answer is complete but the rest of the body never came: give up the connection.
            stopTimer()
            task?.cancel()
            task = nil
            return
        }
        let what = timerPhase == .firstFrame ? "the first chunk" : "the next chunk"
        finish(SparkUpstreamError(kind: .timeout(timerPhase), message: "Spark sent no chunk for \(Int(timerSeconds)) s (waiting for \(what))",
                                  sid: decoder.sid))
        task?.cancel()
        task = nil
    }

    /// Reports the end once. After a successful last frame the task goes on reading to the end of
    /// the body (bounded by the idle timeout) so its connection returns to the pool.
    private func finish(_ error: SparkUpstreamError?) {
        guard !finished else { return }
        finished = true
        if error == nil, task != nil {
            armTimer(configuration.idleTimeout, phase: .idle)
        } else {
            stopTimer()
        }
        delegate?.upstreamConversation(self, didFinishWith: error)
    }

    private func fail(_ error: SparkUpstreamError) {
        finish(error)
        task?.cancel()
        task = nil
    }

    /// The diagnosis of a non-stream answer.
    private func diagnose(status: Int, body: [UInt8]) -> SparkUpstreamError {
        let failure = SparkHTTPErrorBody.parse(status: status, body: body)
        let endpoint = endpointDescription
        let detail = failure.message.isEmpty ? "" : ": \(failure.message)"
        switch failure.kind {
        case .spark(let code):
            let info = SparkErrorCode.info(for: code)
            return SparkUpstreamError(kind: .spark(code: code), message: "Spark error \(code)\(detail) (\(info.summary))", sid: failure.sid ?? decoder.sid)
        case .unauthorized:
            return SparkUpstreamError(kind: .unauthorized, message: "Spark's HTTP API refused the credentials at \(endpoint) (HTTP \(status)\(detail)): check SPARK_API_PASSWORD, or SPARK_API_KEY and SPARK_API_SECRET")
        case .forbidden:
            return SparkUpstreamError(kind: .forbidden, message: "Spark's HTTP API refused the request at \(endpoint) (HTTP \(status)\(detail))")
        case .notFound:
            return SparkUpstreamError(kind: .notFound, message: "no Spark HTTP API at \(endpoint) (HTTP \(status)\(detail)): check upstream.spark_http_base_url and the model's http_path")
        default:
            if (200...299).contains(status) {
                return SparkUpstreamError(kind: .malformedFrame, message: "Spark answered \(endpoint) with HTTP \(status) but no event stream\(detail)", sid: failure.sid)
            }
            return SparkUpstreamError(kind: .handshakeFailed(status: status), message: "Spark's HTTP API answered \(endpoint) with HTTP \(status)\(detail)")
        }
    }
}

extension SparkHTTPConversation: HTTPClientTaskDelegate {
    public func httpClientTask(_ task: HTTPClientTask, didReceiveHead head: HTTPResponseHeadParsed) {
        guard task === self.task, !finished else { return }
        handshakeNanoseconds = DispatchTime.now().uptimeNanoseconds - startedAt
        tlsSessionResumed = task.tlsSessionResumed
        let contentType = head.headers["Content-Type"]?.lowercased() ?? ""
        if head.status != 200 || !contentType.hasPrefix("text/event-stream") {
            errorStatus = head.status
        }
    }

    public func httpClientTask(_ task: HTTPClientTask, didReceiveBody bytes: [UInt8]) {
        guard task === self.task else { return }
        if errorStatus != nil {
            guard !finished else { return }
            errorBody.append(contentsOf: bytes.prefix(Self.maxErrorBodyBytes - errorBody.count))
            if errorBody.count >= Self.maxErrorBodyBytes { fail(diagnose(status: errorStatus ?? 0, body: errorBody)) }
            return
        }
        let frames: [SparkResponseFrame]
        do throws(SparkError) {
            frames = try decoder.append(bytes)
        } catch {
            guard !finished else {
                // After the answer: whatever follows is not ours to judge, but the connection is not reusable.
                self.task?.cancel()
                self.task = nil
                stopTimer()
                return
            }
            fail(Self.upstreamError(error, sid: decoder.sid))
            return
        }
        guard !finished else {
            if decoder.isFinished { stopTimer() }
            return
        }
        deliver(frames)
    }

    /// Hands `frames` to the delegate in order; the last one ends the conversation.
    private func deliver(_ frames: [SparkResponseFrame]) {
        for frame in frames {
            if frame.isLast || paused {
                timer?.disarm()
            } else {
                armTimer(configuration.idleTimeout, phase: .idle)
            }
            delegate?.upstreamConversation(self, didReceive: frame)
            if finished { return }  // cancelled by the delegate
            if frame.isLast {
                finish(nil)
                if decoder.isFinished { stopTimer() }
                return
            }
        }
    }

    public func httpClientTask(_ task: HTTPClientTask, didFinishWith error: HTTPClientError?) {
        guard task === self.task else { return }
        self.task = nil
        if finished {
            stopTimer()
            return
        }
        if let error {
            fail(Self.upstreamError(error, endpoint: endpointDescription, sid: decoder.sid))
            return
        }
        if let errorStatus {
            fail(diagnose(status: errorStatus, body: errorBody))
            return
        }
        // The end of the body: a last event without its blank line, or the error held back
        // behind frames decoded with it.
        let frames: [SparkResponseFrame]
        do throws(SparkError) {
            frames = try decoder.finish()
        } catch {
            fail(Self.upstreamError(error, sid: decoder.sid))
            return
        }
        deliver(frames)
        if !finished {
            fail(SparkUpstreamError(kind: .closedBeforeEnd, message: "Spark's HTTP stream ended before the last chunk", sid: decoder.sid))
        }
    }

    static func upstreamError(_ error: SparkError, sid: String?) -> SparkUpstreamError {
        switch error {
        case .upstream(let code, let message, let errorSid):
            let info = SparkErrorCode.info(for: code)
            return SparkUpstreamError(kind: .spark(code: code), message: "Spark error \(code): \(message) (\(info.summary))", sid: errorSid ?? sid)
        case .malformedFrame(let reason):
            return SparkUpstreamError(kind: .malformedFrame, message: "Spark sent a chunk the relay cannot read: \(reason)", sid: sid)
        case .frameAfterEnd, .closedBeforeEnd:
            return SparkUpstreamError(kind: .closedBeforeEnd, message: "Spark's HTTP stream ended before the last chunk", sid: sid)
        }
    }

    static func upstreamError(_ error: HTTPClientError, endpoint: String, sid: String?) -> SparkUpstreamError {
        let kind: SparkUpstreamError.Kind
        switch error.kind {
        case .unreachable: kind = .unreachable
        case .tls: kind = .tls
        case .timeout(.connect): kind = .timeout(.connect)
        case .timeout(.tlsHandshake): kind = .timeout(.handshake)
        case .timeout(.read): kind = .timeout(sid == nil ? .firstFrame : .idle)
        case .protocolError, .invalidRequest: kind = .protocolError
        case .closedBeforeEnd, .shutdown: kind = .closedBeforeEnd
        }
        return SparkUpstreamError(kind: kind, message: "\(endpoint): \(error.message)", sid: sid)
    }
}
