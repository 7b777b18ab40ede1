/// The two HTTP/1.x protocol versions this codec speaks (RFC 9112 §2.3).
public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http1_0
    case http1_1

    /// `"HTTP/1.0"` or `"HTTP/1.1"`.
    /// A readable rendering for logs and test output.
    public var description: String {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        }
    }

    var bytes: [UInt8] { Array(description.utf8) }

    /// Parses exactly `HTTP/1.0` or `HTTP/1.1` (case-sensitive, RFC 9112 §2.3).
    static func parse(_ bytes: ArraySlice<UInt8>) -> VersionParse {
        guard bytes.count == 8 else { return .malformed }
        let b = Array(bytes)
        guard b[0] == 0x48, b[1] == 0x54, b[2] == 0x54, b[3] == 0x50, b[4] == 0x2F, b[6] == 0x2E,
              HTTPSyntax.isDigit(b[5]), HTTPSyntax.isDigit(b[7])
        else { return .malformed }
        switch (b[5], b[7]) {
        case (0x31, 0x31): return .version(.http1_1)
        case (0x31, 0x30): return .version(.http1_0)
        default: return .unsupported
        }
    }

    enum VersionParse: Equatable {
        case version(HTTPVersion)
        case unsupported
        case malformed
    }
}
