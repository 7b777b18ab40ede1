import ArgumentParser
import Dispatch
import Foundation
import Logging
import Relay

/// `spark-relay`: the HTTP relay in front of iFlytek Spark (`serve` is the default subcommand).
@main
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spark-relay",
        abstract: "Relay iFlytek Spark chat streams to browsers as Server-Sent Events.",
        version: RelayVersion.current,
        subcommands: [Serve.self, SignURL.self, Check.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by the subcommands that read the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Configuration file (JSON). Default: Config/relay.json when it exists.")
    var config: String?

    @Option(help: "Upstream: auto (Spark when credentials are set, else the built-in simulator), spark or simulator.")
    var upstream: String?

    @Option(name: .customLong("spark-base-url"), help: "Replace scheme, host and port of every model URL (e.g. wss://127.0.0.1:9443).")
    var sparkBaseURL: String?

    @Option(name: .customLong("ca-file"), help: "Extra PEM CA bundle trusted for the upstream TLS.")
    var caFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    /// File (explicit, or the default one when present), then environment credentials, then flags.
    func load() throws -> RelayConfiguration {
        var configuration: RelayConfiguration
        if let config {
            configuration = try ConfigLoader.load(path: config)
        } else if FileManager.default.fileExists(atPath: ConfigLoader.defaultPath) {
            configuration = try ConfigLoader.load(path: ConfigLoader.defaultPath)
        } else {
            configuration = RelayConfiguration()
        }
        ConfigLoader.applyEnvironment(ProcessInfo.processInfo.environment, to: &configuration)
        if let upstream {
            guard let mode = UpstreamMode(rawValue: upstream) else {
                throw ValidationError("--upstream must be auto, spark or simulator, got '\(upstream)'")
            }
            configuration.upstream.mode = mode
        }
        if let sparkBaseURL { configuration.upstream.sparkBaseURL = sparkBaseURL }
        if let caFile { configuration.upstream.caFile = caFile }
        if let logLevel {
            guard LogLevelName.parse(logLevel) != nil else {
                throw ValidationError("--log-level must be one of \(LogLevelName.all.joined(separator: ", ")), got '\(logLevel)'")
            }
            configuration.log.level = logLevel
        }
        return configuration
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
        var configuration: RelayConfiguration
        do {
            configuration = try options.load()
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
        if let host { configuration.server.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            configuration.server.port = port
        }
        let level = LogLevelName.parse(configuration.log.level) ?? .info
        let logger = Logger(label: "spark-relay") { label in RelayLogHandler(label: label, level: level) }
        let application = RelayApplication(configuration: configuration, logger: logger)
        let address: String
        do {
            address = "\(try application.start())"
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        logger.notice("listening on http://\(address)", metadata: [
            "upstream": "\(application.upstreamMode.rawValue)",
            "event_loops": "\(application.server.group.loops.count)",
        ])
        application.server.installSignalHandlers {
            logger.notice("stopped")
            Foundation.exit(0)
        }
        dispatchMain()
    }
}

struct SignURL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-url",
        abstract: "Print the signed Spark URL for the credentials in the environment.")

    @Argument(help: "The model URL, e.g. wss://spark-api.xf-yun.com/v3.5/chat")
    var url: String

    @Option(help: "RFC 1123 date to sign (default: now), e.g. \"Wed, 25 Nov 2026 10:00:00 GMT\".")
    var date: String?

    func run() throws {
        throw ValidationError("sign-url is not available until the Spark client exists")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration and credentials with one real handshake.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        throw ValidationError("check is not available until the Spark client exists")
    }
}
