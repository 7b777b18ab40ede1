import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide OpenSSL set-up. Call `initialize()` first thing in `main`: it tells OpenSSL not to
/// tear its global state down in an `atexit` handler, which would race with event-loop threads
/// that are still using TLS when the process exits (seen as crashes in `_int_free` at exit), and it
/// ignores SIGPIPE (TLS writes to a closed peer must fail with EPIPE, not kill the process).
public enum OpenSSLRuntime {
    private static let initialized: Bool = {
        // OpenSSL writes through plain write(2) on the socket (SSL_set_fd), which raises SIGPIPE when
        // the peer is gone; a relay must see EPIPE instead of dying. Process-wide, like every server.
        signal(SIGPIPE, SIG_IGN)
        return OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) == 1
            && OPENSSL_init_ssl(0, nil) == 1
    }()

    /// Initialises OpenSSL once (idempotent, thread-safe); `false` if OpenSSL refused.
    @discardableResult
    public static func initialize() -> Bool {
        initialized
    }
}
