/// Scheme, host and port of a Spark HTTP API server (`https://spark-api-open.xf-yun.com`, or a local
/// simulator such as `http://127.0.0.1:9443`); model paths are appended to it (SparkCodec/README.md §10).
public struct SparkHTTPBase: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `http` or `https`, lowercase.
    public var scheme: String
    /// Host name or IP literal, without IPv6 brackets.
    public var host: String
    /// The port, `nil` when it is the scheme's default (80 for `http`, 443 for `https`).
    public var port: Int?

    /// Creates a base. A `port` equal to the scheme's default is normalised to `nil`.
    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = scheme.lowercased()
        self.host = host
        self.port = port == Self.defaultPort(for: self.scheme) ? nil : port
    }

    /// Parses `http://host[:port]` or `https://…` (IPv6 literals bracketed); a trailing path is
    /// ignored, a query, fragment, user info, empty host or bad port is refused.
    public init?(url: String) {
        let schemeEnd = url.firstRange(of: "://")
        guard let schemeEnd else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" })
        guard !authority.isEmpty, !authority.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" }) else { return nil }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { portText = parts[1] }
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty else { return nil }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText),
                  (1...65535).contains(value) else { return nil }
            port = value
        }
        self.init(scheme: scheme, host: String(host), port: port)
    }

    /// The `Host` header value: the host (IPv6 literals in brackets) plus `:port` when not the default.
    public var authority: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        if let port { return "\(hostPart):\(port)" }
        return hostPart
    }

    /// The port to connect to.
    public var effectivePort: Int { port ?? Self.defaultPort(for: scheme) }

    /// `true` for `https`.
    public var isSecure: Bool { scheme == "https" }

    /// `scheme://authority` + `path`.
    public func url(path: String) -> String { "\(scheme)://\(authority)\(path)" }

    /// `scheme://authority`.
    public var description: String { "\(scheme)://\(authority)" }

    /// 443 for `https`, 80 otherwise.
    public static func defaultPort(for scheme: String) -> Int {
        scheme == "https" ? 443 : 80
    }
}
