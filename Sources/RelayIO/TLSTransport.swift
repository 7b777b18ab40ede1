import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// TLS over a non-blocking socket with OpenSSL. `handshake()` is driven by the owner from socket
/// readiness until `.processed`; afterwards the transport reads and writes like TCP. `WANT_READ`/
/// `WANT_WRITE` become `.wouldBlock` plus the interest flags, and decrypted bytes OpenSSL still holds
/// are reported through `hasBufferedReadData` (the poller cannot see them).
public final class TLSTransport: Transport {
    public let socket: Socket
    let context: TLSContext
    /// The server this client connection verifies (`host:port`), under which its sessions are kept.
    let sessionKey: String?
    private var ssl: OpaquePointer?
    /// The slot this connection holds at its server's `TLSHandshakeGate`, from its admission until
    /// the step that brought its sessions ends, it reads data, or it is released.
    private var heldSlot: TLSHandshakeGate.Slot?
    /// A session arrived during the current handshake step or read.
    private var receivedSession = false
    /// Readiness the last handshake step is waiting for.
    public private(set) var handshakeWantsWritable = false
    public private(set) var readWantsWritable = false
    /// `true` when the last write could not proceed until the socket is readable.
    public private(set) var writeWantsReadable = false

    /// A client side for `serverName` (SNI and certificate name check: DNS name or IP literal).
    /// With a `port`, this connection's sessions are kept (`TLSContext.sessionCache`), and it resumes
    /// an earlier one when its handshake is admitted (`enterHandshakeGate`).
    public init(socket: Socket, context: TLSContext, serverName: String?, port: Int? = nil) throws(TransportError) {
        self.socket = socket
        self.context = context
        if context.sessionCache != nil, let serverName, !serverName.isEmpty, let port {
            sessionKey = "\(serverName):\(port)"
        } else {
            sessionKey = nil
        }
        guard let ssl = SSL_new(context.context) else { throw .tls(TLSContext.lastError("SSL_new")) }
        self.ssl = ssl
        guard SSL_set_fd(ssl, socket.descriptor) == 1 else { throw .tls(TLSContext.lastError("SSL_set_fd")) }
        if context.isClient {
            SSL_set_connect_state(ssl)
            if let serverName, !serverName.isEmpty {
                let isIPAddress = SocketAddress(ipAddress: serverName, port: 0) != nil
                if isIPAddress {
                    let parameters = SSL_get0_param(ssl)
                    guard X509_VERIFY_PARAM_set1_ip_asc(parameters, serverName) == 1 else {
                        throw .tls(TLSContext.lastError("setting the expected IP address"))
                    }
                } else {
                    _ = spark_SSL_set_tlsext_host_name(ssl, serverName)
                    guard SSL_set1_host(ssl, serverName) == 1 else {
                        throw .tls(TLSContext.lastError("setting the expected host name"))
                    }
                }
            }
            if sessionKey != nil {
                _ = spark_SSL_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
            }
        } else {
            SSL_set_accept_state(ssl)
        }
    }

    /// `true` once the handshake resumed an earlier session (no certificate was exchanged).
    public var sessionReused: Bool {
        guard let ssl else { return false }
        return SSL_session_reused(ssl) == 1
    }

    /// Asks the context's handshake gate whether this client connection may start its handshake;
    /// `nil` when it is not gated (no session key). `admit` runs later on `loop` for `.waiting`.
    func enterHandshakeGate(loop: EventLoop, admit: @escaping @Sendable (TLSHandshakeGate.Admission) -> Void) -> TLSHandshakeGate.Entry? {
        guard let sessionKey, let gate = context.handshakeGate else { return nil }
        return gate.enter(key: sessionKey, loop: loop, admit: admit)
    }

    /// Takes back a queued admission request; `false` when the admission is already on its way.
    func withdrawFromHandshakeGate(id: Int) -> Bool {
        guard let sessionKey, let gate = context.handshakeGate else { return true }
        return gate.withdraw(key: sessionKey, id: id)
    }

    /// Applies the gate's admission before the first handshake step: the session to resume, or the
    /// full handshake's slot. A released transport hands it back.
    func begin(with admission: TLSHandshakeGate.Admission) {
        guard let ssl else {
            giveBack(admission)
            return
        }
        if case .resume(let session) = admission {
            _ = SSL_set_session(ssl, session.pointer)
            SSL_SESSION_free(session.pointer)
        }
        heldSlot = admission.slot
    }

    /// Returns an admission this connection will not use.
    func giveBack(_ admission: TLSHandshakeGate.Admission) {
        guard let sessionKey, let gate = context.handshakeGate else {
            if case .resume(let session) = admission { SSL_SESSION_free(session.pointer) }
            return
        }
        gate.giveBack(admission, for: sessionKey)
    }

    /// Gives the gate slot back (see `heldSlot`).
    private func settleHandshakeSlot() {
        guard let slot = heldSlot else { return }
        heldSlot = nil
        if let sessionKey { context.handshakeGate?.settled(slot, for: sessionKey) }
    }

