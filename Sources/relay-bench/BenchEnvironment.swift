import Foundation
import RelayBenchCore
import RESPCodec
import RelayIO
import SparkSimulator

/// The processes under test and the bench's own event loops: `spark-sim` and `spark-relay` from the
/// bench's build directory (or a relay given by URL), each a separate process so CPU and memory are
/// measured apart. Every child is stopped by its pid when the bench ends.
// @unchecked: its mutable members are set and read only on the bench's main thread (the command and the scenarios it runs one after another); event loops use only the immutable `group`
final class BenchEnvironment: @unchecked Sendable {
    let buildDir: String
    let repoDir: String
    let workDir: String
    let group: EventLoopGroup
    private(set) var simulator: ChildProcess?
    private(set) var simulatorPort = 0
    private(set) var relay: ChildProcess?
    private(set) var relayPort = 0
    private var extra: [ChildProcess] = []
    /// The bench's own `redis-server` (`--engine redis`), started once and stopped with the rest.
    private(set) var redis: ChildProcess?
    private(set) var redisPort = 0
    /// `--pin`: the processes under test (relay, nginx) on core 1, the simulator and the bench on core 0.
    var pin = false
    /// Processes under test besides the relay (pinned with it).
    private var underTest: [pid_t] = []
    /// `--upstream-protocol`: how every relay the bench starts talks to the simulator (`websocket`
    /// or `http`; the simulator serves both on one port).
    var upstreamProtocol = "websocket"

    /// Credentials both children use: the simulator's public fake defaults.
    static var sparkEnvironment: [String: String] {
        let credentials = SimulatorConfiguration.defaultCredentials
        return ["SPARK_APP_ID": credentials.appID, "SPARK_API_KEY": credentials.apiKey, "SPARK_API_SECRET": credentials.apiSecret]
    }

    init(buildDir: String, repoDir: String, clientLoops: Int) throws {
        self.buildDir = buildDir
        self.repoDir = repoDir
        self.workDir = NSTemporaryDirectory() + "relay-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        self.group = EventLoopGroup(count: clientLoops, label: "relay-bench.loop")
    }

    /// Starts the simulator (no default pacing: every stream sets its own delay).
    func startSimulator() throws {
        let sim = try ChildProcess(name: "spark-sim", path: "\(buildDir)/spark-sim",
                                   arguments: ["--host", "127.0.0.1", "--port", "0", "--chunk-delay", "0"],
                                   environment: Self.sparkEnvironment, directory: repoDir, logPath: "\(workDir)/spark-sim.log")
        simulator = sim
        simulatorPort = try sim.waitForListening(marker: "listening on ", timeout: 20)
    }

    /// The relay's arguments for an external simulator on `simulatorPort` and `port`.
    func relayArguments(port: Int) -> [String] {
        ["--host", "127.0.0.1", "--port", "\(port)", "--upstream", "spark",
         "--spark-base-url", "ws://127.0.0.1:\(simulatorPort)",
         "--spark-http-base-url", "http://127.0.0.1:\(simulatorPort)", "--upstream-protocol", upstreamProtocol]
    }

