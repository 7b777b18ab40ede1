import ArgumentParser
import RelayCrypto
import Dispatch
import Glibc
import Logging
import RelayIO
import SparkCodec
import SparkSimulator

/// `spark-sim`: the Spark simulator alone, for the relay, benchmarks and interop tests.
///
/// Credentials to accept come from `SPARK_APP_ID`, `SPARK_API_KEY`, `SPARK_API_SECRET`; when none is set
/// it accepts the PUBLIC FAKE defaults of `SimulatorConfiguration.defaultCredentials`. The HTTP API
/// (same port) accepts `Bearer <APIKey>:<APISecret>` and, when `SPARK_API_PASSWORD` is set, `Bearer <password>`.
@main
struct SimulatorCommand: ParsableCommand {
    /// OpenSSL is set up before anything else runs (see `OpenSSLRuntime`).
    static func main() {
        OpenSSLRuntime.initialize()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "spark-sim",
        abstract: "A local iFlytek Spark gateway simulator: WebSocket and HTTP API (signed URLs, scripted answers, faults).")

    @Option(help: "Address to listen on (IP literal or localhost).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free port.")
    var port = 9443

    @Option(help: "PEM certificate chain: serve wss:// (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "Seconds between answer frames.")
    var chunkDelay = 0.05

    @Option(help: "Event loops (0: one per core).")
    var eventLoops = 0

    @Option(help: "Seconds after the handshake within which the request must arrive.")
    var requestTimeout = 60.0

    @Flag(help: "Log every refused upgrade and handshake failure.")
    var verbose = false

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard chunkDelay >= 0 else { throw ValidationError("--chunk-delay must not be negative") }
    }

    func run() throws {
        let environment = ProcessEnvironment.current()
        let appID = environment["SPARK_APP_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let apiKey = environment["SPARK_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let apiSecret = environment["SPARK_API_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        let apiPassword = environment["SPARK_API_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        let credentials: SparkCredentials
        let usingDefaults: Bool
        switch (appID, apiKey, apiSecret) {
        case let (appID?, apiKey?, apiSecret?):
            credentials = SparkCredentials(appID: appID, apiKey: apiKey, apiSecret: apiSecret)
            usingDefaults = false
        case (nil, nil, nil):
            credentials = SimulatorConfiguration.defaultCredentials
            usingDefaults = true
        default:
            throw ValidationError("set all of SPARK_APP_ID, SPARK_API_KEY and SPARK_API_SECRET, or none")
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .warning
            return handler
        }
        let logger = Logger(label: "spark-sim")
        // Before the event loops start their threads, so that every thread inherits the blocked signals.
        let trap = SignalTrap()
        let group = EventLoopGroup(count: eventLoops)
        let server = SimulatorServer(
            configuration: SimulatorConfiguration(
                host: host, port: port, credentials: [credentials], apiPassword: apiPassword, tlsCertificateFile: tlsCert, tlsKeyFile: tlsKey,
                chunkDelay: chunkDelay, requestTimeout: requestTimeout),
            group: group, logger: logger)
        let address = try server.start()
        let scheme = tlsCert == nil ? "ws" : "wss"
        print("spark-sim listening on \(scheme)://\(address)")
        print("spark-sim: HTTP API on the same port: \(tlsCert == nil ? "http" : "https")://\(address)/v1/chat/completions (X1: /v2/chat/completions)")
        if usingDefaults {
            let fake = SimulatorConfiguration.defaultCredentials
            print("spark-sim: no SPARK_* credentials set; accepting the PUBLIC FAKE defaults (safe to share, they open"
                  + " nothing but this simulator): SPARK_APP_ID=\(fake.appID) SPARK_API_KEY=\(fake.apiKey)"
                  + " SPARK_API_SECRET=\(fake.apiSecret)")
        } else {
            print("spark-sim: accepting app \(credentials.appID) with API key \(credentials.apiKey) (secret from SPARK_API_SECRET, not shown)")
        }
        if apiPassword != nil {
            print("spark-sim: the HTTP API also accepts the password from SPARK_API_PASSWORD (not shown)")
        }
        fflush(nil)

        trap.waitForever { _ in
            server.stop()
            fflush(nil)
            Glibc.exit(0)
        }
    }
}