    /// After a handshake step or read: the slot goes back once the sessions it brought are stored
    /// (both of a server's TLS 1.3 tickets usually arrive in one read).
    private func settleIfSessionReceived() {
        guard receivedSession else { return }
        receivedSession = false
        settleHandshakeSlot()
    }

    /// OpenSSL's new-session callback (on the thread driving `ssl`): keeps `session` for resumption
    /// if the connection was verified, and lets connections waiting for one resume it. `true` when
    /// the cache took the reference.
    static func sessionIssued(ssl: OpaquePointer, session: OpaquePointer) -> Bool {
        guard let data = spark_SSL_get_app_data(ssl) else { return false }
        let transport = Unmanaged<TLSTransport>.fromOpaque(data).takeUnretainedValue()
        guard let key = transport.sessionKey, let cache = transport.context.sessionCache,
              SSL_get_verify_result(ssl) == X509_V_OK else { return false }
        cache.store(session, for: key)
        transport.receivedSession = true
        transport.context.handshakeGate?.sessionArrived(for: key)
        return true
    }

    deinit {
        release()
    }

    /// One handshake step: `.processed` when done, `.wouldBlock` when waiting (`handshakeWantsWritable`
    /// says for which readiness). Failures name the check that failed (certificate, host name, protocol).
    public func handshake() throws(TransportError) -> IOResult<Void> {
        guard let ssl else { throw .tls("the TLS session is closed") }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        settleIfSessionReceived()
        if result == 1 { return .processed(()) }
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ:
            handshakeWantsWritable = false
            return .wouldBlock
        case SSL_ERROR_WANT_WRITE:
            handshakeWantsWritable = true
            return .wouldBlock
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                let reason = String(cString: X509_verify_cert_error_string(verify))
                throw .tls("certificate verification failed: \(reason) (X509 error \(verify))")
            }
            if error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 {
                let code = errno
                if code == 0 { throw .tls("the peer closed the connection during the TLS handshake") }
                throw .io(IOError(errnoCode: code, operation: "TLS handshake"))
            }
            throw .tls(TLSContext.lastError("TLS handshake"))
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult<Int> {
        guard let ssl else { return .processed(0) }
        ERR_clear_error()
        readWantsWritable = false
        let count = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        settleIfSessionReceived()
        if count > 0 {
            // Data before any session: this server issues none (now), so stop holding back others.
            settleHandshakeSlot()
            // Nothing left in OpenSSL's buffers: hand them back now. SSL_MODE_RELEASE_BUFFERS frees
            // the 16 KiB record buffer only on some paths; after a read that also processed a
            // post-handshake message it stays allocated, which cost a pooled keep-alive connection
            // (Spark's HTTP API) 10 KiB more per open stream than a WebSocket. Guarded by
            // SSL_has_pending, so a partly read record is never freed under OpenSSL.
            if SSL_has_pending(ssl) == 0 { _ = SSL_free_buffers(ssl) }
            return .processed(Int(count))
        }
        let error = SSL_get_error(ssl, count)
        switch error {
        case SSL_ERROR_WANT_READ:
            return .wouldBlock
        case SSL_ERROR_WANT_WRITE:
            readWantsWritable = true
            return .wouldBlock
        case SSL_ERROR_ZERO_RETURN:
            return .processed(0)
        case SSL_ERROR_SYSCALL:
            if ERR_peek_error() == 0 {
                let code = errno
                // EOF without close_notify (SSL_OP_IGNORE_UNEXPECTED_EOF makes this rare): treat as end.
                if count == 0 || code == 0 { return .processed(0) }
                throw .io(IOError(errnoCode: code, operation: "TLS read"))
            }
            throw .tls(TLSContext.lastError("TLS read"))
        default:
            throw .tls(TLSContext.lastError("TLS read"))
        }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(TransportError) -> IOResult<Int> {
        guard let ssl else { throw .tls("the TLS session is closed") }
        guard buffer.count > 0 else { return .processed(0) }
        ERR_clear_error()
        writeWantsReadable = false
        let count = SSL_write(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if count > 0 { return .processed(Int(count)) }
        let error = SSL_get_error(ssl, count)
        switch error {
        case SSL_ERROR_WANT_WRITE:
            return .wouldBlock
        case SSL_ERROR_WANT_READ:
            writeWantsReadable = true
            return .wouldBlock
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
            throw .io(IOError(errnoCode: errno == 0 ? EPIPE : errno, operation: "TLS write"))
        default:
            throw .tls(TLSContext.lastError("TLS write"))
        }
    }

    public var hasBufferedReadData: Bool {
        guard let ssl else { return false }
        // SSL_pending only counts the current record; SSL_has_pending also sees records OpenSSL has
        // already read from the socket (read-ahead, or bytes that arrived with the handshake).
        return SSL_pending(ssl) > 0 || SSL_has_pending(ssl) == 1
    }

    public func shutdownWrite() {
        if let ssl {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
        }
        socket.shutdownWrite()
    }

    public func release() {
        settleHandshakeSlot()
        if let ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
    }
}
