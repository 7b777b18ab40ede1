import Foundation
import RelayIO
import RelayTestSupport
import SparkCodec
import SparkSimulator
import SparkUpstream
import Testing

/// Collects what an `UpstreamConversation` reports, from its loop, for a test thread to wait on.
final class ConversationRecorder: UpstreamConversationDelegate, @unchecked Sendable {
    private let lock = NSCondition()
    private(set) var frames: [SparkResponseFrame] = []
    private(set) var error: SparkUpstreamError?
    private(set) var finished = false
    /// The owner keeps the conversation alive (as a `ChatStream` does in the relay).
    var connection: (any UpstreamConversation)?

    func upstreamConversation(_ connection: any UpstreamConversation, didReceive frame: SparkResponseFrame) {
        lock.lock()
        frames.append(frame)
        lock.broadcast()
        lock.unlock()
    }

    func upstreamConversation(_ connection: any UpstreamConversation, didFinishWith error: SparkUpstreamError?) {
        lock.lock()
        self.error = error
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    /// Waits until the conversation finished (or `frameCount` frames arrived).
    func wait(frameCount: Int? = nil, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while !(finished || (frameCount.map { frames.count >= $0 } ?? false)) {
            guard lock.wait(until: deadline) else { return false }
        }
        return true
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return frames.map(\.content).joined()
    }
}

/// A simulator plus a client loop, for one test.
struct UpstreamHarness {
    let simulator: SimulatorServer
    let group = EventLoopGroup(count: 1, label: "test.sim")
    let clientLoop = EventLoop(index: 0, label: "test.client")
    let port: Int
    let certificates: TestCertificates?
    static let credentials = SparkCredentials(appID: "app12345", apiKey: "key-0123456789abcdef", apiSecret: "secret-SHOULD-NOT-LEAK")

    init(tls: Bool = false, now: @escaping @Sendable () -> UnixTime = { UnixTime.now() }, chunkDelay: Double = 0.001) throws {
        certificates = tls ? try TestCertificates.make() : nil
        let configuration = SimulatorConfiguration(credentials: [Self.credentials], tlsCertificateFile: certificates?.certificate,
                                                   tlsKeyFile: certificates?.key, chunkDelay: chunkDelay, now: now)
        simulator = SimulatorServer(configuration: configuration, group: group)
        port = try simulator.start().port
    }

    func stop() {
        simulator.stop()
        certificates?.remove()
    }

