import Dispatch
import Glibc
import RelayIO
import SparkCodec
import WebSocketCodec
import WSClient

/// One Spark conversation over the signed WebSocket, on an event loop: signs the URL, opens the
/// WebSocket (TCP or TLS), sends the request frame, decodes response frames in order, and enforces
/// the first-frame and idle timeouts. `cancel()` closes the WebSocket with code 1000 at once.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (the public methods check preconditionInEventLoop; WebSocket and timer callbacks run there)
public final class SparkWebSocketConversation: UpstreamConversation, @unchecked Sendable {
    public let loop: EventLoop
    public let endpoint: SparkEndpoint
    public weak var delegate: (any UpstreamConversationDelegate)?
    private let credentials: SparkCredentials
    private let model: SparkModel
    private let request: SparkChatRequest
    private let configuration: SparkUpstreamConfiguration
    private let tls: TLSContext?
    private let now: @Sendable () -> UnixTime
    /// Signatures shared by the conversations opened in the same second (`nil`: sign each time).
    private let signedURLs: SignedURLCache?
    /// More upgrade request header fields (trace propagation).
    private let extraHeaders: [(String, String)]
    private var client: WebSocketClient?
    private var decoder: SparkFrameDecoder
    /// First-frame and idle timeout: one re-armable timer, pushed back per frame without a new source.
    private var timer: LoopDeadlineTimer?
    private var timerPhase = SparkUpstreamError.Phase.firstFrame
    private var timerSeconds: Double = 0
    private var signedAt = UnixTime(secondsSince1970: 0)
    private var startedAt: UInt64 = 0
    /// Connect + TLS + WebSocket upgrade, in nanoseconds, once the upgrade succeeded.
    public private(set) var handshakeNanoseconds: UInt64?
    /// Over `wss://`, whether the TLS handshake resumed an earlier session; `nil` over `ws://` or
    /// before the connection is made.
    public var tlsSessionResumed: Bool? { client?.tlsSessionResumed }
    private var finished = false
    private var paused = false

    public init(credentials: SparkCredentials, model: SparkModel, endpoint: SparkEndpoint, request: SparkChatRequest,
                loop: EventLoop, tls: TLSContext?, configuration: SparkUpstreamConfiguration = .init(),
                now: @escaping @Sendable () -> UnixTime = { UnixTime.now() }, signedURLs: SignedURLCache? = nil,
                extraHeaders: [(String, String)] = []) {
        self.extraHeaders = extraHeaders
        self.credentials = credentials
        self.model = model
        self.endpoint = endpoint
        self.request = request
        self.loop = loop
        self.tls = tls
        self.configuration = configuration
        self.now = now
        self.signedURLs = signedURLs
        self.decoder = SparkFrameDecoder(maxFrameBytes: configuration.maxMessageBytes)
    }

    /// The sid Spark assigned, once a frame carried it.
    public var sid: String? { decoder.sid }

    /// `true` after the last frame arrived.
    public var isComplete: Bool { decoder.isFinished }

    /// The endpoint without its signature.
    public var endpointDescription: String { "\(endpoint)" }

    /// Connects and sends the request. Call on the loop.
    public func start() {
        loop.preconditionInEventLoop()
        guard client == nil, !finished else { return }
        signedAt = now()
        startedAt = DispatchTime.now().uptimeNanoseconds
        let signedURL = signedURLs.map { $0.url(credentials: credentials, endpoint: endpoint, date: signedAt) }
            ?? WebSocketURL(SparkURLSigner.sign(credentials: credentials, url: endpoint, date: signedAt).url)
        guard let url = signedURL else {
            finish(SparkUpstreamError(kind: .unreachable, message: "invalid Spark URL \(endpoint)"))
            return
        }
        var webSocket = configuration.webSocket
        webSocket.textAsBytes = true  // frames are decoded from bytes: no String round trip
        let client = WebSocketClient(url: url, loop: loop, tls: tls, configuration: webSocket, extraHeaders: extraHeaders)
        client.delegate = self
        self.client = client
        client.connect()
    }

    /// Stops reading frames (the downstream client is slow) until `resumeReading()`. The idle
    /// timeout is suspended meanwhile: silence we asked for is not Spark's fault.
    public func pauseReading() {
        loop.preconditionInEventLoop()
        guard !paused else { return }
        paused = true
        if decoder.frameCount > 0 {
            timer?.disarm()
        }
        client?.pauseReading()
    }

