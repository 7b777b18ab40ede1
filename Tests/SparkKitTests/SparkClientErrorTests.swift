import Foundation
import RelayIO
import SparkKit
import SparkSimulator
import Testing

@Suite struct SparkClientErrorTests {
    @Test func wrongSecretIs401WithADiagnosisAndNoSecret() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let wrong = SparkCredentials(appID: "app12345", apiKey: KitHarness.credentials.apiKey, apiSecret: "wrong-secret-value")
        let (events, error) = await collect(harness.client(credentials: wrong).stream(ChatRequest(prompt: "x")))
        #expect(events.isEmpty)
        guard case .unauthorized(let diagnosis)? = error else {
            Issue.record("expected 401, got \(String(describing: error))")
            return
        }
        #expect(diagnosis.contains("401"))
        #expect(diagnosis.contains("HMAC signature does not match"))
        for text in [String(describing: error!), error!.localizedDescription, String(reflecting: error!)] {
            #expect(!text.contains("wrong-secret-value"))
            #expect(!text.contains("authorization="))
            #expect(!text.contains("signature="))
        }
    }

    @Test func clockSkewIsMeasuredInSeconds() async throws {
        let harness = try KitHarness(now: { UnixTime.now().adding(seconds: 400) })
        defer { harness.stop() }
        let (_, error) = await collect(harness.client().stream(ChatRequest(prompt: "x")))
        guard case .clockSkew(let seconds?, let diagnosis)? = error else {
            Issue.record("expected clock skew, got \(String(describing: error))")
            return
        }
        #expect(abs(seconds + 400) <= 2)
        #expect(diagnosis.contains("behind"))
    }

    @Test func aPathTheGatewayDoesNotServeIs404() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let ghost = SparkModel(name: "ghost", domain: "ghost", path: "/v9.9/chat", maxTokensLimit: 4096, defaultMaxTokens: 4096)
        let table = try SparkModelTable(models: SparkModelTable.default.models + [ghost])
        let client = harness.client { $0.models = table }
        let (_, error) = await collect(client.stream(ChatRequest(model: "ghost", prompt: "x")))
        guard case .notFound(let path, let diagnosis)? = error else {
            Issue.record("expected 404, got \(String(describing: error))")
            return
        }
        #expect(path == "/v9.9/chat")
        #expect(diagnosis.contains("404"))
    }

    @Test func aClosedPortIsUnreachable() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let probe = try Socket.makeListening(address: SocketAddress(ipAddress: "127.0.0.1", port: 0)!, backlog: 1)
        let freePort = try probe.localAddress().port
        probe.close()
        let (_, error) = await collect(harness.client(port: freePort).stream(ChatRequest(prompt: "x")))
        guard case .unreachable? = error else {
            Issue.record("expected unreachable, got \(String(describing: error))")
            return
        }
    }

    @Test func aStallHitsTheIdleTimeout() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let client = harness.client { $0.idleTimeout = 0.2 }
        let (events, error) = await collect(client.stream(ChatRequest(prompt: "x [[stall@1]]")))
        #expect(!events.isEmpty)
        guard case .timeout(.idle, _)? = error else {
            Issue.record("expected an idle timeout, got \(String(describing: error))")
            return
        }
    }

    @Test func sparksErrorFrameCarriesCodeMessageAndSid() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let (events, error) = await collect(harness.client().stream(ChatRequest(prompt: "x [[error:10013]]")))
        #expect(events.isEmpty)
        guard case .spark(let code, let message, let sid)? = error else {
            Issue.record("expected a Spark error, got \(String(describing: error))")
            return
        }
        #expect(code == 10013)
        #expect(message.contains("10013"))
        #expect(sid?.hasPrefix("cht") == true)
        #expect(error?.sid == sid)
        do throws(SparkClientError) {
            _ = try await harness.client().complete(ChatRequest(prompt: "x [[error:10013]]"))
            Issue.record("complete did not throw")
        } catch {
            #expect(error.sid?.hasPrefix("cht") == true)
        }
    }

    @Test func aDropMidAnswerIsClosedBeforeEndAfterTheFramesSoFar() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let (events, error) = await collect(harness.client().stream(ChatRequest(prompt: "x [[drop@2]]")))
        let chunks = SimulatorScript.chunks(for: "x", chunkCount: nil)
        #expect(events == chunks.prefix(2).map { .textDelta($0) })
        guard case .closedBeforeEnd(let sid, _)? = error else {
            Issue.record("expected closed before end, got \(String(describing: error))")
            return
        }
        #expect(sid?.hasPrefix("cht") == true)
    }

    @Test func anUnknownModelFailsWithoutConnecting() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        let (events, error) = await collect(harness.client().stream(ChatRequest(model: "gpt-4o", prompt: "x")))
        #expect(events.isEmpty)
        guard case .unknownModel(let name, let available)? = error else {
            Issue.record("expected unknown model, got \(String(describing: error))")
            return
        }
        #expect(name == "gpt-4o")
        #expect(available.contains("generalv3.5"))
        #expect(error?.isInvalidRequest == true)
        #expect(harness.simulator.acceptedRequests == 0)
        #expect(harness.simulator.events.openConnections == 0)
        #expect(harness.simulator.finishedConnections.isEmpty)
    }

    @Test func anUnloadableCAFileIsATLSErrorBeforeConnecting() async throws {
        var configuration = SparkClient.Configuration(baseURL: SparkEndpoint(scheme: "wss", host: "127.0.0.1", port: 9, path: "/"))
        configuration.caFile = "/nonexistent/spark-kit-ca.pem"
        let client = SparkClient(credentials: KitHarness.credentials, configuration: configuration)
        let (_, error) = await collect(client.stream(ChatRequest(prompt: "x")))
        guard case .tls? = error else {
            Issue.record("expected a TLS error, got \(String(describing: error))")
            return
        }
    }

    @Test func theErrorIsThrownOnceThenTheSequenceEnds() async throws {
        let harness = try KitHarness()
        defer { harness.stop() }
        var iterator = harness.client().stream(ChatRequest(prompt: "x [[error:10013]]")).makeAsyncIterator()
        await #expect(throws: SparkClientError.self) { try await iterator.next() }
        #expect(try await iterator.next() == nil)
    }
}
