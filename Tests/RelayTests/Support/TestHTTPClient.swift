import Foundation
import HTTPCodec
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 test client over a real socket: raw bytes out, parsed responses in.
/// Every read has a timeout, so a server bug fails the test instead of hanging it.
final class TestHTTPClient {
    enum ClientError: Error, CustomStringConvertible {
        case connectFailed(Int32)
        case timedOut
        case closedEarly
        case parse(HTTPParserError)
        var description: String {
            switch self {
            case .connectFailed(let code): return "connect failed: errno \(code)"
            case .timedOut: return "timed out waiting for the server"
            case .closedEarly: return "connection closed before the response ended"
            case .parse(let error): return "bad response: \(error)"
            }
        }
    }

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
    }

    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 10) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw ClientError.connectFailed(code)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads at most `max` bytes (blocking, with the socket timeout); `[]` at end of stream.
    func readChunk(max: Int = 65536) throws -> [UInt8] {
        if !pending.isEmpty {
            defer { pending = [] }
            return pending
        }
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timedOut }
            return []
        }
        return Array(buffer.prefix(n))
    }

    /// Reads one whole response (`head` for HEAD requests).
    func readResponse(head: Bool = false) throws -> Response {
        var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: 64 * 1024 * 1024), requestMethodWasHEAD: head)
        parser.append(pending)
        pending = []
        var response: Response?
        var eof = false
        while true {
            do {
                while let part = try parser.next() {
                    switch part {
                    case .head(let h): response = Response(status: h.status, headers: h.headers, body: [])
                    case .body(let b): response?.body.append(contentsOf: b)
                    case .end:
                        pending = parser.remainingBytes
                        if let response { return response }
                    }
                }
            } catch {
                throw ClientError.parse(error)
            }
            if eof { throw ClientError.closedEarly }
            let bytes = try readChunk()
            if bytes.isEmpty {
                eof = true
                do { try parser.endOfInput() } catch { throw ClientError.parse(error) }
            } else {
                parser.append(bytes)
            }
        }
    }

    /// Sends a request and reads its response.
    func request(_ method: String = "GET", _ target: String, headers: [(String, String)] = [], body: String? = nil) throws -> Response {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n"
        if let body { text += body }
        send(text)
        return try readResponse(head: method == "HEAD")
    }

    /// `true` when the server closed the connection (reads end of stream within the timeout).
    func isClosedByServer() -> Bool {
        while true {
            guard let bytes = try? readChunk() else { return false }
            if bytes.isEmpty { return true }
        }
    }
}
