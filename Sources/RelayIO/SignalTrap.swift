#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Takes SIGINT and SIGTERM synchronously, with `sigwait` on the main thread. Create it first thing
/// in `main`, before any other thread exists: it blocks the signals, every thread created later
/// inherits the mask, so a signal that arrives while starting is held (never killing the process
/// half-way), and no other thread can receive it; `waitForever` then takes each one in turn.
///
/// Dispatch signal sources are deliberately not used: they need the signal ignored, and
/// `dispatchMain()` parks the main thread in `sigsuspend` with an empty mask, where the kernel then
/// discarded about one SIGTERM in three (the relay never drained, and systemd would SIGKILL it).
public struct SignalTrap: Sendable {
    /// The signals taken.
    public let signals: [Int32]

    /// Blocks `signals` for this thread and every thread it creates from now on.
    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        self.signals = signals
        var mask = Self.mask(signals)
        pthread_sigmask(SIG_BLOCK, &mask, nil)
    }

    /// Calls `handler` on the calling thread for every signal taken, forever. `handler` must return
    /// promptly (start a shutdown, do not wait for it): the next signal is taken only after it.
    public func waitForever(_ handler: (Int32) -> Void) -> Never {
        var mask = Self.mask(signals)
        while true {
            var received: Int32 = 0
            if sigwait(&mask, &received) == 0 { handler(received) }
        }
    }

    private static func mask(_ signals: [Int32]) -> sigset_t {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signalNumber in signals { sigaddset(&mask, signalNumber) }
        return mask
    }
}
