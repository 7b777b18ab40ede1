/// A Spark WebSocket endpoint: `ws`/`wss`, host, optional non-default port and path.
/// `--spark-base-url` (README.md, "Command line") swaps scheme, host and port via `replacingBase(with:)`.
public struct SparkEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `ws` or `wss`, lowercase.
    public var scheme: String
    /// Host name or IP literal, without IPv6 brackets.
    public var host: String
    /// The port, `nil` when it is the scheme's default (80 for `ws`, 443 for `wss`).
    public var port: Int?
    /// The absolute path, starting with `/`, no query.
    public var path: String

    /// Creates an endpoint. A `port` equal to the scheme's default is normalised to `nil`.
    public init(scheme: String, host: String, port: Int? = nil, path: String) {
        self.scheme = scheme.lowercased()
        self.host = host
        self.path = path.isEmpty ? "/" : path
        let defaultPort = Self.defaultPort(for: self.scheme)
        self.port = port == defaultPort ? nil : port
    }

    /// Parses `ws://host[:port]/path` or `wss://…`. IPv6 literals must be bracketed
    /// (`ws://[::1]:8081/v1.1/chat`). Rejects other schemes, user info, query, fragment, an empty
    /// host, a bad port and bytes that cannot appear in a request line; an empty path becomes `/`.
    public init?(url: String) {
        let bytes = Array(url.utf8)
        guard let schemeEnd = bytes.firstIndex(of: UInt8(ascii: ":")),
              bytes.count >= schemeEnd + 3, bytes[schemeEnd + 1] == UInt8(ascii: "/"), bytes[schemeEnd + 2] == UInt8(ascii: "/")
        else { return nil }
        let scheme = String(decoding: bytes[..<schemeEnd], as: UTF8.self).lowercased()
        guard scheme == "ws" || scheme == "wss" else { return nil }
        let rest = bytes[(schemeEnd + 3)...]
        guard !rest.contains(UInt8(ascii: "?")), !rest.contains(UInt8(ascii: "#")), !rest.contains(UInt8(ascii: "@")),
              !rest.contains(where: { $0 <= 0x20 || $0 == 0x7F })
        else { return nil }
        let authorityEnd = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        let path = String(decoding: rest[authorityEnd...], as: UTF8.self)
        guard let (host, port) = Self.splitAuthority(authority) else { return nil }
        self.init(scheme: scheme, host: host, port: port, path: path)
    }

    /// The URL authority as it goes into the signature and the `host` parameter: the host (IPv6
    /// literals in brackets) plus `:port` when the port is not the scheme's default.
    public var authority: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        if let port { return "\(hostPart):\(port)" }
        return hostPart
    }

    /// The port to connect to.
    public var effectivePort: Int { port ?? Self.defaultPort(for: scheme) }

    /// `true` for `wss`.
    public var isSecure: Bool { scheme == "wss" }

    /// The unsigned URL (no secrets in it).
    public var url: String { "\(scheme)://\(authority)\(path)" }

    /// Same as `url`.
    public var description: String { url }

    /// This endpoint's path on `base`'s scheme, host and port (`--spark-base-url`: base
    /// `wss://127.0.0.1:9443` + `/v3.5/chat` → `wss://127.0.0.1:9443/v3.5/chat`). `base.path` is ignored.
    public func replacingBase(with base: SparkEndpoint) -> SparkEndpoint {
        SparkEndpoint(scheme: base.scheme, host: base.host, port: base.port, path: path)
    }

    /// 80 for `ws`, 443 for `wss` (RFC 6455 §3).
    public static func defaultPort(for scheme: String) -> Int {
        scheme == "wss" ? 443 : 80
    }

    private static func splitAuthority(_ authority: ArraySlice<UInt8>) -> (String, Int?)? {
        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return nil }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.contains(UInt8(ascii: ":")),
                  host.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return nil }
        } else {
            if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
                host = authority[authority.startIndex..<colon]
                portText = authority[(colon + 1)...]
            } else {
                host = authority
            }
            guard !host.isEmpty, host.allSatisfy({ isHostByte($0) }) else { return nil }
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(value)
            else { return nil }
            port = value
        }
        return (String(decoding: host, as: UTF8.self), port)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }
}