    /// Resumes after `pauseReading()`.
    public func resumeReading() {
        loop.preconditionInEventLoop()
        guard paused else { return }
        paused = false
        if decoder.frameCount > 0 && !finished && !decoder.isFinished {
            armTimer(configuration.idleTimeout, phase: .idle)
        }
        client?.resumeReading()
    }

    /// Abandons the conversation: closes the WebSocket with 1000 now; no more delegate calls.
    public func cancel() {
        loop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        client?.close(code: .normalClosure)
    }

    private func armTimer(_ seconds: Double, phase: SparkUpstreamError.Phase) {
        timerPhase = phase
        timerSeconds = seconds
        if timer == nil {
            // The pending timeout keeps the connection alive until it fires or is cancelled (as a
            // one-shot loop timer did); `finish` and `cancel` break the cycle.
            timer = LoopDeadlineTimer(loop: loop) { [self] in timedOut() }
        }
        timer?.arm(after: seconds)
    }

    private func timedOut() {
        guard !finished else { return }
        let phase = timerPhase
        let what = phase == .firstFrame ? "the first frame" : "the next frame"
        finish(SparkUpstreamError(kind: .timeout(phase), message: "Spark sent no frame for \(Int(timerSeconds)) s (waiting for \(what))", sid: decoder.sid))
        client?.close(code: .goingAway)
    }

    private func finish(_ error: SparkUpstreamError?) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        delegate?.upstreamConversation(self, didFinishWith: error)
    }
}

extension SparkWebSocketConversation: WebSocketClientDelegate {
    public func webSocketClientDidOpen(_ client: WebSocketClient) {
        guard !finished else { return }
        handshakeNanoseconds = DispatchTime.now().uptimeNanoseconds - startedAt
        client.sendText(request.encodeJSON())
        armTimer(configuration.firstFrameTimeout, phase: .firstFrame)
    }

    public func webSocketClient(_ client: WebSocketClient, didReceive message: WebSocketMessage) {
        guard !finished else { return }
        let bytes: [UInt8]
        switch message {
        case .textBytes(let data): bytes = data
        case .text(let text): bytes = Array(text.utf8)
        case .binary(let data): bytes = data
        default: return
        }
        let frame: SparkResponseFrame
        do throws(SparkError) {
            frame = try decoder.decode(bytes)
        } catch {
            switch error {
            case .upstream(let code, let message, let sid):
                let info = SparkErrorCode.info(for: code)
                finish(SparkUpstreamError(kind: .spark(code: code), message: "Spark error \(code): \(message) (\(info.summary))", sid: sid))
            case .malformedFrame(let reason):
                finish(SparkUpstreamError(kind: .malformedFrame, message: "Spark sent a frame the relay cannot read: \(reason)", sid: decoder.sid))
            case .frameAfterEnd:
                return  // Extra frames after the last one are ignored; the answer is complete.
            case .closedBeforeEnd(let sid):
                finish(SparkUpstreamError(kind: .closedBeforeEnd, message: "Spark closed the connection before the last frame", sid: sid))
            }
            client.close(code: .normalClosure)
            return
        }
        if frame.isLast || paused {
            timer?.disarm()
        } else {
            armTimer(configuration.idleTimeout, phase: .idle)
        }
        delegate?.upstreamConversation(self, didReceive: frame)
        if frame.isLast {
            finish(nil)
            client.close(code: .normalClosure)
        }
    }

    public func webSocketClient(_ client: WebSocketClient, didCloseWith result: WebSocketClient.CloseResult) {
        guard !finished else { return }
        switch result {
        case .closed(let code, let reason, _):
            let detail = code.map { " (close code \($0.rawValue)\(reason.isEmpty ? "" : ": \(reason)"))" } ?? ""
            finish(SparkUpstreamError(kind: .closedBeforeEnd, message: "Spark closed the connection before the last frame\(detail)", sid: decoder.sid))
        case .failed(let error):
            var diagnosed = HandshakeDiagnosis.diagnose(error, endpoint: endpoint, model: model.name, now: signedAt, maxClockSkew: configuration.maxClockSkew)
            diagnosed.sid = decoder.sid
            finish(diagnosed)
        }
    }
}
