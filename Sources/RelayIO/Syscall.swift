#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of a non-blocking system call: done, or it would have blocked.
public enum IOResult<Value: Sendable>: Sendable {
    case processed(Value)
    case wouldBlock
}

/// Runs one system call the way every socket call in the project is run: retries `EINTR`,
/// maps `EAGAIN`/`EWOULDBLOCK` to `.wouldBlock`, and throws `IOError` with errno and the operation name.
@inline(__always)
func syscall<T: BinaryInteger & Sendable>(_ operation: String, _ body: () -> T) throws(IOError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let code = errno
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK, EINPROGRESS:
            return .wouldBlock
        default:
            throw IOError(errnoCode: code, operation: operation)
        }
    }
}
