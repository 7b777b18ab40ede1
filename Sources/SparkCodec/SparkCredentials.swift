/// Spark console credentials (APPID, APIKey, APISecret). The secret is held in a wrapper whose
/// `description`, `debugDescription` and reflection are `<redacted>`, so `print`, string
/// interpolation, `dump` and `Mirror` never reveal it.
public struct SparkCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The console APPID (sent as `header.app_id`).
    public var appID: String
    /// The console APIKey (sent inside the signed authorization).
    public var apiKey: String
    /// The wrapped APISecret (the HMAC key).
    private var secret: Secret

    /// The console APISecret, used as HMAC key. Read it only to sign.
    public var apiSecret: String {
        get { secret.value }
        set { secret = Secret(newValue) }
    }

    /// Creates credentials.
    public init(appID: String, apiKey: String, apiSecret: String) {
        self.appID = appID
        self.apiKey = apiKey
        self.secret = Secret(apiSecret)
    }

    /// The first four characters of the API key followed by an ellipsis (the whole key only if it is that short).
    public var apiKeyPrefix: String {
        apiKey.count <= 4 ? String(repeating: "*", count: apiKey.count) : String(apiKey.prefix(4)) + "…"
    }

    /// `SparkCredentials(appID: …, apiKey: abcd…, apiSecret: <redacted>)`.
    public var description: String {
        "SparkCredentials(appID: \(appID), apiKey: \(apiKeyPrefix), apiSecret: <redacted>)"
    }

    /// Same as `description`.
    public var debugDescription: String { description }

    /// A mirror that shows the app id and key prefix only.
    public var customMirror: Mirror {
        Mirror(self, children: ["appID": appID, "apiKey": apiKeyPrefix, "apiSecret": "<redacted>"], displayStyle: .struct)
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
