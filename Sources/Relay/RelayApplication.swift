import Foundation
import HTTPCodec
import Logging
import RelayIO

/// Puts the relay together from a configuration: routes, handlers, and the server.
public final class RelayApplication: @unchecked Sendable {
    public let configuration: RelayConfiguration
    public let server: RelayServer
    /// The upstream actually used (`auto` resolved).
    public let upstreamMode: UpstreamMode
    private let logger: Logger

    public init(configuration: RelayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.upstreamMode = Self.resolveUpstreamMode(configuration.upstream)
        var router = Router()
        let serverBox = ServerBox()
        let health = HealthHandler(upstreamMode: upstreamMode.rawValue, authMode: "off",
                                   isDraining: { serverBox.server?.lifecycleState == .draining })
        router.add(.get, "/healthz", health.handle)
        let files = StaticFileHandler(directory: configuration.server.publicDirectory)
        router.add(.get, "/*", files.handle)
        self.server = RelayServer(configuration: configuration, router: router, logger: logger)
        serverBox.server = server
    }

    /// `auto` means Spark when all three credentials are set, else the built-in simulator.
    public static func resolveUpstreamMode(_ upstream: RelayConfiguration.Upstream) -> UpstreamMode {
        switch upstream.mode {
        case .spark, .simulator:
            return upstream.mode
        case .auto:
            let complete = [upstream.appID, upstream.apiKey, upstream.apiSecret].allSatisfy { !($0 ?? "").isEmpty }
            return complete ? .spark : .simulator
        }
    }

    /// Starts listening; returns the bound address.
    @discardableResult
    public func start() throws -> SocketAddress {
        try server.start()
    }
}

/// Lets handlers created before the server refer to it.
private final class ServerBox: @unchecked Sendable {
    var server: RelayServer?
}