    /// A second simulator serving `wss://` with a throw-away CA (openssl CLI) and a second relay trusting
    /// that CA (`--ca-file`); both stopped with the rest. Returns the relay (for its probe) and port.
    func startTLSPair() throws -> (relay: ChildProcess, port: Int) {
        let dir = "\(workDir)/tls"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=relay-bench CA", "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr"],
            ["x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "\(dir)/san.ext", "-out", "\(dir)/server.pem"],
        ]
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(dir)/san.ext", atomically: true, encoding: .utf8)
        for arguments in steps {
            let openssl = try ChildProcess(name: "openssl", path: "/usr/bin/openssl", arguments: arguments, environment: [:],
                                           directory: dir, logPath: "\(dir)/openssl.log")
            while openssl.isRunning { usleep(10_000) }
        }
        let sim = try ChildProcess(name: "spark-sim (TLS)", path: "\(buildDir)/spark-sim",
                                   arguments: ["--host", "127.0.0.1", "--port", "0", "--chunk-delay", "0",
                                               "--tls-cert", "\(dir)/server.pem", "--tls-key", "\(dir)/server.key"],
                                   environment: Self.sparkEnvironment, directory: repoDir, logPath: "\(dir)/spark-sim.log")
        adopt(sim)
        let simPort = try sim.waitForListening(marker: "listening on ", timeout: 20)
        let relay = try ChildProcess(name: "spark-relay (wss upstream)", path: "\(buildDir)/spark-relay",
                                     arguments: ["--host", "127.0.0.1", "--port", "0", "--upstream", "spark",
                                                 "--spark-base-url", "wss://127.0.0.1:\(simPort)", "--ca-file", "\(dir)/ca.pem",
                                                 "--spark-http-base-url", "https://127.0.0.1:\(simPort)", "--upstream-protocol", upstreamProtocol],
                                     environment: Self.sparkEnvironment, directory: repoDir, logPath: "\(dir)/spark-relay.log")
        adopt(relay)
        let port = try relay.waitForListening(marker: "listening on http://", timeout: 20)
        if pin {
            Affinity.pin(pid: sim.pid, cpu: 0)
            Affinity.pin(pid: relay.pid, cpu: 1)
        }
        return (relay, port)
    }

    /// Another relay on the same simulator (a fresh process, for a clean idle baseline), stopped with the rest.
    func startExtraRelay(name: String) throws -> (relay: ChildProcess, port: Int) {
        let relay = try ChildProcess(name: "spark-relay (\(name))", path: "\(buildDir)/spark-relay", arguments: relayArguments(port: 0),
                                     environment: Self.sparkEnvironment, directory: repoDir, logPath: "\(workDir)/spark-relay-\(name).log")
        adopt(relay)
        let port = try relay.waitForListening(marker: "listening on http://", timeout: 20)
        if pin { Affinity.pin(pid: relay.pid, cpu: 1) }
        return (relay, port)
    }

    /// Marks `pid` as under test (pinned with the relay).
    func addUnderTest(_ pid: pid_t) {
        underTest.append(pid)
        applyPinning()
    }

    /// With `--pin`, (re)applies the masks to every thread: relay and peers under test on core 1, the
    /// simulator and the bench on core 0. Called before each scenario (threads started since inherit).
    func applyPinning() {
        guard pin else { return }
        if let relay { Affinity.pin(pid: relay.pid, cpu: 1) }
        for pid in underTest { Affinity.pin(pid: pid, cpu: 1) }
        if let simulator { Affinity.pin(pid: simulator.pid, cpu: 0) }
        Affinity.pin(pid: getpid(), cpu: 0)
    }

    /// Starts one relay (port 0), waits for its address.
    func startRelay() throws {
        let relay = try ChildProcess(name: "spark-relay", path: "\(buildDir)/spark-relay", arguments: relayArguments(port: 0),
                                     environment: Self.sparkEnvironment, directory: repoDir, logPath: "\(workDir)/spark-relay.log")
        self.relay = relay
        relayPort = try relay.waitForListening(marker: "listening on http://", timeout: 20)
    }

    /// Uses a relay that is already running.
    func useExternalRelay(port: Int) {
        relayPort = port
    }

    /// Keeps `process` to stop it at the end.
    func adopt(_ process: ChildProcess) {
        extra.append(process)
    }

    /// Stops every child (by pid).
    func stopAll() {
        for process in extra.reversed() { process.stop() }
        relay?.stop()
        simulator?.stop()
        redis?.stop()
    }

    /// Debian's Redis server, which `--engine redis` starts.
    static let redisServerPath = "/usr/bin/redis-server"

