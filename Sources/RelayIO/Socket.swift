#if canImport(Glibc)
import CLinuxShim
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking socket file descriptor and the calls the project makes on it.
///
/// A value type over the descriptor: whoever owns the `Socket` closes it exactly once.
public struct Socket: Sendable, Hashable {
    /// The file descriptor.
    public let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// A new non-blocking, close-on-exec TCP socket of `family`.
    public static func makeTCP(family: Int32) throws(IOError) -> Socket {
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        let fd = Glibc.socket(family, type, 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, operation: "socket") }
        return Socket(descriptor: fd)
    }

    /// A listening socket bound to `address` (SO_REUSEADDR; IPv6 sockets are v6-only so that
    /// `::` and `0.0.0.0` can be bound side by side).
    public static func makeListening(address: SocketAddress, backlog: Int32) throws(IOError) -> Socket {
        let socket = try makeTCP(family: address.family)
        do throws(IOError) {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1, name: "setsockopt(SO_REUSEADDR)")
            if address.family == AF_INET6 {
                try socket.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, name: "setsockopt(IPV6_V6ONLY)")
            }
            let bound = address.withSockAddr { Glibc.bind(socket.descriptor, $0, $1) }
            guard bound == 0 else { throw IOError(errnoCode: errno, operation: "bind \(address)") }
            guard Glibc.listen(socket.descriptor, backlog) == 0 else {
                throw IOError(errnoCode: errno, operation: "listen")
            }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Sets an integer socket option.
    public func setOption(_ level: Int32, _ option: Int32, _ value: Int32, name: String) throws(IOError) {
        var value = value
        let result = setsockopt(descriptor, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        guard result == 0 else { throw IOError(errnoCode: errno, operation: name) }
    }

    /// Turns off Nagle's algorithm so that every streamed chunk leaves at once.
    public func setNoDelay() {
        try? setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1, name: "setsockopt(TCP_NODELAY)")
    }

    /// Sets `O_NONBLOCK`.
    public func setNonBlocking() throws(IOError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw IOError(errnoCode: errno, operation: "fcntl(O_NONBLOCK)")
        }
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket (one `accept4`, no
    /// `fcntl`s), or `.wouldBlock` when none is pending.
    public func accept() throws(IOError) -> IOResult<(Socket, SocketAddress?)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try syscall("accept4") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    spark_accept_nonblocking(descriptor, $0, &length)
                }
            }
        }
        switch result {
        case .wouldBlock:
            return .wouldBlock
        case .processed(let fd):
            return .processed((Socket(descriptor: fd), SocketAddress(storage: storage)))
        }
    }

    /// Starts a non-blocking connect; `.wouldBlock` means "in progress: wait for writable, then `connectResult()`".
    public func connect(to address: SocketAddress) throws(IOError) -> IOResult<Void> {
        let result = try syscall("connect") { address.withSockAddr { Glibc.connect(descriptor, $0, $1) } }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .processed: return .processed(())
        }
    }

    /// The outcome of a finished non-blocking connect (`SO_ERROR`).
    public func connectResult() throws(IOError) {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
            throw IOError(errnoCode: errno, operation: "getsockopt(SO_ERROR)")
        }
        if error != 0 { throw IOError(errnoCode: error, operation: "connect") }
    }

    /// Reads into `buffer`; `.processed(0)` is end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    }

    /// Writes from `buffer` (never raising SIGPIPE); returns how many bytes the kernel took.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(IOError) -> IOResult<Int> {
        try syscall("write") { Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Shuts down the write side (sends FIN) while reads may continue.
    public func shutdownWrite() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the descriptor.
    public func close() {
        _ = Glibc.close(descriptor)
    }

    /// The address the socket is bound to.
    public func localAddress() throws(IOError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0, let address = SocketAddress(storage: storage) else {
            throw IOError(errnoCode: errno, operation: "getsockname")
        }
        return address
    }
}
