import Foundation

/// Blocking TCP sockets to 127.0.0.1 for the bench's few control exchanges (health polling,
/// endpoint probes, Redis control commands), on the bench's main thread, never on an event loop.
enum LoopbackSocket {
    /// Why a connection could not be made: the call that failed and `strerror`'s text.
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let reason: String
        var description: String { "\(call): \(reason)" }
    }

    /// 127.0.0.1:`port` (0: any port).
    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A descriptor connected to 127.0.0.1:`port`, every send and receive on it bounded by
    /// `timeoutMs`; the caller closes it.
    static func connect(port: Int, timeoutMs: Int) throws(Failure) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", reason: String(cString: strerror(errno))) }
        var timeout = timeval(tv_sec: timeoutMs / 1000, tv_usec: Int((timeoutMs % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(call: "connect", reason: reason)
        }
        return fd
    }
}
