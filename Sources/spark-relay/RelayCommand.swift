import ArgumentParser
import RelayCrypto
import Dispatch
import Glibc
import Logging
import Relay
import RelayIO
import SparkCodec
import SparkSimulator

/// `spark-relay`: the HTTP relay in front of iFlytek Spark (`serve` is the default subcommand).
@main
struct RelayCommand: ParsableCommand {
    /// OpenSSL is set up before anything else runs (see `OpenSSLRuntime`).
    static func main() {
        OpenSSLRuntime.initialize()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "spark-relay",
        abstract: "Relay iFlytek Spark chat streams to browsers as Server-Sent Events.",
        version: RelayVersion.current,
        subcommands: [Serve.self, SignURL.self, Check.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by the subcommands that read the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Configuration file (JSON). Default: ./Config/relay.json, else /etc/spark-relay/relay.json, when one exists.")
    var config: String?

    @Option(help: "Upstream: auto (Spark when credentials are set, else the built-in simulator), spark or simulator.")
    var upstream: String?

    @Option(name: .customLong("spark-base-url"), help: "Replace scheme, host and port of every model URL (e.g. wss://127.0.0.1:9443).")
    var sparkBaseURL: String?

    @Option(name: .customLong("upstream-protocol"), help: "How to talk to Spark for models that name no protocol: websocket (default) or http (Spark's OpenAI-style HTTP API).")
    var upstreamProtocol: String?

    @Option(name: .customLong("spark-http-base-url"), help: "Replace scheme, host and port of Spark's HTTP API (e.g. http://127.0.0.1:9090).")
    var sparkHTTPBaseURL: String?

    @Option(name: .customLong("ca-file"), help: "Extra PEM CA bundle trusted for the upstream TLS.")
    var caFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text (default) or json (one object per line).")
    var logFormat: String?

    /// File (explicit, or the first of `ConfigFileLocator.searchOrder` present), then environment
    /// credentials, then flags; and which file that was.
    func loadLocated() throws -> (configuration: RelayConfiguration, location: ConfigFileLocator.Location) {
        let location = ConfigFileLocator.locate(explicit: config, workingDirectory: ConfigFileLocator.currentDirectory())
        var configuration: RelayConfiguration
        if let path = location.path {
            configuration = try ConfigLoader.load(path: path)
        } else {
            configuration = RelayConfiguration()
        }
        ConfigLoader.applyEnvironment(ProcessEnvironment.current(), to: &configuration)
        if let upstream {
            guard let mode = UpstreamMode(rawValue: upstream) else {
                throw ValidationError("--upstream must be auto, spark or simulator, got '\(upstream)'")
            }
            configuration.upstream.mode = mode
        }
        if let sparkBaseURL { configuration.upstream.sparkBaseURL = sparkBaseURL }
        if let upstreamProtocol {
            guard let value = SparkProtocol(rawValue: upstreamProtocol) else {
                throw ValidationError("--upstream-protocol must be websocket or http, got '\(upstreamProtocol)'")
            }
            configuration.upstream.sparkProtocol = value
        }
        if let sparkHTTPBaseURL { configuration.upstream.sparkHTTPBaseURL = sparkHTTPBaseURL }
        if let caFile { configuration.upstream.caFile = caFile }
        if let logLevel {
            guard LogLevelName.parse(logLevel) != nil else {
                throw ValidationError("--log-level must be one of \(LogLevelName.all.joined(separator: ", ")), got '\(logLevel)'")
            }
            configuration.log.level = logLevel
        }
        if let logFormat {
            guard let format = LogFormat(rawValue: logFormat) else {
                throw ValidationError("--log-format must be \(LogFormat.names), got '\(logFormat)'")
            }
            configuration.log.format = format
        }
        return (configuration, location)
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the relay (the default).")

    @Option(help: "Address to listen on (IPv4 or IPv6 literal, or localhost). Default 127.0.0.1.")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free port. Default 8080.")
    var port: Int?

    @OptionGroup var options: ConfigOptions

    func run() throws {
        // Signals first: a SIGTERM that arrives while starting is held until start-up is over, and
        // every thread started from here on (the heap trimmer's, the loops') inherits the block.
        let trap = SignalTrap(signals: [SIGINT, SIGTERM, SIGHUP])
        // Heap settings before any event loop allocates, so memory comes back after load.
        let heapTuning: HeapTuning
        do {
            heapTuning = try HeapTuning(environment: ProcessEnvironment.current())
        } catch {
            throw startupFailure(error.description)
        }
        let trimmer = heapTuning.apply()
        var configuration: RelayConfiguration
        let location: ConfigFileLocator.Location
        do {
            (configuration, location) = try options.loadLocated()
        } catch let error as ConfigError {
            throw startupFailure(error.description)
        }
        if let host { configuration.server.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            configuration.server.port = port
        }
        // Relative paths resolve against the working directory; the log names the result.
        let paths = StartupPaths(config: location, publicDirectorySetting: configuration.server.publicDirectory,
                                 workingDirectory: ConfigFileLocator.currentDirectory())
        configuration.server.publicDirectory = paths.publicDirectory
        let level = LogLevelName.parse(configuration.log.level) ?? .info
        let format = configuration.log.format
        let logger = Logger(label: "spark-relay") { label in RelayLogHandler(label: label, level: level, format: format) }
        let application: RelayApplication
        let bound: SocketAddress
        do {
            application = try RelayApplication(configuration: configuration, logger: logger)
            bound = try application.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        let address = "\(bound)"
        logger.notice("listening on http://\(address)", metadata: [
            "upstream": "\(application.upstreamMode.rawValue)",
            "event_loops": "\(application.server.group.loops.count)",
        ])
        paths.log(to: logger)
        if let warning = application.exposureWarning(for: bound) { logger.warning("\(warning)") }
        application.logDescriptorLimit()
        application.logTracing()
        if application.upstreamMode == .simulator {
            logger.warning(
                "NO SPARK CREDENTIALS: answers come from the BUILT-IN SPARK SIMULATOR, not from iFlytek Spark. Set SPARK_APP_ID, SPARK_API_KEY and SPARK_API_SECRET to use the real service, and try them first with: spark-relay check",
                metadata: ["simulator": "\(application.upstream.base)"])
        }
        withExtendedLifetime(trimmer) {
            trap.waitForever { signalNumber in
                application.handleSignal(signalNumber) { Glibc.exit(0) }
            }
        }
    }
}

/// A start-up error that is not a command-line mistake (a bad config file or environment
/// setting): said on standard error without the usage block, then the exit code of a usage error.
func startupFailure(_ message: String) -> ExitCode {
    var line = "spark-relay: " + message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    return ExitCode.validationFailure
}

struct SignURL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-url",
        abstract: "Print the signed Spark URL for the credentials in the environment (SPARK_API_KEY, SPARK_API_SECRET).",
        discussion: "The signed URL is a credential for about five minutes: do not paste it into tickets or logs.")

    @Argument(help: "The model URL, e.g. wss://spark-api.xf-yun.com/v3.5/chat")
    var url: String

    @Option(help: "RFC 1123 date to sign (default: now), e.g. \"Wed, 25 Nov 2026 10:00:00 GMT\".")
    var date: String?

    func run() throws {
        let environment = ProcessEnvironment.current()
        guard let apiKey = environment["SPARK_API_KEY"], !apiKey.isEmpty,
              let apiSecret = environment["SPARK_API_SECRET"], !apiSecret.isEmpty else {
            throw ValidationError("set SPARK_API_KEY and SPARK_API_SECRET in the environment")
        }
        guard let endpoint = SparkEndpoint(url: url) else {
            throw ValidationError("'\(url)' is not a ws:// or wss:// URL without a query")
        }
        let dateText: String
        if let date {
            guard HTTPDate.parse(date) != nil else {
                throw ValidationError("--date must be an RFC 1123 date such as \"Wed, 25 Nov 2026 10:00:00 GMT\"")
            }
            dateText = date
        } else {
            dateText = HTTPDate.format(UnixTime.now())
        }
        let credentials = SparkCredentials(appID: environment["SPARK_APP_ID"] ?? "", apiKey: apiKey, apiSecret: apiSecret)
        let signed = SparkURLSigner.sign(credentials: credentials, scheme: endpoint.scheme, host: endpoint.authority,
                                         path: endpoint.path, date: dateText)
        print(signed.url)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration and credentials with one real handshake and a one-token request.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Model to test (a Spark domain or alias). Default: for each protocol in use, the default model if it uses that protocol, else the first model that does.")
    var model: String?

    func run() throws {
        let configuration: RelayConfiguration
        let settings: UpstreamSettings
        // An explicit simulator mode (--upstream simulator, upstream.mode) checks the built-in
        // simulator through the same signed-URL + WebSocket and HTTP paths `serve` uses; otherwise
        // Spark, whose credentials are what `check` is for (`auto` without them names the missing setting).
        var simulator: SimulatorServer?
        do {
            let location: ConfigFileLocator.Location
            (configuration, location) = try options.loadLocated()
            print("config: " + (location.path ?? "none found (looked for \(location.searched.joined(separator: " and "))), built-in defaults"))
            if configuration.upstream.mode == .simulator {
                let quiet = Logger(label: "spark-relay") { label in RelayLogHandler(label: label, level: .warning, format: .text) }
                (simulator, settings) = try RelayApplication.startEmbeddedSimulator(configuration.upstream, group: EventLoopGroup(count: 1),
                                                                                   logger: quiet)
                print("upstream: the BUILT-IN SPARK SIMULATOR (upstream mode simulator), not iFlytek Spark; check Spark with --upstream spark or auto and SPARK_APP_ID, SPARK_API_KEY, SPARK_API_SECRET (or SPARK_API_PASSWORD)")
            } else {
                settings = try UpstreamSettings.make(from: configuration.upstream, mode: .spark)
            }
        } catch let error as ConfigError {
            print(error)
            throw ExitCode.failure
        }
        defer { simulator?.stop() }
        let targets: [SparkModel]
        if let model {
            guard let named = settings.models.model(named: model) else {
                print(UpstreamCheck.run(settings: settings, modelName: model).summary)
                throw ExitCode.failure
            }
            targets = [named]
        } else {
            targets = UpstreamCheck.models(toCheck: settings, defaultModel: configuration.upstream.defaultModel)
        }
        var failed = false
        for target in targets {
            let upstream = settings.upstream(for: target)
            print("checking \(upstream.sparkProtocol.rawValue) \(upstream.endpointDescription(for: target)) with \(UpstreamCheck.credentialSummary(settings.credentials, for: upstream.sparkProtocol))")
            let outcome = UpstreamCheck.run(settings: settings, model: target)
            print(outcome.summary)
            failed = failed || !outcome.succeeded
        }
        if failed { throw ExitCode.failure }
    }
}
