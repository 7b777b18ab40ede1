import RelayCrypto

/// The simulator's side of the handshake: checks a signed upgrade request the way Spark's gateway
/// does (SparkCodec/README.md §3, vectors in `Tests/SparkCodecTests/Fixtures/auth-vectors.json`).
///
/// Check order follows the Kong `ip-restriction` and `hmac-auth` plugins whose messages the gateway returns:
/// 0. an allow-list is set and the client address is not on it → 403 `Your IP address is not allowed`;
/// 1. no `authorization` parameter → 401 `Unauthorized`;
/// 2. `date` missing, not RFC 1123 (GMT or UTC), or more than `maxClockSkew` away → 403;
/// 3. authorization not base64/UTF-8, not parseable, a field missing, algorithm not `hmac-sha256`,
///    signed headers not exactly `host`, `date`, `request-line` (any order), unknown API key → 401
///    `HMAC signature cannot be verified`;
/// 4. `host` parameter differing from the `Host` header, or the signature not equal to the one rebuilt
///    from host, date and `GET <path> HTTP/1.1` → 401 `HMAC signature does not match`.
/// The signed host is the `host` query parameter (the `Host` header when the parameter is absent).
/// A repeated query parameter counts by its first occurrence.
public struct SparkAuthVerifier: Sendable {
    /// Accepted credentials by API key (the first one wins for duplicate keys).
    private let credentialsByKey: [String: SparkCredentials]
    /// The allowed distance between the signed date and `now`, inclusive (Spark: 300 s).
    public let maxClockSkew: Double
    /// Client addresses allowed to connect (the console's IP allow-list); `nil` allows everyone.
    public let allowedClientAddresses: Set<String>?

    /// Creates a verifier accepting any of `credentials`, optionally only from `allowedClientAddresses`.
    public init(credentials: [SparkCredentials], maxClockSkew: Double = 300, allowedClientAddresses: Set<String>? = nil) {
        self.allowedClientAddresses = allowedClientAddresses
        var byKey: [String: SparkCredentials] = [:]
        for credential in credentials where byKey[credential.apiKey] == nil {
            byKey[credential.apiKey] = credential
        }
        self.credentialsByKey = byKey
        self.maxClockSkew = maxClockSkew
    }

    /// `nil` when the request is accepted, else the failure to answer with.
    public func verify(path: String, query: String?, hostHeader: String?, now: UnixTime) -> SparkAuthFailure? {
        if case .failure(let failure) = authenticate(path: path, query: query, hostHeader: hostHeader, now: now) {
            return failure
        }
        return nil
    }

    /// `verify` with the peer's address checked against `allowedClientAddresses` first.
    public func verify(path: String, query: String?, hostHeader: String?, clientAddress: String?, now: UnixTime) -> SparkAuthFailure? {
        if case .failure(let failure) = authenticate(path: path, query: query, hostHeader: hostHeader, clientAddress: clientAddress, now: now) {
            return failure
        }
        return nil
    }

    /// Like `verify`, but returns the matching credentials on success (the simulator checks `app_id` with
    /// them). With an allow-list set, a `nil` or unlisted `clientAddress` gets 403.
    public func authenticate(path: String, query: String?, hostHeader: String?, clientAddress: String? = nil,
                             now: UnixTime) -> Result<SparkCredentials, SparkAuthFailure> {
        if let allowedClientAddresses, !(clientAddress.map(allowedClientAddresses.contains) ?? false) {
            return .failure(.ipNotAllowed)
        }
        guard let pairs = FormURLEncoding.parseQuery(query ?? "") else {
            return .failure(.signatureCannotBeVerified)
        }
        func parameter(_ name: String) -> String? {
            pairs.first(where: { $0.0 == name })?.1
        }
        guard let authorizationParameter = parameter("authorization"), !authorizationParameter.isEmpty else {
            return .failure(.unauthorized)
        }
        guard let date = parameter("date"), let signedAt = HTTPDate.parse(date),
              abs(signedAt.seconds(since: now)) <= maxClockSkew
        else { return .failure(.invalidDate) }
        guard let decoded = Base64.decode(authorizationParameter),
              let text = String(validating: decoded, as: UTF8.self),
              let authorization = SparkAuthorization.parse(text),
              authorization.algorithm == "hmac-sha256",
              authorization.headers.count == 3,
              Set(authorization.headers) == ["host", "date", "request-line"],
              let credentials = credentialsByKey[authorization.apiKey]
        else { return .failure(.signatureCannotBeVerified) }
        let hostParameter = parameter("host")
        if let hostParameter, let hostHeader, hostParameter.lowercased() != hostHeader.lowercased() {
            return .failure(.signatureDoesNotMatch)
        }
        guard let host = hostParameter ?? hostHeader, let sentSignature = Base64.decode(authorization.signature) else {
            return .failure(.signatureDoesNotMatch)
        }
        let lines = authorization.headers.map { name -> String in
            switch name {
            case "host": "host: \(host)"
            case "date": "date: \(date)"
            default: "GET \(path) HTTP/1.1"
            }
        }
        let expected = HMACSHA256.authenticationCode(key: credentials.apiSecret, message: lines.joined(separator: "\n"))
        guard ConstantTime.equals(expected, sentSignature) else { return .failure(.signatureDoesNotMatch) }
        return .success(credentials)
    }
}
