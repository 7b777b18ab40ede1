import Foundation
import HTTPClient
import RelayIO
import RelayTestSupport
import SparkCodec
import SparkSimulator
@testable import SparkUpstream
import Testing

extension UpstreamHarness {
    /// Runs one conversation over the simulator's HTTP API (same port) and returns its recorder.
    func converseOverHTTP(prompt: String, model name: String = "generalv3.5", credentials: SparkCredentials = credentials,
                          httpPath: String? = nil, upstream: HTTPUpstream? = nil,
                          configure: (inout SparkUpstreamConfiguration) -> Void = { _ in }) throws -> (ConversationRecorder, HTTPUpstream) {
        var model = try #require(SparkModelTable.default.model(named: name))
        model.upstreamProtocol = .http
        if let httpPath { model.httpPath = httpPath }
        var configuration = SparkUpstreamConfiguration()
        configuration.connectTimeout = 5
        configuration.handshakeTimeout = 5
        configure(&configuration)
        let tls = try certificates.map { try TLSContext(clientWithCAFile: $0.caCertificate) }
        let base = SparkHTTPBase(scheme: certificates == nil ? "http" : "https", host: "127.0.0.1", port: port)
        let http = upstream ?? HTTPUpstream(base: base, tls: tls, configuration: configuration)
        let request = UpstreamChatRequest(model: model, messages: [SparkChatMessage(role: .user, content: prompt)], user: "test")
        let conversation = http.makeConversation(for: request, credentials: credentials, loop: clientLoop, defaultUID: nil)
        let recorder = ConversationRecorder()
        recorder.connection = conversation
        clientLoop.execute {
            conversation.delegate = recorder
            conversation.start()
        }
        return (recorder, http)
    }
}

/// `SparkHTTPConversation` against the simulator's HTTP mode: the answer, and every diagnosed failure.
@Suite struct SparkHTTPConversationTests {
    /// The idle pooled connections of `http` on `loop` to `origin`, read on the loop.
    static func idleConnections(_ http: HTTPUpstream, origin: HTTPClientOrigin, loop: EventLoop) -> Int {
        final class Count: @unchecked Sendable { var value = -1 }  // written on the loop, read after the signal
        let count = Count()
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            count.value = http.client(for: loop).idleConnectionCount(for: origin)
            done.signal()
        }
        done.wait()
        return count.value
    }

    @Test func streamsAFullConversationOverHTTP() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converseOverHTTP(prompt: "你好")
        #expect(recorder.wait())
        #expect(recorder.error == nil)
        #expect(recorder.text == SimulatorScript.answer(for: "你好"))
        #expect(recorder.frames.last?.isLast == true)
        #expect(recorder.frames.last?.usage != nil)
        #expect(recorder.frames.map(\.seq) == Array(0..<recorder.frames.count).map { Optional($0) })
    }

    @Test func streamsOverHTTPSAndResumesTheTLSSessionOnTheNextConnection() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let (first, http) = try harness.converseOverHTTP(prompt: "one [[big]]")
        #expect(first.wait())
        #expect(first.error == nil)
        #expect(first.text == SimulatorScript.bigFiller + SimulatorScript.answer(for: "one"))
        // The first connection is pooled; a second conversation at the same time needs a new one.
        let (second, _) = try harness.converseOverHTTP(prompt: "two [[delay:50]]", upstream: http)
        let (third, _) = try harness.converseOverHTTP(prompt: "three [[delay:50]]", upstream: http)
        #expect(second.wait() && third.wait())
        #expect(second.error == nil && third.error == nil)
        let resumed = [second, third].compactMap { $0.connection?.tlsSessionResumed }
        #expect(resumed.contains(true), "a new connection should resume the first one's TLS session")
        http.shutdown()
    }

    @Test func aWrongPasswordIsDiagnosedAs401WithoutLeakingIt() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let wrong = SparkCredentials(appID: "app12345", apiKey: "k", apiSecret: "s", apiPassword: "wrong-password-value")
        let (recorder, _) = try harness.converseOverHTTP(prompt: "x", credentials: wrong)
        #expect(recorder.wait())
        let error = try #require(recorder.error)
        #expect(error.kind == .unauthorized)
        #expect(error.message.contains("SPARK_API_PASSWORD"))
        #expect(!error.message.contains("wrong-password-value"))
    }

    @Test func anUnservedPathIsDiagnosedAs404() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converseOverHTTP(prompt: "x", httpPath: "/v9/chat/completions")
        #expect(recorder.wait())
        let error = try #require(recorder.error)
        #expect(error.kind == .notFound)
        #expect(error.message.contains("/v9/chat/completions"))
    }

    @Test func aSparkErrorChunkIsItsCodeWithTheSid() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converseOverHTTP(prompt: "x [[error:11200@2]]")
        #expect(recorder.wait())
        #expect(recorder.frames.count == 2)
        let error = try #require(recorder.error)
        #expect(error.kind == .spark(code: 11200))
        #expect(error.sid?.isEmpty == false)
    }

    @Test func aDroppedConnectionIsClosedBeforeEnd() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converseOverHTTP(prompt: "x [[drop@2]]")
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .closedBeforeEnd)
    }

    @Test(arguments: [("x [[slow-first:2000]]", SparkUpstreamError.Phase.firstFrame), ("x [[stall@2]]", .idle)])
    func silenceTimesOut(prompt: String, phase: SparkUpstreamError.Phase) throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (recorder, _) = try harness.converseOverHTTP(prompt: prompt) { configuration in
            configuration.connectTimeout = 0.1
            configuration.handshakeTimeout = 0.1
            configuration.firstFrameTimeout = 0.3
            configuration.idleTimeout = 0.3
        }
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .timeout(phase))
    }

    @Test func cancelAbortsTheRequestAndTheConnectionIsNotPooled() throws {
        let harness = try UpstreamHarness(chunkDelay: 0.02)
        defer { harness.stop() }
        let (recorder, http) = try harness.converseOverHTTP(prompt: "long [[chunks:5000]]")
        #expect(recorder.wait(frameCount: 3))
        let conversation = try #require(recorder.connection)
        harness.clientLoop.execute { conversation.cancel() }
        #expect(harness.simulator.waitForConnectionCount(0, timeout: 5))
        #expect(!recorder.finished)
        http.shutdown()
    }

    @Test func sequentialConversationsShareOnePooledConnection() throws {
        let harness = try UpstreamHarness()
        defer { harness.stop() }
        let (first, http) = try harness.converseOverHTTP(prompt: "one")
        #expect(first.wait() && first.error == nil)
        // The rest of the body (`[DONE]`) is read after the last frame; then the connection is idle.
        let origin = HTTPClientOrigin(isSecure: false, host: "127.0.0.1", port: harness.port)
        func waitUntilPooled() -> Bool {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if Self.idleConnections(http, origin: origin, loop: harness.clientLoop) == 1 { return true }
                usleep(2_000)
            }
            return false
        }
        #expect(waitUntilPooled())
        for round in 0..<3 {
            let (next, _) = try harness.converseOverHTTP(prompt: "round \(round)", upstream: http)
            #expect(next.wait() && next.error == nil)
            #expect(waitUntilPooled())
        }
        #expect(harness.simulator.openConnections == 1)
        #expect(harness.simulator.finishedConnections.isEmpty)
        http.shutdown()
    }
}
