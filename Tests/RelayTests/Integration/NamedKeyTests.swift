import Foundation
import HTTPCodec
import RelayCrypto
import Testing
@testable import Relay

/// `auth.keys`: named client keys with their own limits and models (Config/README.md, named keys).
@Suite struct NamedKeyTests {
    static let alphaKey = "sk-alpha-0123456789"
    static let betaKey = "sk-beta-9876543210"
    static let legacyKey = "sk-legacy-55555"
    static func hash(_ key: String) -> String { Hex.encode(Digest.sha256(Array(key.utf8))) }

    static func relay(_ configure: (inout RelayConfiguration) -> Void = { _ in }) throws -> (RelayApplication, Int, LogCapture) {
        try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.upstream.simulatorChunkDelay = 0.001
            configuration.auth = .init(enabled: true, apiKeyHashes: [hash(legacyKey)], keys: [
                .init(name: "alpha", sha256: hash(alphaKey), requestsPerMinute: 6, maxStreams: 1, models: ["lite", "spark-lite-alias"]),
                .init(name: "beta", sha256: hash(betaKey)),
            ])
            configuration.upstream.models = [.init(name: "lite", domain: "lite", path: "/v1.1/chat", aliases: ["spark-lite-alias"])]
            configuration.limits.burst = 2
            configure(&configuration)
        }
    }

    private func bearer(_ key: String) -> [(String, String)] { [("Authorization", "Bearer \(key)")] }

    @Test func aKeysRequestRateOverridesTheGlobalOne() throws {
        let (application, port, logs) = try Self.relay { $0.limits.requestsPerMinute = 0 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        #expect(try client.request("GET", "/v1/models", headers: bearer(Self.alphaKey)).status == 200)
        #expect(try client.request("GET", "/v1/models", headers: bearer(Self.alphaKey)).status == 200)
        let limited = try client.request("GET", "/v1/models", headers: bearer(Self.alphaKey))
        #expect(limited.status == 429)
        #expect(limited.text.contains("the key 'alpha'"))
        // The refusal is attributed to the key, in the access log and the metrics alike.
        #expect(logs.lines.contains { $0.contains(" access ") && $0.contains("status=429") && $0.contains("key=alpha") })
        let metrics = String(decoding: application.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"relay_http_requests_total{route="/v1/models",method="GET",status="429",key="alpha"} 1"#))
        // beta has no rate of its own and the global one is off.
        for _ in 0..<5 { #expect(try client.request("GET", "/v1/models", headers: bearer(Self.betaKey)).status == 200) }

        // A key's 0 lifts a global limit for that key only.
        let (strict, strictPort, _) = try Self.relay {
            $0.limits.requestsPerMinute = 6
            $0.auth.keys[1].requestsPerMinute = 0
        }
        defer { strict.shutdown() }
        let other = try TestHTTPClient(port: strictPort)
        for _ in 0..<5 { #expect(try other.request("GET", "/v1/models", headers: bearer(Self.betaKey)).status == 200) }
        #expect(try other.request("GET", "/v1/models", headers: bearer(Self.legacyKey)).status == 200)
        #expect(try other.request("GET", "/v1/models", headers: bearer(Self.legacyKey)).status == 200)
        #expect(try other.request("GET", "/v1/models", headers: bearer(Self.legacyKey)).status == 429)
    }

    @Test func aKeysStreamBoundOverridesThePerClientOne() throws {
        let (application, port, _) = try Self.relay { $0.limits.maxStreamsPerClient = 0 }
        defer { application.shutdown() }
        let first = try TestHTTPClient(port: port)
        first.postJSON("/chat/stream", #"{"model":"lite","prompt":"long [[chunks:50]] [[delay:20]]"}"#, extraHeaders: bearer(Self.alphaKey))
        _ = try first.readStream(stopAfter: 1)
        let second = try TestHTTPClient(port: port)
        second.postJSON("/chat/stream", #"{"model":"lite","prompt":"x"}"#, extraHeaders: bearer(Self.alphaKey))
        let refused = try second.readResponse()
        #expect(refused.status == 429)
        #expect(refused.errorCode == "too_many_streams_for_client")
        // beta is not bound.
        let third = try TestHTTPClient(port: port)
        third.postJSON("/chat/stream", #"{"model":"lite","prompt":"x"}"#, extraHeaders: bearer(Self.betaKey))
        #expect(try third.readStream().terminal?.type == "done")
        #expect(try first.drainChunkedRemainder().contains("event: done"))
    }

    @Test func aModelOutsideTheKeysListIs403NamingIt() throws {
        let (application, port, _) = try Self.relay { $0.auth.keys[0].requestsPerMinute = 0 }
        defer { application.shutdown() }
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"model":"generalv3.5","prompt":"x"}"#, extraHeaders: bearer(Self.alphaKey))
        let refused = try client.readResponse()
        #expect(refused.status == 403)
        #expect(refused.errorCode == "model_not_allowed")
        let message = (refused.json?["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("'generalv3.5'") && message.contains("alpha"), "\(message)")
        #expect(application.simulator?.acceptedRequests == 0)

        client.postJSON("/v1/chat/completions", #"{"model":"4.0Ultra","messages":[{"role":"user","content":"x"}]}"#,
                        extraHeaders: bearer(Self.alphaKey))
        let openAI = try client.readResponse()
        #expect(openAI.status == 403)
        let error = try #require(openAI.json?["error"] as? [String: Any])
        #expect(error["code"] as? String == "model_not_allowed")
        #expect(error["param"] is NSNull)
        #expect((error["message"] as? String)?.contains("'4.0Ultra'") == true)

        // Allowed by name and by alias; other keys are not restricted.
        client.postJSON("/chat/stream", #"{"model":"spark-lite-alias","prompt":"x"}"#, extraHeaders: bearer(Self.alphaKey))
        #expect(try client.readStream().terminal?.type == "done")
        client.postJSON("/chat/stream", #"{"model":"generalv3.5","prompt":"x"}"#, extraHeaders: bearer(Self.betaKey))
        #expect(try client.readStream().terminal?.type == "done")
        // /v1/models lists what the key may use.
        let listed = try client.request("GET", "/v1/models", headers: bearer(Self.alphaKey))
        let ids = ((listed.json?["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids) == ["lite", "spark-lite-alias"])
        let all = try client.request("GET", "/v1/models", headers: bearer(Self.betaKey))
        #expect(((all.json?["data"] as? [[String: Any]]) ?? []).count > 2)
    }

    @Test func theKeysNameNeverTheKeyIsInTheAccessLogAndMetricLabels() throws {
        let (application, port, logs) = try Self.relay()
        defer { application.shutdown() }
        let before = String(decoding: application.metrics.render(), as: UTF8.self)
        // Token series for every key (and "-") exist at zero from the start.
        #expect(before.contains(#"relay_tokens_total{model="lite",kind="completion",key="alpha"} 0"#))
        #expect(before.contains(#"relay_tokens_total{model="lite",kind="prompt",key="-"} 0"#))
        let client = try TestHTTPClient(port: port)
        client.postJSON("/chat/stream", #"{"model":"lite","prompt":"count my tokens"}"#, extraHeaders: bearer(Self.alphaKey))
        let response = try client.readStream()
        let usage = try #require(response.terminalJSON?["usage"] as? [String: Any])
        let completion = try #require(usage["completion_tokens"] as? Int)
        let prompt = try #require(usage["prompt_tokens"] as? Int)
        _ = try client.request("GET", "/v1/models", headers: bearer(Self.legacyKey))
        _ = try client.request("GET", "/v1/models", headers: bearer("wrong"))
        let text = String(decoding: application.metrics.render(), as: UTF8.self)
        #expect(text.contains(#"relay_http_requests_total{route="/chat/stream",method="POST",status="200",key="alpha"} 1"#))
        #expect(text.contains(#"relay_http_requests_total{route="/v1/models",method="GET",status="200",key="-"} 1"#))
        #expect(text.contains(#"relay_http_requests_total{route="/v1/models",method="GET",status="401",key="-"} 1"#))
        #expect(text.contains(#"relay_tokens_total{model="lite",kind="completion",key="alpha"} \#(completion)"#))
        #expect(text.contains(#"relay_tokens_total{model="lite",kind="prompt",key="alpha"} \#(prompt)"#))
        let lines = logs.lines
        #expect(lines.contains { $0.contains(" access ") && $0.contains("key=alpha") && $0.contains("path=/chat/stream") })
        for secret in [Self.alphaKey, Self.betaKey, Self.legacyKey] {
            #expect(!lines.contains { $0.contains(secret) })
            #expect(!text.contains(secret))
        }
    }

    @Test func anUnknownModelInAKeysListNamesTheEntry() throws {
        do {
            let (application, _, _) = try Self.relay { $0.auth.keys[0].models = ["lite", "no-such-model"] }
            application.shutdown()
            Issue.record("an unknown model was accepted")
        } catch let error as ConfigError {
            #expect(error.key == "auth.keys[0].models[1]")
            #expect(error.message.contains("'no-such-model'"))
        }
    }
}
