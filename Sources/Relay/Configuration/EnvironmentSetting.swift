import RelayIO

/// An environment variable the relay reads, declared once beside the configuration keys: secrets
/// that must not sit in a file or on a command line, and the heap settings read before anything
/// allocates. The reference in `Config/README.md` is rendered from these declarations.
struct EnvironmentSetting {
    /// The variable's name.
    let name: String
    /// What it does, in one line.
    let doc: String
    /// Puts a non-empty value into the configuration (`nil`: read elsewhere, before the configuration).
    let apply: ((String, inout RelayConfiguration) -> Void)?

    /// Every variable, in the order of the reference.
    static var all: [EnvironmentSetting] {
        [
            EnvironmentSetting(name: "SPARK_APP_ID", doc: "Spark app id; wins over `upstream.app_id`") {
                $1.upstream.appID = $0
            },
            EnvironmentSetting(name: "SPARK_API_KEY", doc: "Spark API key; wins over `upstream.api_key`") {
                $1.upstream.apiKey = $0
            },
            EnvironmentSetting(name: "SPARK_API_SECRET", doc: "Spark API secret; wins over `upstream.api_secret`") {
                $1.upstream.apiSecret = $0
            },
            EnvironmentSetting(name: "SPARK_API_PASSWORD", doc: "the HTTP API's APIPassword; wins over `upstream.api_password`") {
                $1.upstream.apiPassword = $0
            },
            EnvironmentSetting(name: "SPARK_RELAY_REDIS_PASSWORD",
                               doc: "the Redis password (`cluster.engine: redis`); wins over one in `cluster.redis_url`") {
                $1.cluster.redisPassword = $0
            },
            EnvironmentSetting(name: TracingHeaders.environmentVariable,
                               doc: "header fields for the trace collector as `name=value,name=value` (OpenTelemetry's `OTEL_EXPORTER_OTLP_HEADERS` form); wins over `tracing.headers`") {
                $1.tracing.headers = TracingHeaders.parseList($0)
            },
            EnvironmentSetting(name: HeapTuning.arenaMaxVariable,
                               doc: "most glibc malloc arenas, 1 to 64, or `default` (glibc's 8 per core); "
                                   + "default \(HeapTuning().arenaMax.map(String.init) ?? "default")", apply: nil),
            EnvironmentSetting(name: HeapTuning.idleCheckVariable,
                               doc: "seconds between checks that hand freed heap back to the system once idle; 0 = off; "
                                   + "default \(ConfigSetting.jsonNumber(HeapTuning().idleCheckSeconds))",
                               apply: nil),
        ]
    }
}
