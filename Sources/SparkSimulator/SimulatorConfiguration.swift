import Glibc
import SparkCodec

/// Everything a `SimulatorServer` needs: where to listen, whom to accept (signed URLs and HTTP bearer tokens), how to pace answers, and the
/// limits and timeouts Spark's gateway applies. Every value has a documented default.
public struct SimulatorConfiguration: Sendable {
    /// Address to bind: an IP literal or `localhost` (bound as 127.0.0.1). Default `127.0.0.1`.
    public var host: String
    /// Port to bind; `0` picks a free one (`SimulatorServer.start()` returns the real address). Default 0.
    public var port: Int
    /// Apps whose signed URLs are accepted (matched by API key); `header.app_id` must be the matching APPID.
    /// The HTTP API also accepts `Authorization: Bearer <APIKey>:<APISecret>` of any of them.
    public var credentials: [SparkCredentials]
    /// The HTTP API password (`Authorization: Bearer <APIPassword>`) accepted besides key:secret;
    /// `nil` accepts only key:secret. `spark-sim` reads it from `SPARK_API_PASSWORD`. Default `nil`.
    public var apiPassword: String?
    /// Models served, by path (`/v3.5/chat` → `generalv3.5`). Default `SparkModelTable.default`.
    public var models: SparkModelTable
    /// PEM certificate chain for `wss://`; TLS is on when both this and `tlsKeyFile` are set.
    public var tlsCertificateFile: String?
    /// PEM private key for `tlsCertificateFile`.
    public var tlsKeyFile: String?
    /// Seconds before each answer frame (overridden per request by `[[delay:MS]]`). Default 0.05.
    public var chunkDelay: Double
    /// Largest accepted distance between the signed `date` and `now()`, in seconds. Default 300 (Spark).
    public var maxClockSkew: Double
    /// Largest request message (one WebSocket message, after reassembly), in bytes. Default 1 MiB.
    public var maxRequestBytes: Int
    /// Seconds after the 101 within which the request must arrive, else the simulator closes the
    /// connection (Spark: 60 s). Also bounds how long the upgrade request itself may take. Default 60.
    public var requestTimeout: Double
    /// Seconds a TLS handshake may take before the socket is closed. Default 10.
    public var tlsHandshakeTimeout: Double
    /// Most simultaneously open sockets; more are closed at once. Default 65536.
    public var maxConnections: Int
    /// The simulator's clock for signature dates and the `Date` header (tests pin it). Default `UnixTime.now()`.
    public var now: @Sendable () -> UnixTime

    /// A configuration with the documented defaults.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        credentials: [SparkCredentials] = [SimulatorConfiguration.defaultCredentials],
        apiPassword: String? = nil,
        models: SparkModelTable = .default,
        tlsCertificateFile: String? = nil,
        tlsKeyFile: String? = nil,
        chunkDelay: Double = 0.05,
        maxClockSkew: Double = 300,
        maxRequestBytes: Int = 1_048_576,
        requestTimeout: Double = 60,
        tlsHandshakeTimeout: Double = 10,
        maxConnections: Int = 65_536,
        now: @escaping @Sendable () -> UnixTime = { UnixTime.now() }
    ) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.apiPassword = apiPassword
        self.models = models
        self.tlsCertificateFile = tlsCertificateFile
        self.tlsKeyFile = tlsKeyFile
        self.chunkDelay = chunkDelay
        self.maxClockSkew = maxClockSkew
        self.maxRequestBytes = maxRequestBytes
        self.requestTimeout = requestTimeout
        self.tlsHandshakeTimeout = tlsHandshakeTimeout
        self.maxConnections = maxConnections
        self.now = now
    }

    /// `true` when both TLS files are set (the simulator serves `wss://`).
    public var usesTLS: Bool { tlsCertificateFile != nil && tlsKeyFile != nil }

    /// PUBLIC, FAKE credentials accepted when none are configured (the same values as iFlytek's documented
    /// signing example): APPID `sim00001`, APIKey `addd2272b6d8b7c8abdd79531420ca3b`, APISecret
    /// `MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi`. They open nothing but a local simulator.
    public static let defaultCredentials = SparkCredentials(
        appID: "sim00001", apiKey: "addd2272b6d8b7c8abdd79531420ca3b", apiSecret: "MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi")
}
