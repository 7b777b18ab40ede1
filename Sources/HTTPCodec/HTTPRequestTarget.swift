/// The four request-target forms of RFC 9112 §3.2, split into path, query and authority.
struct HTTPRequestTarget: Sendable, Equatable {
    var path: String
    var query: String?
    var authority: String?

    /// Validates the target bytes for `method` and splits them (RFC 9112 §3.2).
    static func parse(_ bytes: ArraySlice<UInt8>, method: HTTPMethod) throws(HTTPParserError) -> HTTPRequestTarget {
        func invalid(_ why: String) -> HTTPParserError {
            HTTPParserError(.invalidTarget, "\(why): \(HTTPSyntax.snippet(bytes))")
        }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            guard HTTPSyntax.isTargetChar(b) else { throw invalid("invalid character in request-target") }
            if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, HTTPSyntax.isHexDigit(bytes[i + 1]), HTTPSyntax.isHexDigit(bytes[i + 2]) else {
                    throw invalid("bad percent-encoding in request-target")
                }
            }
            i += 1
        }
        let array = Array(bytes)
        if method == .connect {
            // RFC 9112 §3.2.3: CONNECT uses authority-form only: uri-host ":" port.
            guard HTTPAuthority.isValid(array[...], requirePort: true), !array.contains(UInt8(ascii: "@")) else {
                throw invalid("CONNECT requires an authority-form target (host:port)")
            }
            return split(array, method: method)
        }
        if array.first == UInt8(ascii: "/") { return split(array, method: method) }
        if array == [UInt8(ascii: "*")] {
            // RFC 9112 §3.2.4: asterisk-form is only used with OPTIONS.
            guard method == .options else { throw invalid("asterisk-form is only allowed with OPTIONS") }
            return split(array, method: method)
        }
        // RFC 9112 §3.2.2: absolute-form.
        guard let authorityStart = schemeEnd(array) else {
            throw invalid("request-target must start with \"/\" or be an absolute http(s) URL")
        }
        let authorityEnd = array[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? array.endIndex
        let authority = array[authorityStart..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")), HTTPAuthority.isValid(authority, requirePort: false) else {
            throw invalid("invalid authority in absolute-form target")
        }
        return split(array, method: method)
    }

    /// Index after `http://` or `https://` (scheme case-insensitive), or nil.
    private static func schemeEnd(_ bytes: [UInt8]) -> Int? {
        let lowered = bytes.prefix(8).map(HTTPSyntax.lower)
        if lowered.starts(with: Array("http://".utf8)) { return 7 }
        if lowered.starts(with: Array("https://".utf8)) { return 8 }
        return nil
    }

    /// Splits an already-validated target. Unknown shapes fall back to path = target.
    static func split(_ bytes: [UInt8], method: HTTPMethod) -> HTTPRequestTarget {
        func string(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }
        if method == .connect, bytes.first != UInt8(ascii: "/") {
            return HTTPRequestTarget(path: "", query: nil, authority: string(bytes[...]))
        }
        if bytes == [UInt8(ascii: "*")] {
            return HTTPRequestTarget(path: "*", query: nil, authority: nil)
        }
        var pathStart = bytes.startIndex
        var authority: String?
        if let start = schemeEnd(bytes) {
            let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.endIndex
            authority = string(bytes[start..<end])
            pathStart = end
        }
        let rest = bytes[pathStart...]
        let queryMark = rest.firstIndex(of: UInt8(ascii: "?"))
        var path = string(rest[..<(queryMark ?? rest.endIndex)])
        if path.isEmpty { path = "/" }
        let query = queryMark.map { string(rest[($0 + 1)...]) }
        return HTTPRequestTarget(path: path, query: query, authority: authority)
    }
}

/// `uri-host [ ":" port ]` from RFC 3986 §3.2 as used by Host (RFC 9110 §7.2) and targets.
enum HTTPAuthority {
    private static let regNameExtra = Set("-._~!$&'()*+,;=%".utf8)

    static func isValid(_ bytes: ArraySlice<UInt8>, requirePort: Bool) -> Bool {
        var i = bytes.startIndex
        let end = bytes.endIndex
        if i < end, bytes[i] == UInt8(ascii: "[") {
            // IP-literal: hex digits, ':' and '.' (IPv4-embedded) inside brackets.
            guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "]")), close > i + 1 else { return false }
            guard bytes[(i + 1)..<close].allSatisfy({ HTTPSyntax.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
                return false
            }
            i = close + 1
        } else {
            let start = i
            while i < end, bytes[i] != UInt8(ascii: ":") {
                let b = bytes[i]
                let ok = (b >= 0x30 && b <= 0x39) || (HTTPSyntax.lower(b) >= 0x61 && HTTPSyntax.lower(b) <= 0x7A) || regNameExtra.contains(b)
                guard ok else { return false }
                if b == UInt8(ascii: "%") {
                    guard i + 2 < end, HTTPSyntax.isHexDigit(bytes[i + 1]), HTTPSyntax.isHexDigit(bytes[i + 2]) else { return false }
                }
                i += 1
            }
            if requirePort, i == start { return false }
        }
        if i == end { return !requirePort }
        guard bytes[i] == UInt8(ascii: ":") else { return false }
        let port = bytes[(i + 1)...]
        guard port.count <= 5, port.allSatisfy(HTTPSyntax.isDigit) else { return false }
        return !(requirePort && port.isEmpty)
    }
}
