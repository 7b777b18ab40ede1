/// The decoded `authorization` parameter of a signed Spark URL: who signed, how, and over which headers.
///
/// Parsing is as tolerant as Spark's gateway is known to be (SparkCodec/README.md §3.2,
/// `auth-vectors.json` → `accepted_variants_observed`): an optional `hmac` scheme prefix, `api_key=` or `username=`,
/// any whitespace around items and `=`, no spaces after commas.
public struct SparkAuthorization: Sendable, Equatable {
    /// The signer's API key.
    public var apiKey: String
    /// The algorithm name; only `hmac-sha256` is accepted by the verifier.
    public var algorithm: String
    /// The signed header names in signing order, lowercased (`host`, `date`, `request-line`).
    public var headers: [String]
    /// The base64 signature as sent.
    public var signature: String

    /// Creates a parsed authorization.
    public init(apiKey: String, algorithm: String, headers: [String], signature: String) {
        self.apiKey = apiKey
        self.algorithm = algorithm
        self.headers = headers
        self.signature = signature
    }

    /// The canonical text the relay emits (SparkCodec/README.md §3.1 step 4).
    public static func canonical(apiKey: String, signature: String) -> String {
        "api_key=\"\(apiKey)\", algorithm=\"hmac-sha256\", headers=\"host date request-line\", signature=\"\(signature)\""
    }

    /// Parses the base64-decoded authorization text. `nil` when an item is not `name="value"`, a name
    /// repeats, or one of key, algorithm, headers, signature is missing. Unknown names are ignored.
    public static func parse(_ text: String) -> SparkAuthorization? {
        var rest = Substring(text).trimmingWhitespace()
        if rest.count > 4, rest.prefix(4).lowercased() == "hmac", let next = rest.dropFirst(4).first, next == " " || next == "\t" {
            rest = rest.dropFirst(4).trimmingWhitespace()
        }
        var fields: [String: String] = [:]
        for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = item.firstIndex(of: "=") else { return nil }
            let name = item[item.startIndex..<equals].trimmingWhitespace().lowercased()
            let quoted = item[item.index(after: equals)...].trimmingWhitespace()
            guard quoted.count >= 2, quoted.first == "\"", quoted.last == "\"" else { return nil }
            let value = quoted.dropFirst().dropLast()
            guard !value.contains("\""), !name.isEmpty else { return nil }
            let key = name == "username" ? "api_key" : name
            guard fields[key] == nil else { return nil }
            fields[key] = String(value)
        }
        guard let apiKey = fields["api_key"], !apiKey.isEmpty, let algorithm = fields["algorithm"],
              let headers = fields["headers"], let signature = fields["signature"]
        else { return nil }
        let headerNames = headers.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        return SparkAuthorization(apiKey: apiKey, algorithm: algorithm, headers: headerNames, signature: signature)
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
