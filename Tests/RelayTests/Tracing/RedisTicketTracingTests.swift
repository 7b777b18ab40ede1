import Foundation
import RelayTestSupport
import RelayTracing
import Testing
@testable import Relay

/// A ticket made on one relay and claimed on another (Redis engine): the ticket carries the
/// `traceparent` of the span that made it, so the conversation's attempt on the claiming relay is
/// that span's child, and the claiming `GET`'s own span links to it; so does the span of a `GET`
/// on a third relay that follows the stream from Redis.
@Suite(.serialized, .enabled(if: RedisServer.isAvailable, Comment(rawValue: RedisServer.skipReason)))
struct RedisTicketTracingTests {
    static func relay(redisPort: Int, instance: String, collector: SpanCollector) throws -> (RelayApplication, Int) {
        let tracer = RelayTracer(sampler: TraceSampler(ratio: 1), exporter: collector)
        let (application, port, _) = try TestServer.application(tracer: tracer) { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configuration.cluster.engine = .redis
            configuration.cluster.redisURL = "redis://127.0.0.1:\(redisPort)/0"
            configuration.cluster.instanceID = instance
            configuration.cluster.heartbeatInterval = 0.2
            configuration.cluster.followPollInterval = 0.01
        }
        return (application, port)
    }

    @Test func aTicketClaimedOnAnotherRelayJoinsTheTraceOfTheRequestThatMadeIt() async throws {
        let redis = try await RedisServer()
        let collectorA = SpanCollector(), collectorB = SpanCollector(), collectorC = SpanCollector()
        let (a, portA) = try Self.relay(redisPort: redis.port, instance: "a", collector: collectorA)
        let (b, portB) = try Self.relay(redisPort: redis.port, instance: "b", collector: collectorB)
        let (c, portC) = try Self.relay(redisPort: redis.port, instance: "c", collector: collectorC)
        defer { a.shutdown(); b.shutdown(); c.shutdown(); redis.stop() }
        for port in [portA, portB, portC] { _ = try RedisEngineTests().awaitEngineStatus(port, "ok") }

        let maker = try TestHTTPClient(port: portA)
        let created = try maker.request("POST", "/chat", headers: [("Content-Type", "application/json"),
                                                                   ("traceparent", RelayTracingTests.traceParent)],
                                        body: #"{"prompt":"made on a"}"#)
        try #require(created.status == 201)
        let id = try #require(created.json?["id"] as? String)
        let reader = try TestHTTPClient(port: portB)
        reader.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        #expect(try reader.readStream().terminal?.type == "done")

        // (The health checks above have spans too.)
        let post = try #require(collectorA.waitFor { $0.contains { $0.name == "POST /chat" } }.first { $0.name == "POST /chat" })
        #expect(post.traceID.hexString == RelayTracingTests.callerTrace)
        let getName = "GET /chat/stream/{id}"
        let spansB = collectorB.waitFor { spans in spans.contains { $0.name == getName } && spans.contains { $0.kind == .client } }
        let get = try #require(spansB.first { $0.name == getName })
        let attempt = try #require(spansB.first { $0.kind == .client })
        #expect(attempt.traceID == post.traceID)
        #expect(attempt.parentSpanID == post.spanID)
        #expect(get.links.map(\.spanID) == [post.spanID])
        #expect(get.traceID != post.traceID)

        // A reader on a third relay follows the stream (owned by b) out of Redis, inside its replay window.
        let follower = try TestHTTPClient(port: portC)
        follower.send("GET /chat/stream/\(id) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nLast-Event-ID: \(id):1\r\n\r\n")
        #expect(try follower.readStream().terminal?.type == "done")
        let follow = try #require(collectorC.waitFor { $0.contains { $0.name == getName } }.first { $0.name == getName })
        #expect(follow.links.map(\.spanID) == [post.spanID])
        #expect(follow.links.first?.traceID == post.traceID)
        #expect(!collectorC.all.contains { $0.kind == .client })
    }
}
