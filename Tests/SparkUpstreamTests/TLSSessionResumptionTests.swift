import RelayIO
import SparkSimulator
import SparkUpstream
import Testing

/// Upstream TLS sessions are resumed: the second stream through one `TLSContext` skips the
/// certificate exchange, and only sessions a verified connection received are ever offered.
@Suite struct TLSSessionResumptionTests {
    private func finishedRecords(_ harness: UpstreamHarness, count: Int) -> [SimulatorConnectionRecord] {
        _ = harness.simulator.waitForConnectionCount(0, timeout: 5)
        return harness.simulator.finishedConnections.sorted { $0.id < $1.id }
    }

    @Test func theSecondStreamResumesTheFirstStreamsSession() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let certificates = try #require(harness.certificates)
        let tls = try TLSContext(clientWithCAFile: certificates.caCertificate)
        let key = "127.0.0.1:\(harness.port)"

        let (first, _) = try harness.converse(prompt: "一", tls: tls)
        #expect(first.wait())
        #expect(first.error == nil)
        #expect(try #require(tls.sessionCache).count(for: key) >= 1, "the first connection's tickets are kept")

        let (second, _) = try harness.converse(prompt: "二", tls: tls)
        #expect(second.wait())
        #expect(second.error == nil)
        #expect(second.text == SimulatorScript.answer(for: "二"))

        let records = finishedRecords(harness, count: 2)
        #expect(records.map(\.tlsResumed) == [false, true])
    }

    @Test func sessionsAreKeptPerServerAndNotSharedAcrossPorts() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let certificates = try #require(harness.certificates)
        let tls = try TLSContext(clientWithCAFile: certificates.caCertificate)
        let (first, _) = try harness.converse(prompt: "x", tls: tls)
        #expect(first.wait())
        #expect(try #require(tls.sessionCache).count(for: "127.0.0.1:\(harness.port)") >= 1)
        #expect(try #require(tls.sessionCache).count(for: "127.0.0.1:\(harness.port + 1)") == 0)
        #expect(try #require(tls.sessionCache).count(for: "localhost:\(harness.port)") == 0)
    }

    @Test func aConnectionThatFailedVerificationLeavesNoSession() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let untrusting = try TLSContext(clientWithCAFile: nil)
        let (recorder, _) = try harness.converse(prompt: "x", tls: untrusting)
        #expect(recorder.wait())
        #expect(recorder.error?.kind == .tls)
        #expect(try #require(untrusting.sessionCache).count(for: "127.0.0.1:\(harness.port)") == 0)
    }

    @Test func eachSessionIsOfferedOnceAndTheCacheIsBounded() throws {
        let harness = try UpstreamHarness(tls: true)
        defer { harness.stop() }
        let certificates = try #require(harness.certificates)
        // OpenSSL servers send two tickets after a full handshake and one after a resumption: with
        // room for one, the second ticket of the first connection is dropped, and each resumption
        // uses the one ticket kept and leaves its own.
        let cache = TLSSessionCache(sessionsPerServer: 1, servers: 1)
        let tls = try TLSContext(clientWithCAFile: certificates.caCertificate, sessionCache: cache)
        let key = "127.0.0.1:\(harness.port)"
        for prompt in ["a", "b", "c", "d"] {
            let (recorder, _) = try harness.converse(prompt: prompt, tls: tls)
            #expect(recorder.wait())
            #expect(recorder.error == nil)
            #expect(cache.count(for: key) == 1)
        }
        let records = finishedRecords(harness, count: 4)
        #expect(records.map(\.tlsResumed) == [false, true, true, true])
    }
}
