import Foundation
import RESPCodec
import SparkCodec
import Testing
@testable import Relay

/// `cluster.*` configuration, and the encodings the Redis engine stores (tickets, events).
@Suite struct ClusterConfigTests {
    private func load(_ json: String) throws -> RelayConfiguration {
        try ConfigLoader.load(json: Array(json.utf8))
    }

    private func error(_ json: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.load(json: Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreTheMemoryEngine() throws {
        let configuration = RelayConfiguration()
        #expect(configuration.cluster.engine == .memory)
        #expect(configuration.cluster.instanceID == nil)
        #expect(try load("{}").cluster == configuration.cluster)
    }

    @Test func valuesAreApplied() throws {
        let configuration = try load(#"{"cluster":{"engine":"redis","redis_url":"rediss://relay@redis.internal:6380/2","redis_ca_file":"/etc/ca.pem","instance_id":"relay-a.1","follow_poll_interval":0.1,"redis_command_timeout":3,"heartbeat_interval":2}}"#)
        #expect(configuration.cluster.engine == .redis)
        #expect(configuration.cluster.redisCAFile == "/etc/ca.pem")
        #expect(configuration.cluster.instanceID == "relay-a.1")
        #expect(configuration.cluster.followPollInterval == 0.1)
        #expect(configuration.cluster.redisCommandTimeout == 3)
        #expect(configuration.cluster.heartbeatInterval == 2)
        let url = try configuration.cluster.resolvedRedisURL()
        #expect(url.isSecure && url.host == "redis.internal" && url.port == 6380 && url.database == 2 && url.user == "relay")
    }

    @Test func badValuesNameTheirKey() {
        #expect(error(#"{"cluster":{"engine":"etcd"}}"#)?.key == "cluster.engine")
        #expect(error(#"{"cluster":{"redis_url":"http://localhost"}}"#)?.key == "cluster.redis_url")
        #expect(error(#"{"cluster":{"redis_url":"redis://host:99999"}}"#)?.key == "cluster.redis_url")
        #expect(error(#"{"cluster":{"instance_id":"has space"}}"#)?.key == "cluster.instance_id")
        #expect(error(#"{"cluster":{"instance_id":""}}"#)?.key == "cluster.instance_id")
        #expect(error(#"{"cluster":{"redis_ca_file":""}}"#)?.key == "cluster.redis_ca_file")
        #expect(error(#"{"cluster":{"follow_poll_interval":0}}"#)?.key == "cluster.follow_poll_interval")
        #expect(error(#"{"cluster":{"heartbeat_interval":"1"}}"#)?.key == "cluster.heartbeat_interval")
        #expect(error(#"{"cluster":{"redis_password":"x"}}"#)?.key == "cluster.redis_password")
    }

    @Test func passwordComesFromTheEnvironmentOverTheURL() throws {
        var configuration = try load(#"{"cluster":{"engine":"redis","redis_url":"redis://:fromurl@127.0.0.1:6379/0"}}"#)
        #expect(try configuration.cluster.resolvedRedisURL().password == "fromurl")
        ConfigLoader.applyEnvironment(["SPARK_RELAY_REDIS_PASSWORD": "fromenv"], to: &configuration)
        #expect(try configuration.cluster.resolvedRedisURL().password == "fromenv")
        #expect(!"\(try configuration.cluster.resolvedRedisURL())".contains("fromenv"))
        ConfigLoader.applyEnvironment(["SPARK_RELAY_REDIS_PASSWORD": ""], to: &configuration)
        #expect(try configuration.cluster.resolvedRedisURL().password == "fromenv")
    }

    @Test func ticketsRoundTrip() throws {
        let ticket = StreamTicket(client: "key:ops", keyName: "ops", contentType: "application/json; charset=utf-8",
                                  body: Array("{\"prompt\":\"a\nb\"}".utf8))
        #expect(StreamTicket(encoded: ticket.encoded) == ticket)
        let bare = StreamTicket(client: "", keyName: nil, contentType: nil, body: [])
        #expect(StreamTicket(encoded: bare.encoded) == bare)
        #expect(StreamTicket(encoded: Array("v1\na\nb\n{}".utf8)) == nil)
        #expect(StreamTicket(encoded: Array("v2\nonly\ntwo".utf8)) == nil)
    }

    @Test func eventsRoundTripThroughStreamEntries() throws {
        var data = StreamEvent(kind: .data, json: Array(#"{"choices":{}}"#.utf8), text: "你好", reasoning: "think",
                               functionCalls: [SparkFunctionCall(name: "f", arguments: "{\"a\":1}"), SparkFunctionCall(name: "g", arguments: "{}", id: "call_9")], sid: "cht0001",
                               usage: SparkUsage(promptTokens: 1, completionTokens: 2, totalTokens: 3, questionTokens: 4))
        data.sequence = 7
        var error = StreamEvent.relayError(code: "relay_instance_lost", message: "gone")
        error.sequence = 8
        error.failure?.sparkCode = 10013
        error.failure?.sid = "cht0002"
        var done = StreamEvent(kind: .done, json: Array(#"{"sid":"x"}"#.utf8))
        done.sequence = 9
        for event in [data, error, done] {
            let fields = StreamEventFields.encode(event)
            let entry = RESPValueFixture.entry(id: "0-\(event.sequence)", fields: fields)
            #expect(StreamEventFields.decode(entry: entry) == event)
        }
        #expect(StreamEventFields.decode(entry: RESPValueFixture.entry(id: "1-0", fields: StreamEventFields.encode(data))) == nil)
        #expect(StreamEventFields.decode(entry: RESPValueFixture.entry(id: "0-1", fields: [Array("v".utf8), Array("9".utf8)])) == nil)
    }
}

enum RESPValueFixture {
    /// One `XRANGE` entry as Redis 7 sends it over RESP3.
    static func entry(id: String, fields: [[UInt8]]) -> RESPValue {
        .array([.bulkString(Array(id.utf8)), .array(fields.map { .bulkString($0) })])
    }
}
