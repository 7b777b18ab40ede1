#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the operation's name and `errno`. Never carries addresses, URLs or payloads.
public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value the call failed with.
    public var errnoCode: Int32
    /// The call that failed, such as `"bind"` or `"connect"`.
    public var operation: String

    public init(errnoCode: Int32, operation: String) {
        self.errnoCode = errnoCode
        self.operation = operation
    }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(errnoCode))) (errno \(errnoCode))"
    }

    /// `true` for errors that mean the peer went away (reset, broken pipe, not connected).
    public var isDisconnect: Bool {
        errnoCode == ECONNRESET || errnoCode == EPIPE || errnoCode == ENOTCONN || errnoCode == ECONNABORTED
    }
}
