import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failure of the blocking test client.
struct TestClientError: Error, CustomStringConvertible {
    enum Kind { case connect, timeout, io, tls, protocolViolation }
    var kind: Kind
    var message: String
    var description: String { "\(kind): \(message)" }
}

/// A blocking TCP (optionally TLS) connection to 127.0.0.1 with a receive timeout (`SO_RCVTIMEO`), for
/// tests only: plain POSIX calls and, for TLS, OpenSSL on the blocking descriptor.
final class BlockingSocket {
    let descriptor: Int32
    private var ssl: OpaquePointer?
    private var context: OpaquePointer?

    /// Connects to `127.0.0.1:port`; with `caFile` does a verified TLS handshake expecting `expectedHost`.
    init(port: Int, timeout: Double = 5, caFile: String? = nil, expectedHost: String = "127.0.0.1") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError(kind: .connect, message: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(descriptor)
            throw TestClientError(kind: .connect, message: "connect: errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setReceiveTimeout(timeout)
        if let caFile { try startTLS(caFile: caFile, expectedHost: expectedHost) }
    }

    deinit {
        close()
    }

    /// Changes the receive timeout for later reads.
    func setReceiveTimeout(_ seconds: Double) {
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    private func startTLS(caFile: String, expectedHost: String) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TestClientError(kind: .tls, message: "SSL_CTX_new") }
        self.context = context
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else { throw TestClientError(kind: .tls, message: "CA file") }
        guard let ssl = SSL_new(context) else { throw TestClientError(kind: .tls, message: "SSL_new") }
        self.ssl = ssl
        SSL_set_fd(ssl, descriptor)
        if inet_addr(expectedHost) != INADDR_NONE {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), expectedHost)
        } else {
            _ = spark_SSL_set_tlsext_host_name(ssl, expectedHost)
            SSL_set1_host(ssl, expectedHost)
        }
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            throw TestClientError(kind: .tls, message: "SSL_connect failed, verify result \(verify)")
        }
    }

    /// The negotiated TLS version (`TLSv1.3`), or nil without TLS.
    var tlsVersion: String? {
        guard let ssl else { return nil }
        return String(cString: SSL_get_version(ssl))
    }

    /// Writes everything.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { buffer -> Int in
                if let ssl { return Int(SSL_write(ssl, buffer.baseAddress, Int32(buffer.count))) }
                return Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw TestClientError(kind: .io, message: "write failed: errno \(errno)") }
            offset += count
        }
    }

    /// Reads what is available (blocking up to the timeout); empty at end of stream.
    func read(maxBytes: Int = 65536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count))) }
            return Glibc.recv(descriptor, raw.baseAddress, raw.count, 0)
        }
        if count > 0 { return Array(buffer[..<count]) }
        if let ssl {
            let error = SSL_get_error(ssl, Int32(count))
            if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0) { return [] }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError(kind: .timeout, message: "TLS read timed out") }
            if errno == ECONNRESET { return [] }
            throw TestClientError(kind: .tls, message: "SSL_read error \(error), errno \(errno)")
        }
        if count == 0 { return [] }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError(kind: .timeout, message: "read timed out") }
        if errno == ECONNRESET { return [] }
        throw TestClientError(kind: .io, message: "read failed: errno \(errno)")
    }

    /// Closes the connection abruptly (no TLS close_notify, no WebSocket Close frame).
    func close() {
        if let ssl { SSL_free(ssl); self.ssl = nil }
        if let context { SSL_CTX_free(context); self.context = nil }
        if !closed {
            closed = true
            Glibc.close(descriptor)
        }
    }

    private var closed = false
}
