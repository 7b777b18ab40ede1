import COpenSSL

/// Process-wide OpenSSL set-up. Call `initialize()` first thing in `main`: it tells OpenSSL not to
/// tear its global state down in an `atexit` handler, which would race with event-loop threads
/// that are still using TLS when the process exits (seen as crashes in `_int_free` at exit).
public enum OpenSSLRuntime {
    private static let initialized: Bool = {
        OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) == 1
            && OPENSSL_init_ssl(0, nil) == 1
    }()

    /// Initialises OpenSSL once (idempotent, thread-safe); `false` if OpenSSL refused.
    @discardableResult
    public static func initialize() -> Bool {
        initialized
    }
}
