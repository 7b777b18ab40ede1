/// A parsed `ws://` or `wss://` URL (RFC 6455 §3): what a client connects to and what it puts in
/// the request line. The project's one URL parser: Spark endpoints (`SparkEndpoint`) are these
/// without a query.
public struct WebSocketURL: Sendable, Equatable, CustomStringConvertible {
    /// `true` for `wss`.
    public var isSecure: Bool
    /// Host name or IP literal (IPv6 without brackets).
    public var host: String
    /// Port (defaults 80 / 443).
    public var port: Int
    /// Path plus query, as sent in the request line (at least `/`).
    public var requestTarget: String

    /// Parses `ws://host[:port]/path?query` or `wss://…`; `nil` for anything else (userinfo and
    /// fragments are refused: RFC 6455 §3 forbids fragments).
    public init?(_ string: String) {
        // On UTF-8 bytes: a signed URL's query is hundreds of bytes, and this runs per upstream connection.
        let bytes = Array(string.utf8)
        func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        func hasPrefix(_ prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard bytes.count >= count else { return false }
            let start = prefix.utf8Start
            for index in 0..<count where lower(bytes[index]) != start[index] { return false }
            return true
        }
        let schemeEnd: Int
        if hasPrefix("wss://") {
            isSecure = true
            schemeEnd = 6
        } else if hasPrefix("ws://") {
            isSecure = false
            schemeEnd = 5
        } else {
            return nil
        }
        let rest = bytes[schemeEnd...]
        guard !rest.contains(UInt8(ascii: "#")) else { return nil }
        let authorityEnd = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? rest.endIndex
        let authority = bytes[schemeEnd..<authorityEnd]
        let target = bytes[authorityEnd...]
        // Visible ASCII only (RFC 9112 §3.2 request-target).
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }
        var hostPart = authority
        var portPart: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostPart = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return nil }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: UInt8(ascii: ":")) {
            hostPart = authority[..<colon]
            portPart = authority[(colon + 1)...]
        }
        if authority.first == UInt8(ascii: "[") {
            // An IPv6 literal: hex digits, colons and a dotted IPv4 tail.
            guard hostPart.contains(UInt8(ascii: ":")),
                  hostPart.allSatisfy({ Self.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return nil }
        } else {
            // A DNS name or IPv4 address (RFC 3986 reg-name without escapes and sub-delimiters).
            guard hostPart.allSatisfy(Self.isHostByte) else { return nil }
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(decoding: hostPart, as: UTF8.self)
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(String(decoding: portPart, as: UTF8.self)), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = isSecure ? 443 : 80
        }
        if target.isEmpty {
            requestTarget = "/"
        } else if target.first == UInt8(ascii: "?") {
            requestTarget = "/" + String(decoding: target, as: UTF8.self)
        } else {
            requestTarget = String(decoding: target, as: UTF8.self)
        }
    }

    /// A URL from its parts (`requestTarget`: path and query, starting with `/`).
    public init(isSecure: Bool, host: String, port: Int, requestTarget: String) {
        self.isSecure = isSecure
        self.host = host
        self.port = port
        self.requestTarget = requestTarget
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    /// `true` when the request target carries a query.
    public var hasQuery: Bool { requestTarget.utf8.contains(UInt8(ascii: "?")) }

    /// The path without the query.
    public var path: String {
        if let question = requestTarget.firstIndex(of: "?") { return String(requestTarget[..<question]) }
        return requestTarget
    }

    /// `host[:port]` as the `Host` header wants it (port only when not the default).
    public var authority: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        let defaultPort = isSecure ? 443 : 80
        return port == defaultPort ? hostText : "\(hostText):\(port)"
    }

    /// Scheme, authority and path only: the query of a signed URL is a credential and never printed.
    public var description: String {
        "\(isSecure ? "wss" : "ws")://\(authority)\(path)"
    }
}
