import Foundation
import RelayBenchCore

/// Proxies in front of the relay, in the same run: nginx with the project's `nginx/` config, and the
/// LiteLLM proxy (which needs the relay's OpenAI-compatible `/v1/chat/completions`).
struct PeerScenarios {
    let environment: BenchEnvironment
    let rate: Int
    let log: (String) -> Void

    /// What the nginx hop adds per chunk at each concurrency (relay alone, then nginx → relay).
    func nginx(levels: [Int], chunks: Int, delayMs: Int) -> BenchReport.PeerResult {
        let binary = "/usr/sbin/nginx"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            return .init(name: "nginx", measured: false, reason: "\(binary) not installed (Debian package nginx)", rows: [])
        }
        let directory = "\(environment.workDir)/nginx"
        let listenPort = HTTPProbe.freePort()
        let config: String
        do {
            config = try NginxConfig.write(directory: directory, nginxDir: "\(environment.repoDir)/nginx",
                                           relayPort: environment.relayPort, listenPort: listenPort)
        } catch {
            return .init(name: "nginx", measured: false, reason: "\(error)", rows: [])
        }
        let process: ChildProcess
        do {
            process = try ChildProcess(name: "nginx", path: binary,
                                       arguments: ["-p", directory, "-e", "\(directory)/error.log", "-c", config, "-g", "daemon off;"],
                                       environment: [:], directory: directory, logPath: "\(directory)/stdout.log")
        } catch {
            return .init(name: "nginx", measured: false, reason: "\(error)", rows: [])
        }
        environment.adopt(process)
        defer { process.stop() }
        let deadline = WallClock.monotonicSeconds() + 10
        while HTTPProbe.status(port: listenPort, path: "/healthz") != 200 {
            guard WallClock.monotonicSeconds() < deadline, process.isRunning else {
                return .init(name: "nginx", measured: false, reason: "nginx did not come up: \(process.log)", rows: [])
            }
            usleep(20_000)
        }
        let rows = levels.map { streams -> BenchReport.PeerRow in
            let ramp = max(rate, Int(Double(streams) * 1000 / Double(max(1, delayMs))))
            let limit = Double(streams) / Double(ramp) + Double(chunks * delayMs) / 500 + 30
            let specs = (0..<streams).map { StreamSpec(index: $0, chunks: chunks, delayMs: delayMs, stamp: true) }
            let viaRelay = LoadRun(group: environment.group).run(
                specs: specs, target: .sse(port: environment.relayPort, path: "/chat/stream"), ratePerSecond: ramp, timeout: limit)
            let viaNginx = LoadRun(group: environment.group).run(
                specs: specs, target: .sse(port: listenPort, path: "/chat/stream"), ratePerSecond: ramp, timeout: limit)
            var check = viaRelay.check
            check.merge(viaNginx.check)
            let row = BenchReport.PeerRow(streams: streams, viaRelay: viaRelay.latency.summary, viaPeer: viaNginx.latency.summary,
                                          check: check)
            log(String(format: "nginx %d streams: hop adds p50 %.0f µs, p99 %.0f µs", streams, row.added.p50, row.added.p99))
            return row
        }
        return .init(name: "nginx (project nginx/ config)", measured: true, reason: nil, rows: rows)
    }

    /// LiteLLM needs the relay's OpenAI endpoint; without it the hop cannot be measured.
    func litellm() -> BenchReport.PeerResult {
        let status = HTTPProbe.status(port: environment.relayPort, method: "POST", path: "/v1/chat/completions",
                                      body: #"{"model":"lite","stream":true,"messages":[{"role":"user","content":"x [[chunks:1]]"}]}"#)
        guard let status, status != 404 else {
            return .init(name: "LiteLLM proxy", measured: false,
                         reason: "the relay has no POST /v1/chat/completions yet (probe answered \(status.map(String.init) ?? "nothing"))," +
                             " and LiteLLM can only pass through an OpenAI-compatible endpoint", rows: [])
        }
        return .init(name: "LiteLLM proxy", measured: false,
                     reason: "the relay answers /v1/chat/completions (HTTP \(status)) but this bench version has no OpenAI-stream"
                         + " client yet; the LiteLLM hop is not measured", rows: [])
    }
}
