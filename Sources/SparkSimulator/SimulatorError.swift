import RelayIO

/// Why a `SimulatorServer` could not start.
public enum SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host is neither an IP literal nor `localhost`.
    case invalidHost(String)
    /// Binding or listening failed.
    case bind(IOError)
    /// The TLS certificate or key could not be loaded.
    case tls(TransportError)
    /// `start()` was called twice.
    case alreadyStarted

    public var description: String {
        switch self {
        case .invalidHost(let host): "spark-sim: '\(host)' is not an IP address (or localhost)"
        case .bind(let error): "spark-sim: cannot listen: \(error)"
        case .tls(let error): "spark-sim: TLS setup failed: \(error)"
        case .alreadyStarted: "spark-sim: already started"
        }
    }
}
