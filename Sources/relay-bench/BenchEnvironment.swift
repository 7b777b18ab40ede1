import Foundation
import RelayBenchCore
import RelayIO
import SparkSimulator

/// The processes under test and the bench's own event loops: `spark-sim` and `spark-relay` from the
/// bench's build directory (or a relay given by URL), each a separate process so CPU and memory are
/// measured apart. Every child is stopped by its pid when the bench ends.
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
         "--spark-base-url", "ws://127.0.0.1:\(simulatorPort)"]
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
    }

    /// Probe for the relay's memory and CPU (nil for an external relay).
    var relayProbe: ProcessProbe? { relay.map { ProcessProbe(pid: $0.pid) } }

    /// Probe for the simulator.
    var simulatorProbe: ProcessProbe? { simulator.map { ProcessProbe(pid: $0.pid) } }
}
