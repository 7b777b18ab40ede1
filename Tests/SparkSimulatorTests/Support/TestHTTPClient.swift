import Foundation
import HTTPCodec
import SparkCodec

/// One HTTP API answer as the test client saw it: the head, the raw (de-chunked) body, and for an
/// event stream the frames `SparkHTTPStreamDecoder` made of it and how the stream ended.
struct TestHTTPAnswer {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var frames: [SparkResponseFrame] = []
    /// The decoder's error (an error chunk, or `closedBeforeEnd` when the body ended early).
    var error: SparkError?
    /// `true` when the response's body ended (`.end` came), `false` when the client stopped reading
    /// first or the connection closed mid-body.
    var complete: Bool
    /// `true` when the `data: [DONE]` terminator was read.
    var sawDone: Bool
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A small blocking client for the simulator's HTTP API: writes `POST` requests, parses responses
/// (keep-alive: one parser for the connection) with `HTTPResponseParser`.
final class TestHTTPClient {
    let socket: BlockingSocket
    let port: Int
    private var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: Int.max))

    init(port: Int, timeout: Double = 5) throws {
        self.port = port
        socket = try BlockingSocket(port: port, timeout: timeout)
    }

    /// The bearer token of the harness's app.
    static let keySecret = "Bearer \(SimulatorHarness.credentials.apiKey):\(SimulatorHarness.credentials.apiSecret)"

    /// A request body for `prompt` as the single user message.
    static func body(_ prompt: String, model: String = "generalv3.5", stream: Bool = true) -> [UInt8] {
        SparkHTTPRequest(model: model, messages: [SparkChatMessage(role: .user, content: prompt)], stream: stream,
                         temperature: 0.5, maxTokens: 1024, user: "tester").encodeJSON()
    }

    /// Writes one request.
    func send(path: String = "/v1/chat/completions", method: String = "POST", body: [UInt8],
              authorization: String? = TestHTTPClient.keySecret, extraHeaders: [(String, String)] = []) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        try socket.write(Array(head.utf8) + body)
    }

    /// Sends `prompt` and reads the whole answer.
    func ask(_ prompt: String, path: String = "/v1/chat/completions", model: String = "generalv3.5", stream: Bool = true) throws -> TestHTTPAnswer {
        try send(path: path, body: Self.body(prompt, model: model, stream: stream))
        return try readResponse()
    }

    /// Reads one response; stops early (without reading the rest) once `stopAfterFrames` frames
    /// were decoded. A read timeout ends the read (`complete == false`).
    func readResponse(stopAfterFrames: Int? = nil) throws -> TestHTTPAnswer {
        var answer = TestHTTPAnswer(status: 0, headers: HTTPHeaders(), body: [], complete: false, sawDone: false)
        var decoder: SparkHTTPStreamDecoder?
        var sawHead = false
        func feed(_ bytes: [UInt8]) {
            guard var current = decoder, answer.error == nil else { return }
            do {
                answer.frames += try current.append(bytes)
            } catch {
                answer.error = error
            }
            answer.sawDone = current.isFinished && answer.error == nil
            decoder = current
        }
        while true {
            while let part = try parser.next() {
                switch part {
                case .head(let head):
                    guard head.status >= 200 else { continue }
                    sawHead = true
                    answer.status = head.status
                    answer.headers = head.headers
                    if head.headers["Content-Type"]?.hasPrefix("text/event-stream") == true {
                        decoder = SparkHTTPStreamDecoder()
                    }
                case .body(let bytes):
                    answer.body += bytes
                    feed(bytes)
                    if let stop = stopAfterFrames, answer.frames.count >= stop { return answer }
                case .end:
                    answer.complete = true
                    if var current = decoder, answer.error == nil {
                        do {
                            answer.frames += try current.finish()
                        } catch {
                            answer.error = error
                        }
                    }
                    return answer
                }
            }
            let bytes: [UInt8]
            do {
                bytes = try socket.read()
            } catch let error as TestClientError where error.kind == .timeout {
                guard sawHead else { throw error }
                return answer
            }
            if bytes.isEmpty {
                if var current = decoder, answer.error == nil {
                    do {
                        answer.frames += try current.finish()
                    } catch {
                        answer.error = error
                    }
                }
                guard sawHead else { throw TestClientError(kind: .protocolViolation, message: "connection closed before a response") }
                return answer
            }
            parser.append(bytes)
        }
    }

    /// `true` when the server closes the connection within the socket's timeout (nothing else arrives).
    func serverClosed() -> Bool {
        (try? socket.read())?.isEmpty ?? false
    }

    func close() {
        socket.close()
    }
}
