import COpenSSL
import RelayCrypto

/// An OpenSSL `SSL_CTX`: TLS 1.2 or newer, peer verification always on for clients (system store plus
/// an optional CA bundle), or a certificate and key for servers (the simulator's `--tls-cert`).
// @unchecked: immutable after init; the configured OpenSSL SSL_CTX is only read afterwards (SSL_new), which OpenSSL allows from any thread, and the session cache is locked
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// `true` for a client context.
    public let isClient: Bool
    /// Sessions to resume (see `TLSSessionCache`); `nil` for a server context.
    public let sessionCache: TLSSessionCache?
    /// When client handshakes start (see `TLSHandshakeGate`); `nil` for a server context.
    let handshakeGate: TLSHandshakeGate?
    /// Full handshakes in flight per server while none of its sessions is cached (`TLSHandshakeGate`).
    public static let defaultFullHandshakesPerServer = 8

    /// A client context that verifies the server against the system CAs and `caFile` (PEM), if given.
    /// While no session for a server is cached, at most `fullHandshakesPerServer` handshakes to it
    /// run at once; the others wait for the sessions those bring (`TLSHandshakeGate`).
    public init(clientWithCAFile caFile: String?, sessionCache: TLSSessionCache = TLSSessionCache(),
                fullHandshakesPerServer: Int = TLSContext.defaultFullHandshakesPerServer) throws(TransportError) {
        OpenSSLRuntime.initializeTLS()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .tls(Self.lastError("SSL_CTX_new")) }
        self.context = context
        self.isClient = true
        self.sessionCache = sessionCache
        self.handshakeGate = TLSHandshakeGate(cache: sessionCache, fullHandshakesPerServer: fullHandshakesPerServer)
        try configureCommon()
        // Sessions go to `sessionCache` (OpenSSL's own client store is never searched): see TLSTransport.
        _ = spark_SSL_CTX_set_session_cache_mode(context, spark_SSL_SESS_CACHE_CLIENT() | spark_SSL_SESS_CACHE_NO_INTERNAL())
        SSL_CTX_sess_set_new_cb(context) { ssl, session in
            guard let ssl, let session else { return 0 }
            return TLSTransport.sessionIssued(ssl: ssl, session: session) ? 1 : 0
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw .tls(Self.lastError("loading the system CA store"))
        }
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .tls(Self.lastError("loading the CA file '\(caFile)'"))
            }
        }
    }

    /// A server context presenting `certificateFile` (PEM chain) with `keyFile` (PEM).
    public init(serverCertificateFile certificateFile: String, keyFile: String) throws(TransportError) {
        OpenSSLRuntime.initializeTLS()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .tls(Self.lastError("SSL_CTX_new")) }
        self.context = context
        self.isClient = false
        self.sessionCache = nil
        self.handshakeGate = nil
        try configureCommon()
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw .tls(Self.lastError("loading the certificate '\(certificateFile)'"))
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw .tls(Self.lastError("loading the key '\(keyFile)'"))
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .tls(Self.lastError("the key does not match the certificate"))
        }
    }

    private func configureCommon() throws(TransportError) {
        guard spark_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw .tls(Self.lastError("setting the minimum TLS version"))
        }
        _ = spark_SSL_CTX_set_mode(context, spark_SSL_MODE_ENABLE_PARTIAL_WRITE() | spark_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER() | spark_SSL_MODE_RELEASE_BUFFERS())
        _ = SSL_CTX_set_options(context, spark_SSL_OP_NO_COMPRESSION() | spark_SSL_OP_NO_RENEGOTIATION() | spark_SSL_OP_IGNORE_UNEXPECTED_EOF())
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// OpenSSL's error queue as one line (and cleared), prefixed with what was being done.
    static func lastError(_ doing: String) -> String {
        OpenSSLRuntime.loadErrorStrings()
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return reasons.isEmpty ? "\(doing) failed" : "\(doing) failed: \(reasons.joined(separator: "; "))"
    }
}
