import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Name resolution off the event loop: `getaddrinfo` runs on a global queue and the result comes
/// back on the caller's loop. IP literals resolve at once without a lookup.
public enum Resolver {
    /// A failed lookup, with `gai_strerror`'s text.
    public struct ResolveError: Error, Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var reason: String
        public var description: String { "cannot resolve '\(host)': \(reason)" }
    }

    /// Resolves `host` to TCP addresses (IPv4 first, then IPv6) and calls `completion` on `loop`.
    public static func resolve(host: String, port: Int, on loop: EventLoop,
                               completion: @escaping @Sendable (Result<[SocketAddress], ResolveError>) -> Void) {
        if let literal = SocketAddress(ipAddress: host, port: port) {
            loop.execute { completion(.success([literal])) }
            return
        }
        DispatchQueue.global().async {
            let result = lookup(host: host, port: port)
            loop.execute { completion(result) }
        }
    }

    /// The blocking lookup itself; never call it on an event loop.
    static func lookup(host: String, port: Int) -> Result<[SocketAddress], ResolveError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(ResolveError(host: host, reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(first) }
        var v4: [SocketAddress] = []
        var v6: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen)))
                }
                if let socketAddress = SocketAddress(storage: storage), !(v4 + v6).contains(socketAddress) {
                    if socketAddress.family == AF_INET { v4.append(socketAddress) } else { v6.append(socketAddress) }
                }
            }
            cursor = entry.pointee.ai_next
        }
        let all = v4 + v6
        return all.isEmpty ? .failure(ResolveError(host: host, reason: "no addresses")) : .success(all)
    }
}
