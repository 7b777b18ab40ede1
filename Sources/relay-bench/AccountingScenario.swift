import Foundation
import RelayBenchCore
import RelayCrypto
import RESPCodec

/// What budgets and the usage file cost per chunk (Sources/relay-bench/README.md, "Cost of
/// accounting"): for each engine, two fresh relays on the same simulator — "off" (no keys, no usage
/// file) and "on" (auth with one named key that has a budget, `log.usage_file`) — run the same paced
/// `/v1` streams in interleaved rounds, every chunk checked, the CPU of each read from `/proc` around
/// its own batches. With Redis, the commands Redis processed per request on each side too.
struct AccountingScenario {
    let environment: BenchEnvironment
    let rate: Int
    let log: (String) -> Void

    /// The bench's client key on the "on" relay (its SHA-256 goes into the config).
    static let key = "relay-bench-accounting-key"

    /// One side's shape.
    struct Shape {
        let streams: Int
        let chunks: Int
        let delayMs: Int
        let rounds: Int
    }

    func run(engines: [String], shape: Shape) -> [AccountingRow] {
        var rows: [AccountingRow] = []
        var offset = 7_000_000
        for engine in engines {
            do {
                rows.append(try measure(engine: engine, shape: shape, indexOffset: offset))
            } catch {
                log("accounting on \(engine) not measured: \(error)")
            }
            offset += 500_000
        }
        return rows
    }

    private func measure(engine: String, shape: Shape, indexOffset: Int) throws -> AccountingRow {
        let redis = engine == "redis" ? try environment.startRedis() : nil
        let usageFile = "\(environment.workDir)/usage-\(engine).jsonl"
        try? FileManager.default.removeItem(atPath: usageFile)
        let offConfig = try environment.writeConfig(name: "accounting-\(engine)-off", engine: engine, redisPort: redis?.port)
        let onConfig = try environment.writeConfig(name: "accounting-\(engine)-on", engine: engine, redisPort: redis?.port) { root in
            var auth = root["auth"] as? [String: Any] ?? [:]
            auth["enabled"] = true
            auth["keys"] = [["name": "bench", "sha256": Hex.encode(Digest.sha256(Array(Self.key.utf8))),
                             "budget": ["tokens": 1_000_000_000_000, "requests": 1_000_000_000, "period": "day"]]]
            root["auth"] = auth
            var log = root["log"] as? [String: Any] ?? [:]
            log["usage_file"] = usageFile
            root["log"] = log
        }
        let off = try environment.startConfiguredRelay(name: "accounting-\(engine)-off", config: offConfig)
        defer { off.relay.stop() }
        let on = try environment.startConfiguredRelay(name: "accounting-\(engine)-on", config: onConfig)
        defer { on.relay.stop() }
        environment.addUnderTest(off.relay.pid)
        environment.addUnderTest(on.relay.pid)
        let sides = [(name: "off", port: off.port, probe: ProcessProbe(pid: off.relay.pid)),
                     (name: "on", port: on.port, probe: ProcessProbe(pid: on.relay.pid))]
        let redisProbe = try redis.map { try RedisProbe(port: $0.port) }
        var cpu = [0.0, 0.0]
        var checks = [StreamCheck(), StreamCheck()]
        var commands = [0, 0]
        var offset = indexOffset
        let ramp = LoadRun.rampRate(rate, streams: shape.streams, delayMs: shape.delayMs)
        let limit = Double(shape.streams) / Double(ramp) + Double(shape.chunks * shape.delayMs) / 500 + 30
        // Round 0 warms both relays up (first connections, the Redis clients) and is not counted.
        for round in 0...max(1, shape.rounds) {
            for (index, side) in sides.enumerated() {
                environment.applyPinning()
                let specs = (0..<shape.streams).map { StreamSpec(index: offset + $0, chunks: shape.chunks, delayMs: shape.delayMs, stamp: false) }
                offset += shape.streams
                let commands0 = try redisProbe?.commandsProcessed()
                let cpu0 = try side.probe.cpuSeconds()
                let outcome = LoadRun(group: environment.group).run(
                    specs: specs, target: .openAI(port: side.port, path: "/v1/chat/completions", model: PeerScenarios.model, apiKey: Self.key),
                    ratePerSecond: ramp, timeout: limit)
                let spent = try side.probe.cpuSeconds() - cpu0
                guard round > 0 else { continue }
                cpu[index] += spent
                checks[index].merge(outcome.check)
                if let commands0, let commands1 = try redisProbe?.commandsProcessed() { commands[index] += commands1 - commands0 }
            }
        }
        // Records are written off the event loops: wait (bounded) for the last ones.
        let expected = shape.streams * (max(1, shape.rounds) + 1)
        var records = 0
        let deadline = WallClock.monotonicSeconds() + 5
        repeat {
            records = (try? String(contentsOfFile: usageFile, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if records >= expected { break }
            usleep(20_000)
        } while WallClock.monotonicSeconds() < deadline
        let row = AccountingRow(engine: engine, streams: shape.streams * max(1, shape.rounds), chunksPerStream: shape.chunks, delayMs: shape.delayMs,
                                offCPUSeconds: cpu[0], onCPUSeconds: cpu[1], offCheck: checks[0], onCheck: checks[1],
                                usageRecords: records - shape.streams, redisCommands: redisProbe == nil ? nil : (commands[0], commands[1]))
        log(String(format: "accounting %@: off %.1f µs/chunk, on %.1f µs/chunk (%.3f×), %d usage records", engine, row.offMicrosPerChunk,
                   row.onMicrosPerChunk, row.ratio ?? 0, row.usageRecords)
            + (row.redisCommandsPerRequestOn.map { String(format: ", Redis commands per request off %.2f, on %.2f", row.redisCommandsPerRequestOff ?? 0, $0) } ?? "")
            + (row.check.passed ? "" : " — \(row.check.problemsByKind) e.g. \(row.check.examples.prefix(2))"))
        return row
    }
}
