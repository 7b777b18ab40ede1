#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a listener does after `accept` failed, and for how long it stops accepting. A value with no
/// I/O: the listener feeds it outcomes and carries out the pauses.
///
/// Out of descriptors or kernel memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the pending
/// connection stays in the kernel's queue, so the listening socket stays readable: retrying at once
/// would spin. Instead accepting pauses for 5 ms, doubling on each further failure up to 1 s (the
/// schedule of Go's `net/http` `Server.Serve`), and the first success resets it.
public struct AcceptBackoff: Sendable, Equatable {
    /// What to do about one failed `accept`.
    public enum Action: Sendable, Equatable {
        /// The connection died in the queue (Linux reports some network errors on `accept`): take the next one.
        case skip
        /// Stop accepting for this many seconds (the error is reported).
        case pause(Double)
    }

    /// The first pause, in seconds.
    public static let initialDelay = 0.005
    /// The longest pause, in seconds.
    public static let maximumDelay = 1.0

    private var nextDelay = AcceptBackoff.initialDelay

    public init() {}

    /// The action for an `accept` that failed with `errnoCode`.
    public mutating func failed(errnoCode: Int32) -> Action {
        if Self.isTransient(errnoCode) { return .skip }
        let delay = nextDelay
        nextDelay = min(nextDelay * 2, Self.maximumDelay)
        return .pause(delay)
    }

    /// An `accept` succeeded: the next failure pauses briefly again.
    public mutating func succeeded() {
        nextDelay = Self.initialDelay
    }

    /// The pause the next failure would get.
    public var upcomingDelay: Double { nextDelay }

    /// `true` for the errors that mean the system is out of descriptors or memory.
    public static func isResourceExhaustion(_ errnoCode: Int32) -> Bool {
        errnoCode == EMFILE || errnoCode == ENFILE || errnoCode == ENOBUFS || errnoCode == ENOMEM
    }

    /// Errors of one queued connection, not of the listener (accept(2): "treat them like EAGAIN by retrying").
    static func isTransient(_ errnoCode: Int32) -> Bool {
        [ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH]
            .contains(errnoCode)
    }
}
