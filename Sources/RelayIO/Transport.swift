/// A failure of a byte transport: a system call error, or a TLS failure with OpenSSL's reason.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case io(IOError)
    case tls(String)

    public var description: String {
        switch self {
        case .io(let error): return error.description
        case .tls(let reason): return "TLS: \(reason)"
        }
    }

    /// `true` when the error only means the peer went away.
    public var isDisconnect: Bool {
        if case .io(let error) = self { return error.isDisconnect }
        return false
    }
}

/// A byte stream over a non-blocking socket: plain TCP or TLS (redis' `ConnectionType`).
///
/// Confined to one event loop; `StreamChannel` drives it from read/write readiness.
public protocol Transport: AnyObject {
    /// The socket underneath.
    var socket: Socket { get }
    /// Reads decrypted bytes into `buffer`; `.processed(0)` is the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult<Int>
    /// Writes bytes; returns how many were taken.
    func write(_ buffer: UnsafeRawBufferPointer) throws(TransportError) -> IOResult<Int>
    /// Bytes already read from the socket and waiting inside the transport (TLS records): the poller
    /// will not signal them, so the channel drains them before waiting again.
    var hasBufferedReadData: Bool { get }
    /// `true` when the last read could not proceed until the socket is writable (TLS).
    var readWantsWritable: Bool { get }
    /// `true` when the last write could not proceed until the socket is readable (TLS).
    var writeWantsReadable: Bool { get }
    /// Sends the transport's orderly end (TLS close_notify, then FIN).
    func shutdownWrite()
    /// Releases the transport's resources; the caller closes the socket.
    func release()
}

/// Plain TCP.
public final class TCPTransport: Transport {
    public let socket: Socket

    public init(socket: Socket) {
        self.socket = socket
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult<Int> {
        do { return try socket.read(into: buffer) } catch { throw .io(error) }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(TransportError) -> IOResult<Int> {
        do { return try socket.write(buffer) } catch { throw .io(error) }
    }

    public var hasBufferedReadData: Bool { false }
    public var readWantsWritable: Bool { false }
    public var writeWantsReadable: Bool { false }

    public func shutdownWrite() {
        socket.shutdownWrite()
    }

    public func release() {}
}
