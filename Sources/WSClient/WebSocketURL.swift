/// A parsed `ws://` or `wss://` URL: what the client connects to and what it puts in the request.
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
        let lower = string.prefix(6).lowercased()
        let rest: Substring
        if lower.hasPrefix("wss://") {
            isSecure = true
            rest = string.dropFirst(6)
        } else if lower.hasPrefix("ws://") {
            isSecure = false
            rest = string.dropFirst(5)
        } else {
            return nil
        }
        // Byte-wise searches: the query of a signed URL is long, and Character searches are slow.
        guard !rest.utf8.contains(UInt8(ascii: "#")) else { return nil }
        let authorityEnd = rest.utf8.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var hostPart = Substring(authority)
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = isSecure ? 443 : 80
        }
        // Visible ASCII only (RFC 9112 §3.2 request-target): checked on bytes, since a signed URL's
        // query is hundreds of characters and grapheme-by-grapheme checks cost ~400k instructions.
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        requestTarget = target
    }

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
