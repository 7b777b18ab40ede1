/// The LiteLLM proxy as the bench runs it: one model that passes straight through to the relay's own
/// OpenAI endpoint, bound to loopback, with every outbound call LiteLLM makes on its own turned off.
///
/// LiteLLM (checked for 1.108.x) fetches, unless told otherwise: the model cost map at start-up and on
/// its scheduled reload (`LITELLM_LOCAL_MODEL_COST_MAP`), Anthropic beta headers
/// (`LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS`), auto-router presets (`LITELLM_LOCAL_AUTOROUTER_PRESETS`),
/// policy templates (`LITELLM_LOCAL_POLICY_TEMPLATES`) and blog posts for the UI
/// (`LITELLM_LOCAL_BLOG_POSTS`). `LITELLM_OFFLINE_MODE` (newer releases) turns all of them off at
/// once. Usage telemetry is off unless configured (`LITELLM_TELEMETRY=False`, `telemetry: false` too).
/// As a second fence, every catalog URL points at a closed loopback port and HTTP(S) proxies point at
/// one too, with loopback exempt (`NO_PROXY`), so anything missed fails locally instead of leaving.
/// No database (`DATABASE_URL` unset), no admin UI; a random master key per run (LiteLLM refuses to
/// start without one).
public enum LiteLLMConfig {
    /// A loopback address nothing listens on (the discard port), for URLs that must not be reached.
    public static let deadEnd = "http://127.0.0.1:9"

    /// The proxy's `config.yaml`: `model` served as `openai/<model>` at the relay's `/v1`.
    public static func yaml(relayPort: Int, model: String) -> String {
        """
        model_list:
          - model_name: \(model)
            litellm_params:
              model: openai/\(model)
              api_base: http://127.0.0.1:\(relayPort)/v1
              api_key: relay-bench
              timeout: 600
              stream_timeout: 600
              max_retries: 0
        litellm_settings:
          telemetry: false
          num_retries: 0
          request_timeout: 600
          drop_params: true
          suppress_debug_info: true
          turn_off_message_logging: true
        router_settings:
          num_retries: 0
        general_settings:
          disable_spend_logs: true
          disable_error_logs: true
          background_health_checks: false
          store_model_in_db: false
          allow_requests_on_db_unavailable: true

        """
    }

    /// Environment for the proxy process (added to the bench's own). LiteLLM refuses to start
    /// without a strong master key, so the bench makes one per run and sends it as the bearer token.
    public static func environment(masterKey: String) -> [String: String] {
        [
            "LITELLM_MASTER_KEY": masterKey,
            "LITELLM_OFFLINE_MODE": "true",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
            "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
            "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
            "LITELLM_LOCAL_BLOG_POSTS": "True",
            "LITELLM_MODEL_COST_MAP_URL": "\(deadEnd)/model_cost_map.json",
            "LITELLM_ANTHROPIC_BETA_HEADERS_URL": "\(deadEnd)/anthropic_beta_headers.json",
            "LITELLM_AUTOROUTER_PRESETS_URL": "\(deadEnd)/autorouter_presets.json",
            "LITELLM_BLOG_POSTS_URL": "\(deadEnd)/rss.xml",
            "LITELLM_TELEMETRY": "False",
            "DISABLE_ADMIN_UI": "True",
            "LITELLM_LOG": "ERROR",
            "HTTP_PROXY": deadEnd, "HTTPS_PROXY": deadEnd, "http_proxy": deadEnd, "https_proxy": deadEnd,
            "ALL_PROXY": deadEnd, "all_proxy": deadEnd,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        ]
    }

    /// Variables removed from the proxy's environment: no database, no Redis (an empty
    /// `DATABASE_URL` is an error to LiteLLM, so they are unset rather than emptied).
    public static let removedEnvironment: Set<String> = ["DATABASE_URL", "DIRECT_URL", "REDIS_HOST", "REDIS_URL"]

    /// A fresh master key: `sk-` and 64 hex digits from the system's random source.
    public static func makeMasterKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sk-" + (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }

    /// The version from a `site-packages` entry name such as `litellm-1.108.7.dist-info`.
    public static func version(distInfo name: String) -> String? {
        guard name.hasPrefix("litellm-"), name.hasSuffix(".dist-info") else { return nil }
        let version = name.dropFirst("litellm-".count).dropLast(".dist-info".count)
        guard let first = version.first, first.isNumber else { return nil }
        return String(version)
    }

    /// `true` when `version` is at least `major.minor` (e.g. 1.108).
    public static func isAtLeast(_ version: String, major: Int, minor: Int) -> Bool {
        let parts = version.split(separator: ".").map { Int($0.prefix(while: \.isNumber)) ?? 0 }
        let have = (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        return have.0 > major || (have.0 == major && have.1 >= minor)
    }
}
