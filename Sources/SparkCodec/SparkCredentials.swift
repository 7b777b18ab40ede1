/// Spark console credentials (APPID, APIKey, APISecret, and the HTTP API's APIPassword when there is
/// one). The secret and the password are held in a wrapper whose `description`, `debugDescription`
/// and reflection are `<redacted>`, so `print`, string interpolation, `dump` and `Mirror` never
/// reveal them.
public struct SparkCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The console APPID (sent as `header.app_id`).
    public var appID: String
    /// The console APIKey (sent inside the signed authorization).
    public var apiKey: String
    /// The wrapped APISecret (the HMAC key).
    private var secret: Secret
    /// The wrapped APIPassword of the HTTP API, when configured.
    private var password: Secret?

    /// The console APISecret, used as HMAC key. Read it only to sign.
    public var apiSecret: String {
        get { secret.value }
        set { secret = Secret(newValue) }
    }

    /// The HTTP API's APIPassword, when configured. Read it only to build the `Authorization` header.
    public var apiPassword: String? {
        get { password?.value }
        set { password = newValue.map(Secret.init) }
    }

    /// Creates credentials.
    public init(appID: String, apiKey: String, apiSecret: String, apiPassword: String? = nil) {
        self.appID = appID
        self.apiKey = apiKey
        self.secret = Secret(apiSecret)
        self.password = apiPassword.flatMap { $0.isEmpty ? nil : Secret($0) }
    }

    /// The bearer token of Spark's HTTP API: the APIPassword when configured, else `APIKey:APISecret`
    /// (which iFlytek accepts too). Secret: only for the `Authorization` header.
    public var httpBearerToken: String {
        apiPassword ?? "\(apiKey):\(apiSecret)"
    }

    /// The first four characters of the API key followed by an ellipsis (the whole key only if it is that short).
    public var apiKeyPrefix: String {
        apiKey.count <= 4 ? String(repeating: "*", count: apiKey.count) : String(apiKey.prefix(4)) + "…"
    }

    /// `SparkCredentials(appID: …, apiKey: abcd…, apiSecret: <redacted>)`.
    public var description: String {
        "SparkCredentials(appID: \(appID), apiKey: \(apiKeyPrefix), apiSecret: <redacted>\(password == nil ? "" : ", apiPassword: <redacted>"))"
    }

    /// Same as `description`.
    public var debugDescription: String { description }

    /// A mirror that shows the app id and key prefix only.
    public var customMirror: Mirror {
        Mirror(self, children: ["appID": appID, "apiKey": apiKeyPrefix, "apiSecret": "<redacted>",
                                "apiPassword": password == nil ? "-" : "<redacted>"], displayStyle: .struct)
    }
}

/// A string that never shows itself: description, debug description and mirror are all `<redacted>`.
private struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: String

    init(_ value: String) {
        self.value = value
    }

    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
