import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide OpenSSL set-up. Call `initialize()` first thing in `main`: it tells OpenSSL not to
/// tear its global state down in an `atexit` handler, which would race with event-loop threads
/// that are still using TLS when the process exits (seen as crashes in `_int_free` at exit), and it
/// ignores SIGPIPE (TLS writes to a closed peer must fail with EPIPE, not kill the process).
///
/// libssl's part (the system `openssl.cnf`, the cipher and digest tables, the error strings) is
/// set up by `initializeTLS()` when the first TLS context is made, not at start: a relay whose
/// upstream is plain `ws://` never needs it, and it costs an idle process about 1.8 MiB.
public enum OpenSSLRuntime {
    private static let initialized: Bool = {
        // OpenSSL writes through plain write(2) on the socket (SSL_set_fd), which raises SIGPIPE when
        // the peer is gone; a relay must see EPIPE instead of dying. Process-wide, like every server.
        signal(SIGPIPE, SIG_IGN)
        return OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) == 1
    }()

    private static let tlsInitialized: Bool = {
        _ = initialized
        // Default options: load the configuration file, the algorithms and the error strings.
        return OPENSSL_init_ssl(0, nil) == 1
    }()

    private static let errorStringsLoaded: Bool = {
        _ = initialized
        let strings = UInt64(OPENSSL_INIT_LOAD_CRYPTO_STRINGS) | UInt64(OPENSSL_INIT_LOAD_SSL_STRINGS)
        return OPENSSL_init_crypto(strings, nil) == 1 && OPENSSL_init_ssl(strings, nil) == 1
    }()

    /// Initialises OpenSSL's process-wide state once (idempotent, thread-safe); `false` if OpenSSL refused.
    @discardableResult
    public static func initialize() -> Bool {
        initialized
    }

    /// Initialises libssl once, as `OPENSSL_init_ssl` does by default (the configuration file, the
    /// algorithms, the error strings); call before making an `SSL_CTX`. Idempotent, thread-safe.
    @discardableResult
    public static func initializeTLS() -> Bool {
        tlsInitialized
    }

    /// Loads the texts `ERR_error_string_n` prints ("SSL routines", "certificate verify failed")
    /// once (idempotent, thread-safe; errors already queued stay queued). Call before formatting
    /// OpenSSL's error queue; without it a failure outside TLS reads as bare codes ("reason(134)").
    @discardableResult
    public static func loadErrorStrings() -> Bool {
        errorStringsLoaded
    }
}