    /// Starts `redis-server` on a free 127.0.0.1 port, in a directory of its own under `workDir`, with
    /// no persistence (`--save "" --appendonly no`), and waits until it answers `PING`. Once per run;
    /// with `--pin` it shares core 0 with the simulator and the bench (the relay keeps core 1).
    func startRedis() throws -> (process: ChildProcess, port: Int) {
        if let redis { return (redis, redisPort) }
        guard FileManager.default.isExecutableFile(atPath: Self.redisServerPath) else {
            throw ValidationFailure("--engine redis needs \(Self.redisServerPath) (Debian package redis-server: apt-get install redis-server)")
        }
        let directory = "\(workDir)/redis"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = HTTPProbe.freePort()
        let process = try ChildProcess(name: "redis-server", path: Self.redisServerPath,
                                       arguments: ["--bind", "127.0.0.1", "--port", "\(port)", "--save", "", "--appendonly", "no",
                                                   "--dir", directory, "--daemonize", "no", "--logfile", ""],
                                       environment: [:], directory: directory, logPath: "\(directory)/redis.log")
        redis = process
        redisPort = port
        let deadline = WallClock.monotonicSeconds() + 10
        while true {
            if let probe = try? RedisProbe(port: port, timeoutMs: 500), (try? probe.send(RESPCommand("PING")))?.string == "PONG" { break }
            guard WallClock.monotonicSeconds() < deadline, process.isRunning else {
                throw ValidationFailure("redis-server did not answer PING on 127.0.0.1:\(port); log:\n\(process.log.suffix(2000))")
            }
            usleep(20_000)
        }
        if pin { Affinity.pin(pid: process.pid, cpu: 0) }
        return (process, port)
    }

    /// `Config/relay.json` with `cluster.engine` (and the bench's Redis) and, when given,
    /// `stream.replay_buffer_bytes`, written to the work directory; returns its path and the
    /// effective replay bound.
    func writeEngineConfig(engine: String, redisPort: Int?, replayBufferBytes: Int?) throws -> (path: String, replayBufferBytes: Int) {
        var effective = 262_144
        let path = try writeConfig(name: "relay-\(engine)", engine: engine, redisPort: redisPort) { root in
            var stream = root["stream"] as? [String: Any] ?? [:]
            if let replayBufferBytes { stream["replay_buffer_bytes"] = replayBufferBytes }
            root["stream"] = stream
            effective = (stream["replay_buffer_bytes"] as? Int) ?? 262_144
        }
        return (path, effective)
    }

    /// `Config/relay.json` with `cluster.engine` (and the bench's Redis), changed by `edit`, written
    /// to the work directory as `name`.json; returns its path.
    func writeConfig(name: String, engine: String, redisPort: Int?, edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        var root: [String: Any] = [:]
        let base = "\(repoDir)/Config/relay.json"
        if let data = FileManager.default.contents(atPath: base) {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ValidationFailure("\(base) is not a JSON object")
            }
            root = object
        }
        var cluster = root["cluster"] as? [String: Any] ?? [:]
        cluster["engine"] = engine
        if let redisPort { cluster["redis_url"] = "redis://127.0.0.1:\(redisPort)/0" }
        root["cluster"] = cluster
        edit(&root)
        let path = "\(workDir)/\(name).json"
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A fresh relay on the simulator with the config file at `config` (`--config`), stopped with the rest.
    func startConfiguredRelay(name: String, config: String) throws -> (relay: ChildProcess, port: Int) {
        let relay = try ChildProcess(name: "spark-relay (\(name))", path: "\(buildDir)/spark-relay",
                                     arguments: relayArguments(port: 0) + ["--config", config],
                                     environment: Self.sparkEnvironment, directory: repoDir, logPath: "\(workDir)/spark-relay-\(name).log")
        adopt(relay)
        let port = try relay.waitForListening(marker: "listening on http://", timeout: 20)
        if pin { Affinity.pin(pid: relay.pid, cpu: 1) }
        return (relay, port)
    }

    /// Probe for the relay's memory and CPU (nil for an external relay).
    var relayProbe: ProcessProbe? { relay.map { ProcessProbe(pid: $0.pid) } }

    /// Probe for the simulator.
    var simulatorProbe: ProcessProbe? { simulator.map { ProcessProbe(pid: $0.pid) } }
}
