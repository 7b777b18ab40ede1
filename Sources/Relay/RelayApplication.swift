import Glibc
import HTTPCodec
import Logging
import RelayCrypto
import RelayIO
import SparkCodec
import SparkSimulator
import Synchronization
import Tracing

/// Puts the relay together from a configuration: the upstream (real Spark, or the built-in simulator
/// started in-process on a loopback port and used through the real signed-URL + WebSocket path),
/// routes, handlers and the server.
public final class RelayApplication: Sendable {
    public let configuration: RelayConfiguration
    public let server: RelayServer
    /// The upstream actually used (`auto` resolved).
    public let upstreamMode: UpstreamMode
    /// Where chat requests go.
    public let upstream: UpstreamSettings
    /// The embedded simulator, in simulator mode.
    public let simulator: SimulatorServer?
    private let logger: Logger
    let registry: StreamRegistry
    let gate: ClientGate
    /// Counters and gauges served at `/metrics`.
    public let metrics: RelayMetrics
    /// The usage file (`log.usage_file`), when configured.
    let usageLog: UsageLog?
    /// Where shared stream state lives (`cluster.engine`).
    let engine: any StreamEngine
    /// The tracer and the exporter behind it (`tracing.*`).
    let tracing: TracingSetup

    /// Builds the application; in simulator mode this already starts the embedded simulator.
    /// `upstream` replaces the configured upstream (tests point it at their own simulator);
    /// `tracer` replaces the one `tracing.*` configures (any swift-distributed-tracing `Tracer`).
    public init(configuration: RelayConfiguration, logger: Logger, upstream overriding: UpstreamSettings? = nil,
                tracer: (any Tracer)? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let tracing = try tracer.map { TracingSetup(tracer: $0, exporter: nil) }
            ?? TracingSetup.make(configuration.tracing, instanceID: configuration.cluster.instanceID)
        self.tracing = tracing
        let group = EventLoopGroup(count: configuration.server.eventLoops)
        var simulator: SimulatorServer?
        let upstream: UpstreamSettings
        if let overriding {
            upstream = overriding
        } else {
            switch Self.resolveUpstreamMode(configuration.upstream) {
            case .spark, .auto:
                upstream = try UpstreamSettings.make(from: configuration.upstream, mode: .spark)
            case .simulator:
                let (server, settings) = try Self.startEmbeddedSimulator(configuration.upstream, group: group, logger: logger)
                simulator = server
                upstream = settings
            }
        }
        guard upstream.models.model(named: configuration.upstream.defaultModel) != nil else {
            simulator?.stop()
            throw ConfigError(key: "upstream.default_model", message: "'\(configuration.upstream.defaultModel)' is not a configured model")
        }
        self.upstream = upstream
        self.upstreamMode = upstream.mode
        self.simulator = simulator
        self.registry = StreamRegistry(replayTotalBytes: configuration.stream.replayTotalBytes)

        var router = Router()
        let serverBox = ServerBox()
        let models = upstream.models
        let gate: ClientGate
        do {
            gate = try ClientGate(auth: configuration.auth, limits: configuration.limits,
                                  canonicalModel: { models.model(named: $0)?.name })
        } catch {
            simulator?.stop()
            throw error
        }
        self.gate = gate
        let metrics = RelayMetrics(labelsByKey: !configuration.auth.keys.isEmpty)
        self.metrics = metrics
        var usageLog: UsageLog?
        if let path = configuration.log.usageFile {
            do {
                usageLog = try UsageLog(path: path, maxBytes: configuration.log.usageFileMaxBytes, keep: configuration.log.usageFileKeep,
                                        maxQueued: configuration.log.usageQueueRecords, logger: logger,
                                        onLoss: { metrics.usageRecordLost($0.rawValue) })
            } catch {
                simulator?.stop()
                throw error
            }
        }
        self.usageLog = usageLog
        let budgetPolicy: BudgetPolicy?
        do {
            budgetPolicy = try Self.budgetPolicy(configuration)
        } catch {
            simulator?.stop()
            throw error
        }
        let streams = StreamFactory(upstream: upstream, settings: configuration.stream, defaultModel: configuration.upstream.defaultModel,
                                    registry: registry, gate: gate, metrics: metrics, logger: logger, usageLog: usageLog,
                                    tracer: tracing.tracer)
        let engine: any StreamEngine
        do {
            engine = try Self.makeEngine(configuration, loops: group.loops, streams: streams, logger: logger, metrics: metrics)
        } catch {
            simulator?.stop()
            throw error
        }
        self.engine = engine
        engine.shareLimits(gate: gate, pool: upstream.pool, configuration: configuration)
        let budgets = budgetPolicy.map {
            engine.makeBudgetLedger(policy: $0, auth: configuration.auth, usageFile: usageLog?.path, logger: logger)
        }
        streams.budgets = budgets
        if let budgets { Self.addBudgetGauges(budgets, metrics: metrics) }
        let health = HealthHandler(upstreamMode: upstream.mode.rawValue, authMode: gate.isAuthEnabled ? "on" : "off",
                                   isDraining: { serverBox.server?.lifecycleState == .draining },
                                   engineState: { (engine.name, engine.status) })
        router.add(.get, "/healthz", health.handle)
        ChatHandler(streams: streams, engine: engine).register(in: &router)
        OpenAIHandler(streams: streams).register(in: &router)
        UsageHandler(budgets: budgets, gate: gate, adminKeyHashes: configuration.auth.adminKeyHashes.map(ClientGate.bytes(hex:)))
            .register(in: &router)
        router.add(.get, "/metrics") { _, writer in
            writer.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8",
                                                               "Cache-Control": "no-store"], body: metrics.render()))
        }
        let files = StaticFileHandler(directory: configuration.server.publicDirectory)
        router.add(.get, "/*", files.handle)
        metrics.prepare(routes: router.patterns + ["unmatched"],
                        requests: router.successes.map { ($0.route, $0.method.rawValue, $0.status.code) },
                        models: upstream.models.models.map(\.name), keys: gate.keyNames)
        tracing.addMetrics(to: metrics)
        self.server = RelayServer(configuration: configuration, router: router, logger: logger, group: group, metrics: metrics,
                                  tracer: tracing.tracer)
        serverBox.server = server
        let registry = self.registry
        metrics.addStateGauges {
            let connections = serverBox.server?.connectionCount ?? 0
            return [
                GaugeSample(name: "relay_active_connections", help: "Open client connections.", value: Double(connections)),
                GaugeSample(name: "relay_active_streams", help: "Chat streams holding a slot (live upstream or waiting for a reconnect).", value: Double(gate.openStreams)),
                GaugeSample(name: "relay_registered_streams", help: "Streams reachable by id (live or inside their replay window).", value: Double(registry.count)),
                GaugeSample(name: "relay_replay_buffer_bytes", help: "Bytes held by all replay buffers.", value: Double(registry.budget.usedBytes)),
                GaugeSample(name: "relay_upstream_queued_requests", help: "Requests waiting for a free Spark app.", value: Double(upstream.pool.queued)),
            ] + upstream.pool.state.flatMap { app in [
                GaugeSample(name: "relay_credential_up", help: "1 when the Spark app is usable, 0 while it cools off after a failure.",
                            labels: [("app", app.appID)], value: app.up ? 1 : 0),
                GaugeSample(name: "relay_credential_in_flight", help: "Conversations running on the Spark app.",
                            labels: [("app", app.appID)], value: Double(app.active)),
            ] }
        }
    }

    /// `auto` means Spark when all three credentials (or the HTTP API's password) are set, else the
    /// built-in simulator.
    public static func resolveUpstreamMode(_ upstream: RelayConfiguration.Upstream) -> UpstreamMode {
        switch upstream.mode {
        case .spark, .simulator:
            return upstream.mode
        case .auto:
            let complete = [upstream.appID, upstream.apiKey, upstream.apiSecret].allSatisfy { !($0 ?? "").isEmpty }
            return complete || !(upstream.apiPassword ?? "").isEmpty ? .spark : .simulator
        }
    }

    /// Starts listening; returns the bound address. First raises the open-file limit to the hard
    /// limit (see `descriptorLimit`).
    @discardableResult
    public func start() throws -> SocketAddress {
        let limit = FileDescriptorLimit.raiseToHardLimit()
        raisedDescriptorLimit.withLock { $0 = limit }
        let address = try server.start()
        engine.start()
        return address
    }

    /// The open-file limit after `start()` raised it.
    public var descriptorLimit: FileDescriptorLimit? { raisedDescriptorLimit.withLock { $0 } }
    private let raisedDescriptorLimit = Mutex<FileDescriptorLimit?>(nil)

    /// Logs the effective open-file limit once, and warns when the configured bounds need more
    /// descriptors than it allows. Call after the listening line (which must stay the first line).
    public func logDescriptorLimit() {
        guard let limit = descriptorLimit else { return }
        if let error = limit.raiseError {
            logger.notice("cannot raise the open-file limit: keeping the soft limit", metadata: [
                "limit": "\(limit.soft)", "hard_limit": "\(limit.hard)", "error": "\(error)"])
        } else {
            logger.info("open-file limit", metadata: ["limit": "\(limit.soft)", "raised_from": "\(limit.previousSoft)"])
        }
        let needed = Self.descriptorsNeeded(configuration, upstreamMode: upstreamMode)
        if needed > limit.soft {
            logger.warning(
                "the open-file limit is below what the configured bounds can use: past it new connections wait in the kernel's queue; lower server.max_connections / limits.max_streams or raise the hard limit (ulimit -Hn, systemd LimitNOFILE=)",
                metadata: ["limit": "\(limit.soft)", "needed": "\(needed)",
                           "server.max_connections": "\(configuration.server.maxConnections)",
                           "limits.max_streams": "\(configuration.limits.maxStreams)"])
        }
    }

    /// Descriptors the bounds allow the relay to hold: every client connection, one upstream socket
    /// per stream (two with the embedded simulator, which holds the other end), and a reserve for
    /// listeners, logs, DNS and files.
    static func descriptorsNeeded(_ configuration: RelayConfiguration, upstreamMode: UpstreamMode) -> UInt64 {
        let connections = UInt64(configuration.server.maxConnections)
        let streams = configuration.limits.maxStreams > 0 ? min(UInt64(configuration.limits.maxStreams), connections) : connections
        let perStream: UInt64 = upstreamMode == .simulator ? 2 : 1
        return connections + streams * perStream + 64
    }

    /// Logs where spans go, once at start, when this relay exports them (the collector's header
    /// fields are never logged: they may hold its credentials).
    public func logTracing() {
        guard let exporter = tracing.exporter else { return }
        logger.info("tracing: exporting spans with OTLP/HTTP", metadata: [
            "endpoint": "\(exporter.configuration.endpoint)",
            "service_name": "\(exporter.configuration.serviceName)",
            "sample_ratio": "\(ConfigSetting.jsonNumber(configuration.tracing.sampleRatio))",
            "headers": "\(exporter.configuration.headers.count)",
        ])
    }

    /// The loud warning for an open relay: a non-loopback address with client API keys off.
    public func exposureWarning(for address: SocketAddress) -> String? {
        guard !address.isLoopback, !gate.isAuthEnabled else { return nil }
        return "LISTENING ON A NON-LOOPBACK ADDRESS WITH CLIENT API KEYS OFF: anyone who can reach \(address) spends this Spark quota. Turn on auth.enabled with auth.api_key_hashes in the config."
    }

    /// The shutdown policy for SIGTERM/SIGINT: the first signal runs `shutdown` (the server's drain,
    /// then the streams this relay runs for readers on other relays, then leaving the engine); a
    /// second one during it exits at once. `onStopped` runs when the shutdown is over.
    public func handleSignal(_ signalNumber: Int32, onStopped: @escaping @Sendable () -> Void) {
        if signalNumber == SIGHUP {
            // logrotate moved the usage file: start a new one. Nothing else reloads.
            usageLog?.reopen()
            return
        }
        switch server.lifecycleState {
        case .draining:
            logger.warning("second signal: exiting now")
            exit(1)
        case .idle, .stopped:
            onStopped()
        case .running:
            logger.notice("signal received, shutting down", metadata: ["signal": "\(signalNumber)"])
            shutdown(completion: onStopped)
        }
    }

    /// Drains the server, waits for the streams this relay owns for readers elsewhere, leaves the
    /// engine, then stops the embedded simulator.
    public func shutdown(completion: @escaping @Sendable () -> Void = {}) {
        let simulator = self.simulator
        let engine = self.engine
        let usageLog = self.usageLog
        let tracing = self.tracing
        let logger = self.logger
        let drainTimeout = configuration.server.drainTimeout
        server.shutdown {
            // Streams this relay runs for readers on other relays have no connection here: let them
            // finish too (bounded like the drain) before this relay leaves Redis.
            engine.waitForOwnedStreams(timeout: drainTimeout)
            engine.shutdown()
            usageLog?.flush()
            simulator?.stop()
            // Last: the spans of everything above are ended by now.
            tracing.shutdown(logger: logger, completion)
        }
    }

    /// Starts the simulator on 127.0.0.1 with fresh random credentials and returns settings that
    /// reach it through `ws://` and, for HTTP-protocol models, `http://` on the same port.
    public static func startEmbeddedSimulator(_ upstream: RelayConfiguration.Upstream, group: EventLoopGroup,
                                       logger: Logger) throws -> (SimulatorServer, UpstreamSettings) {
        let credentials = SparkCredentials(appID: "sim" + SecureRandom.hex(byteCount: 3).prefix(5),
                                           apiKey: SecureRandom.hex(byteCount: 16),
                                           apiSecret: SecureRandom.hex(byteCount: 16))
        let models = try UpstreamSettings.modelTable(from: upstream)
        let configuration = SimulatorConfiguration(host: "127.0.0.1", port: 0, credentials: [credentials], models: models,
                                                   chunkDelay: upstream.simulatorChunkDelay)
        // The embedded simulator only speaks up for problems: the relay's first log line must stay
        // the one that names its own address.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let simulator = SimulatorServer(configuration: configuration, group: group, logger: quiet)
        let address = try simulator.start()
        let base = SparkEndpoint(scheme: "ws", host: "127.0.0.1", port: address.port, path: "/")
        let httpBase = SparkHTTPBase(scheme: "http", host: "127.0.0.1", port: address.port)
        let settings = try UpstreamSettings.make(from: upstream, mode: .simulator, credentials: credentials, base: base, httpBase: httpBase)
        return (simulator, settings)
    }
}

/// Lets handlers created before the server refer to it.
private final class ServerBox: Sendable {
    private let stored = Mutex<RelayServer?>(nil)

    var server: RelayServer? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
