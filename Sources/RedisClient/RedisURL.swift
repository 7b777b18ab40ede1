/// A parsed `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS) URL.
///
/// User and password may be percent-encoded (`%40` for `@`). The password is a credential:
/// `description` never shows it, and callers that take the password from the environment
/// (`SPARK_RELAY_REDIS_PASSWORD`) replace it with `withPassword(_:)`.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// `true` for `rediss://`.
    public var isSecure: Bool
    /// Host name or IP literal (IPv6 without brackets).
    public var host: String
    /// Port; 6379 when absent.
    public var port: Int
    /// The ACL user, if given (`HELLO 3 AUTH` uses `default` when only a password is set).
    public var user: String?
    /// The password, if given.
    public var password: String?
    /// The database index selected after connecting; 0 when absent.
    public var database: Int

    /// Why a URL was refused; the message never repeats the password.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// The message.
        public var description: String { message }
    }

    /// The default Redis port.
    public static let defaultPort = 6379

    /// Parses `string`; throws a `ParseError` naming the part that is wrong.
    public init(parsing string: String) throws(ParseError) {
        let lower = string.lowercased()
        let rest: Substring
        if lower.hasPrefix("rediss://") {
            isSecure = true
            rest = string.dropFirst(9)
        } else if lower.hasPrefix("redis://") {
            isSecure = false
            rest = string.dropFirst(8)
        } else {
            throw ParseError(message: "a Redis URL starts with redis:// or rediss://")
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw ParseError(message: "a Redis URL takes no query or fragment")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]

        user = nil
        password = nil
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let userPart: Substring
            if let colon = userInfo.firstIndex(of: ":") {
                userPart = userInfo[..<colon]
                password = try Self.percentDecode(userInfo[userInfo.index(after: colon)...], what: "password")
            } else {
                userPart = userInfo
            }
            if !userPart.isEmpty { user = try Self.percentDecode(userPart, what: "user") }
        }

        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ParseError(message: "unclosed '[' in the Redis URL's host")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ParseError(message: "unexpected text after the Redis URL's IPv6 host") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw ParseError(message: "the Redis URL has no host") }
        guard hostPart.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "@" && $0 != "/" }) else {
            throw ParseError(message: "the Redis URL's host has invalid characters")
        }
        host = String(hostPart)
        if let portPart {
            guard portPart.allSatisfy({ $0 >= "0" && $0 <= "9" }), let value = Int(portPart), (1...65535).contains(value) else {
                throw ParseError(message: "the Redis URL's port must be 1-65535")
            }
            port = value
        } else {
            port = Self.defaultPort
        }

        let dbText = path.dropFirst()
        if dbText.isEmpty {
            database = 0
        } else {
            guard dbText.allSatisfy({ $0 >= "0" && $0 <= "9" }), dbText.count <= 5, let value = Int(dbText) else {
                throw ParseError(message: "the Redis URL's path must be a database number (/0, /1, …)")
            }
            database = value
        }
    }

    /// The same URL with `password` replacing the URL's own (the `SPARK_RELAY_REDIS_PASSWORD`
    /// hook); `nil` keeps the URL's password.
    public func withPassword(_ password: String?) -> RedisURL {
        guard let password else { return self }
        var copy = self
        copy.password = password
        return copy
    }

    /// `redis://user:<redacted>@host:port/db`: the password is never shown.
    public var description: String {
        let scheme = isSecure ? "rediss" : "redis"
        var userInfo = ""
        if user != nil || password != nil {
            userInfo = (user ?? "") + (password != nil ? ":<redacted>" : "") + "@"
        }
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(userInfo)\(hostText):\(port)/\(database)"
    }

    private static func percentDecode(_ text: Substring, what: String) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw ParseError(message: "invalid percent-encoding in the Redis URL's \(what)")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(message: "the Redis URL's \(what) is not UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