    /// Runs one conversation and waits for its end.
    func converse(prompt: String, model name: String = "generalv3.5", credentials: SparkCredentials = credentials,
                  path: String? = nil, trustCA: Bool = true, configure: (inout SparkUpstreamConfiguration) -> Void = { _ in },
                  port overridePort: Int? = nil, tls sharedTLS: TLSContext? = nil) throws -> (ConversationRecorder, SparkWebSocketConversation) {
        let model = try #require(SparkModelTable.default.model(named: name))
        let scheme = certificates == nil ? "ws" : "wss"
        let endpoint = SparkEndpoint(scheme: scheme, host: "127.0.0.1", port: overridePort ?? port, path: path ?? model.path)
        var configuration = SparkUpstreamConfiguration()
        configuration.connectTimeout = 5
        configuration.handshakeTimeout = 5
        configure(&configuration)
        let tls = try sharedTLS ?? certificates.map { try TLSContext(clientWithCAFile: trustCA ? $0.caCertificate : nil) }
        let request = SparkChatRequest(appID: credentials.appID, uid: "test", domain: model.domain,
                                       messages: [SparkChatMessage(role: .user, content: prompt)])
        let connection = SparkWebSocketConversation(credentials: credentials, model: model, endpoint: endpoint, request: request,
                                         loop: clientLoop, tls: tls, configuration: configuration)
        let recorder = ConversationRecorder()
        recorder.connection = connection
        clientLoop.execute {
            connection.delegate = recorder
            connection.start()
        }
        return (recorder, connection)
    }
}

@Suite struct SparkWebSocketConversationTests {
    @Test func streamsAFullConversationOverWS() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "你好")
        #expect(recorder.wait())
        #expect(recorder.error == nil)
        #expect(recorder.text == SimulatorScript.answer(for: "你好"))
        #expect(recorder.frames.last?.isLast == true)
        #expect(recorder.frames.last?.usage != nil)
        #expect(recorder.frames.map(\.seq) == Array(0..<recorder.frames.count).map { Optional($0) })
    }

    @Test func streamsOverWSSWithFragmentsPingsAnd64BitFramesByteExact() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "多字节 [[fragment]] [[ping]] [[big]]")
        #expect(recorder.wait())
        #expect(recorder.error == nil)
        #expect(recorder.text == SimulatorScript.bigFiller + SimulatorScript.answer(for: "多字节"))
        let record = try #require(harness.simulator.events.waitForRecord(timeout: 5) { _ in true })
        #expect(record.pongsReceived > 0)
    }

    @Test func wrongSecretIsDiagnosedAs401WithoutLeakingIt() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let wrong = SparkCredentials(appID: "app12345", apiKey: UpstreamHarness.credentials.apiKey, apiSecret: "wrong-secret-value")
        let (recorder, _) = try harness.converse(prompt: "x", credentials: wrong)
        #expect(recorder.wait())
        let error = try #require(recorder.error)
        #expect(error.kind == .unauthorized)
        #expect(error.message.contains("401"))
        #expect(error.message.contains("HMAC signature does not match"))
        #expect(!error.message.contains("wrong-secret-value"))
        #expect(!error.message.contains("authorization="))
    }

    @Test func clockSkewIsMeasuredFromTheUpstreamDateHeader() throws {
        let harness = try UpstreamHarness(now: { UnixTime.now().adding(seconds: 400) })
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "x")
        #expect(recorder.wait())
        let error = try #require(recorder.error)
        guard case .clockSkew(let seconds?) = error.kind else {
            Issue.record("expected clock skew, got \(error.kind)")
            return
        }
        #expect(abs(seconds + 400) <= 2)
        #expect(error.message.contains("behind"))
        #expect(error.relayCode == "upstream_clock_skew")
    }

    @Test func wrongPathIsDiagnosedAs404() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "x", path: "/v9.9/chat")
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .notFound)
        #expect(recorder.error?.message.contains("/v9.9/chat") == true)
    }

    @Test func untrustedCertificateIsATLSFailureNamingTheCheck() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "x", trustCA: false)
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .tls)
        #expect(recorder.error?.message.contains("certificate verification failed") == true)
    }

    @Test func refusedConnectionIsUnreachable() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        // Bind and close a socket to get a port nobody listens on.
        let probe = try Socket.makeListening(address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, backlog: 1)
        let freePort = try probe.localAddress().port
        probe.close()
        let (recorder, _) = try harness.converse(prompt: "x", port: freePort)
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .unreachable)
    }

    @Test func errorFrameCarriesSparksCodeAndSid() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "x [[error:11200]]")
        #expect(recorder.wait())
        let error = try #require(recorder.error)
        #expect(error.kind == .spark(code: 11200))
        #expect(error.sid?.hasPrefix("cht") == true)
        #expect(error.httpStatus == 403)
    }

    @Test func dropBeforeTheLastFrameIsClosedBeforeEnd() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "x [[drop@2]]")
        #expect(recorder.wait())
        #expect(recorder.frames.count == 2)
        #expect(recorder.error?.kind == .closedBeforeEnd)
    }

    @Test func stallHitsTheIdleTimeoutAndSlowStartTheFirstFrameTimeout() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (stalled, _) = try harness.converse(prompt: "x [[stall@1]]") { $0.idleTimeout = 0.2 }
        #expect(stalled.wait())
        #expect(stalled.error?.kind == .timeout(.idle))
        let (slow, _) = try harness.converse(prompt: "x [[slow-first:2000]]") { $0.firstFrameTimeout = 0.2 }
        #expect(slow.wait())
        #expect(slow.error?.kind == .timeout(.firstFrame))
        #expect(slow.error?.httpStatus == 504)
    }

    @Test func pausedReadingDoesNotCountAsUpstreamSilence() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, connection) = try harness.converse(prompt: "slow reader [[chunks:20]] [[delay:5]]") { $0.idleTimeout = 0.2 }
        #expect(recorder.wait(frameCount: 1))
        harness.clientLoop.execute { connection.pauseReading() }
        // A consumer slower than the idle timeout: the time passing is the point of this test.
        usleep(500_000)
        harness.clientLoop.execute { connection.resumeReading() }
        #expect(recorder.wait())
        #expect(recorder.error == nil)
        #expect(recorder.text == SimulatorScript.answer(for: "slow reader"))
    }

    @Test func oversizeMessageIsAProtocolError() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converse(prompt: "x [[oversize:200000]]") { $0.maxMessageBytes = 65536 }
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .protocolError)
    }

    @Test func cancelClosesTheWebSocketWith1000() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, connection) = try harness.converse(prompt: "x [[chunks:100]] [[delay:20]]")
        #expect(recorder.wait(frameCount: 2))
        harness.clientLoop.execute { connection.cancel() }
        let record = try #require(harness.simulator.events.waitForRecord(timeout: 5) { _ in true })
        #expect(record.end == .clientClosed(code: 1000))
        #expect(!recorder.finished)
    }

    @Test func reasoningAndFunctionCallFramesDecode() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (reasoning, _) = try harness.converse(prompt: "think [[reasoning]]", model: "x1")
        #expect(reasoning.wait())
        #expect(reasoning.frames.compactMap(\.reasoningContent).joined() == SimulatorScript.reasoningText)
        #expect(reasoning.text == SimulatorScript.answer(for: "think"))
        let (function, _) = try harness.converse(prompt: "合肥 [[function:get_weather]]")
        #expect(function.wait())
        #expect(function.frames.count == 1)
        #expect(function.frames.first?.functionCall?.name == "get_weather")
    }
}
