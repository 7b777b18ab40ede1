import Dispatch
import Foundation
import RelayIO
@testable import SparkKit
import SparkSimulator
import Testing

/// A simulator on 127.0.0.1 (port 0) plus helpers to build clients for it, for one test.
struct KitHarness {
    static let credentials = SparkCredentials(appID: "app12345", apiKey: "key-0123456789abcdef", apiSecret: "secret-SHOULD-NOT-LEAK")

    let simulator: SimulatorServer
    let port: Int
    private let group = EventLoopGroup(count: 1, label: "kit.sim")

    init(now: @escaping @Sendable () -> UnixTime = { UnixTime.now() }, chunkDelay: Double = 0.001) throws {
        let configuration = SimulatorConfiguration(credentials: [Self.credentials], chunkDelay: chunkDelay, now: now)
        simulator = SimulatorServer(configuration: configuration, group: group)
        port = try simulator.start().port
    }

    func stop() {
        simulator.stop()
    }

    /// A client pointed at the simulator (or at `port`), with short connect timeouts.
    func client(credentials: SparkCredentials = credentials, port: Int? = nil,
                configure: (inout SparkClient.Configuration) -> Void = { _ in }) -> SparkClient {
        var configuration = SparkClient.Configuration(baseURL: SparkEndpoint(scheme: "ws", host: "127.0.0.1", port: port ?? self.port, path: "/"))
        configuration.connectTimeout = 5
        configuration.handshakeTimeout = 5
        configure(&configuration)
        return SparkClient(credentials: credentials, configuration: configuration)
    }

    /// Waits (off the cooperative pool) for the first finished simulator connection matching `predicate`.
    func record(timeout: Double = 5,
                where predicate: @escaping @Sendable (SimulatorConnectionRecord) -> Bool = { _ in true }) async -> SimulatorConnectionRecord? {
        let events = simulator.events
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: events.waitForRecord(timeout: timeout, where: predicate))
            }
        }
    }
}

/// Every event of `stream`, and the error that ended it, if any.
func collect(_ stream: SparkStream) async -> (events: [SparkEvent], error: SparkClientError?) {
    var events: [SparkEvent] = []
    do throws(SparkClientError) {
        for try await event in stream {
            events.append(event)
        }
        return (events, nil)
    } catch {
        return (events, error)
    }
}

extension [SparkEvent] {
    /// The text deltas joined.
    var text: String {
        compactMap { if case .textDelta(let text) = $0 { text } else { nil } }.joined()
    }

    /// The reasoning deltas joined.
    var reasoning: String {
        compactMap { if case .reasoningDelta(let text) = $0 { text } else { nil } }.joined()
    }
}
