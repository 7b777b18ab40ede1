import Foundation
import HTTPCodec

/// One blocking HTTP/1.1 request over a fresh loopback connection, for the rare control requests
/// (health polling, endpoint probing); the load itself never uses this.
enum HTTPProbe {
    /// The status code of `method path` at 127.0.0.1:`port`, or `nil` when the connection failed.
    static func status(port: Int, method: String = "GET", path: String, body: String = "", timeoutMs: Int = 1000) -> Int? {
        guard let fd = try? LoopbackSocket.connect(port: port, timeoutMs: timeoutMs) else { return nil }
        defer { close(fd) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if !body.isEmpty || method == "POST" {
            request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        request += "\r\n" + body
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        var filled = 0
        while filled < 12 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, 64 - filled, 0) }
            guard count > 0 else { return nil }
            filled += count
        }
        // "HTTP/1.1 200 "
        guard let code = Int(String(decoding: buffer[9..<12], as: UTF8.self)) else { return nil }
        return code
    }

    /// `GET path` at 127.0.0.1:`port` with the extra header fields `headers`: the status and the
    /// whole body (read to the end of the response, whatever its framing), or `nil` when the
    /// connection failed or the answer was not HTTP.
    static func get(port: Int, path: String, headers: [(String, String)] = [], timeoutMs: Int = 2000) -> (status: Int, body: [UInt8])? {
        guard let fd = try? LoopbackSocket.connect(port: port, timeoutMs: timeoutMs) else { return nil }
        defer { close(fd) }
        let fields = headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        let bytes = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\(fields)\r\n".utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else { return nil }
        var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: 64 << 20))
        var status: Int?
        var body: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var ended = false
        while true {
            do throws(HTTPParserError) {
                while let part = try parser.next() {
                    switch part {
                    case .head(let head): status = head.status
                    case .body(let piece): body += piece
                    case .end: if let status { return (status, body) }
                    }
                }
                if ended { return nil }
            } catch {
                return nil
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            } else if count == 0 {
                ended = true
                guard (try? parser.endOfInput()) != nil else { return nil }
            } else {
                return nil
            }
        }
    }

    /// A TCP port free right now on 127.0.0.1 (bound and released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = LoopbackSocket.address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
