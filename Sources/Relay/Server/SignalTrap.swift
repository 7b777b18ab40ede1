import Dispatch
import Foundation

/// Catches SIGINT and SIGTERM through Dispatch signal sources. Install it first thing in `main`,
/// before any other thread exists: the signals are blocked for the process before the sources are
/// created, so one that arrives early is held and delivered to the handler instead of killing the
/// process or being lost.
public final class SignalTrap: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "spark-relay.signals")

    /// `handler` runs on a private queue for every signal received.
    public init(signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (Int32) -> Void) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signalNumber in signals { sigaddset(&mask, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        for signalNumber in signals {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { handler(signalNumber) }
            source.resume()
            sources.append(source)
            // Threads created before the mask (none in the relay) must not run the default action either.
            signal(signalNumber, SIG_IGN)
        }
    }
}
