import SparkCodec
import Synchronization
import WebSocketCodec

/// The signed Spark URL of the current second, per credential and endpoint. Spark's signature
/// covers the host, the path and the `Date` line, which has a resolution of one second, so every
/// conversation a credential opens on one endpoint within the same second can share one signature
/// (and one parsed URL): under load that is one HMAC, two Base64 encodings and a URL parse per
/// second instead of per stream. A new second signs again; at most `maxEntries` endpoint and
/// credential pairs are kept (the table is cleared when a new pair would exceed it). The URLs stay
/// in memory only, like the credentials they are made from.
public final class SignedURLCache: Sendable {
    /// Credential and endpoint pairs kept at most.
    public static let maxEntries = 64

    private struct Entry: Sendable {
        var second: Double
        var url: WebSocketURL
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Pairs held now.
    public var count: Int { entries.withLock { $0.count } }

    /// `endpoint` signed with `credentials` for `date`: the URL signed earlier in the same second,
    /// or a new signature. `nil` when the signed URL does not parse.
    public func url(credentials: SparkCredentials, endpoint: SparkEndpoint, date: UnixTime) -> WebSocketURL? {
        let second = date.secondsSince1970.rounded(.down)
        // The secret is part of the key: two credentials may share an app id and API key and differ in
        // their secret (a rotated or mistyped one), and each must be signed with its own.
        let key = "\(credentials.appID)\n\(credentials.apiKey)\n\(credentials.apiSecret)\n\(endpoint.scheme)://\(endpoint.authority)\(endpoint.path)"
        if let entry = entries.withLock({ $0[key] }), entry.second == second { return entry.url }
        let signed = SparkURLSigner.sign(credentials: credentials, url: endpoint, date: UnixTime(secondsSince1970: second))
        guard let url = WebSocketURL(signed.url) else { return nil }
        entries.withLock { table in
            if table[key] == nil && table.count >= Self.maxEntries { table.removeAll(keepingCapacity: true) }
            table[key] = Entry(second: second, url: url)
        }
        return url
    }
}
