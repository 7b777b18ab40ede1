import Foundation
import HTTPCodec
import RelayCrypto
import SparkCodec
import WebSocketCodec

/// An HTTP response head and body as the test client read it.
struct TestHTTPResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the test client saw on the WebSocket, in order.
enum TestWebSocketEvent: Equatable {
    case text(String)
    case binary([UInt8])
    case ping([UInt8])
    case close(UInt16?)
    case endOfStream
}

/// A small blocking WebSocket client for the simulator tests: builds the handshake and frames with
/// `WebSocketCodec`, parses the server's bytes with `HTTPResponseParser` and `WebSocketFrameDecoder`.
final class TestWebSocketClient {
    let socket: BlockingSocket
    private var frameDecoder = WebSocketFrameDecoder(role: .client, maxFrameSize: 128 * 1024 * 1024)
    private var assembler = WebSocketMessageAssembler(maxMessageSize: 128 * 1024 * 1024)
    /// Every data or control frame received, in order (for fragmentation and size checks).
    private(set) var rawFrames: [WebSocketFrame] = []
    /// Answer pings automatically while reading.
    var autoPong = true

    init(port: Int, timeout: Double = 5, caFile: String? = nil, expectedHost: String = "127.0.0.1") throws {
        socket = try BlockingSocket(port: port, timeout: timeout, caFile: caFile, expectedHost: expectedHost)
    }

    /// Sends a raw upgrade request for `target` and reads the response head and body.
    func upgrade(target: String, host: String, key: String = WebSocketHandshake.makeClientKey(),
                 extraHeaders: [(String, String)] = []) throws -> TestHTTPResponse {
        try socket.write(WebSocketHandshake.clientRequest(host: host, requestTarget: target, key: key, extraHeaders: extraHeaders))
        return try readHTTPResponse()
    }

    /// Reads one response: head, then a `Content-Length` body; bytes after it go to the frame decoder.
    func readHTTPResponse() throws -> TestHTTPResponse {
        var parser = HTTPResponseParser()
        parser.setRequestMethod(.get)
        var head: HTTPResponseHeadParsed?
        var body: [UInt8] = []
        while true {
            while let part = try parser.next() {
                switch part {
                case .head(let parsed):
                    head = parsed
                    if parsed.status == 101 {
                        frameDecoder.append(parser.remainingBytes)
                        return TestHTTPResponse(status: 101, headers: parsed.headers, body: [])
                    }
                case .body(let bytes):
                    body += bytes
                case .end:
                    guard let head else { throw TestClientError(kind: .protocolViolation, message: "end without head") }
                    return TestHTTPResponse(status: head.status, headers: head.headers, body: body)
                }
            }
            let bytes = try socket.read()
            if bytes.isEmpty {
                try parser.endOfInput()
                if let head { return TestHTTPResponse(status: head.status, headers: head.headers, body: body) }
                throw TestClientError(kind: .protocolViolation, message: "connection closed before a response")
            }
            parser.append(bytes)
        }
    }

    /// Sends one masked frame.
    func send(opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) throws {
        try socket.write(WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, fin: fin, maskingKey: SecureRandom.bytes(count: 4)))
    }

    /// Sends a text message.
    func sendText(_ text: String) throws {
        try send(opcode: .text, Array(text.utf8))
    }

    /// Sends a Close frame with `code` (or an empty one).
    func sendClose(code: UInt16?) throws {
        try send(opcode: .close, code.map { WebSocketFrameEncoder.closePayload(code: WebSocketCloseCode(rawValue: $0), reason: "") } ?? [])
    }

    /// The next frame, or nil at end of stream.
    func readFrame() throws -> WebSocketFrame? {
        while true {
            if let frame = try frameDecoder.next() {
                rawFrames.append(frame)
                return frame
            }
            let bytes = try socket.read()
            if bytes.isEmpty { return nil }
            frameDecoder.append(bytes)
        }
    }

    /// The next message-level event; pings are answered when `autoPong` is on (and still reported).
    func readEvent() throws -> TestWebSocketEvent {
        while true {
            guard let frame = try readFrame() else { return .endOfStream }
            guard let message = try assembler.receive(frame) else { continue }
            switch message {
            case .text(let text): return .text(text)
            case .textBytes(let bytes): return .text(String(decoding: bytes, as: UTF8.self))
            case .binary(let bytes): return .binary(bytes)
            case .ping(let payload):
                if autoPong { try send(opcode: .pong, payload) }
                return .ping(payload)
            case .pong: continue
            case .close(let code, _): return .close(code?.rawValue)
            }
        }
    }

    /// Reads text messages until a Close frame or end of stream; returns the texts, the pings seen and how it ended.
    func readUntilEnd() throws -> (texts: [String], pings: Int, end: TestWebSocketEvent) {
        var texts: [String] = []
        var pings = 0
        while true {
            let event = try readEvent()
            switch event {
            case .text(let text): texts.append(text)
            case .ping: pings += 1
            case .binary: throw TestClientError(kind: .protocolViolation, message: "binary message from the simulator")
            case .close, .endOfStream: return (texts, pings, event)
            }
        }
    }

    /// Reads exactly `count` text messages (answering pings).
    func readTexts(_ count: Int) throws -> [String] {
        var texts: [String] = []
        while texts.count < count {
            switch try readEvent() {
            case .text(let text): texts.append(text)
            case .ping: continue
            case let other: throw TestClientError(kind: .protocolViolation, message: "expected a text message, got \(other)")
            }
        }
        return texts
    }
}
