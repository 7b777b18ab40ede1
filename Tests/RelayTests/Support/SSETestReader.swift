import Foundation
import HTTPCodec
@testable import Relay

/// Reads a streamed response (SSE, NDJSON or text) from a `TestHTTPClient`, keeping the raw body
/// and the SSE events parsed by the project's WHATWG parser.
struct StreamedResponse {
    var status: Int
    var headers: HTTPHeaders
    var raw: [UInt8]
    var events: [SSEParsedEvent]
    var retry: Int?
    var ended: Bool

    var rawText: String { String(decoding: raw, as: UTF8.self) }
    var dataEvents: [SSEParsedEvent] { events.filter { $0.type == "message" } }
    var terminal: SSEParsedEvent? { events.last.flatMap { $0.type == "done" || $0.type == "stream-error" ? $0 : nil } }

    /// The answer text: every data event's `choices.text[0].content`, concatenated.
    var text: String {
        dataEvents.compactMap { event -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
                  let choices = object["choices"] as? [String: Any],
                  let items = choices["text"] as? [[String: Any]] else { return nil }
            return items.first?["content"] as? String
        }.joined()
    }

    /// The terminal event's JSON.
    var terminalJSON: [String: Any]? {
        terminal.flatMap { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] }
    }

    var errorObject: [String: Any]? { terminalJSON?["error"] as? [String: Any] }

    /// `n` of every event id `{stream}:{n}`.
    var sequenceNumbers: [Int] { events.compactMap { Int($0.lastEventID.split(separator: ":").last ?? "") } }
}

extension TestHTTPClient {
    /// Sends a chat POST with a JSON body.
    func postJSON(_ path: String, _ json: String, accept: String? = nil, extraHeaders: [(String, String)] = [], version: String = "HTTP/1.1") {
        var text = "POST \(path) \(version)\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n"
        if let accept { text += "Accept: \(accept)\r\n" }
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        send(text + "\r\n" + json)
    }

    /// Reads the rest of a chunked response that `readStream(stopAfter:)` left half-read, up to its
    /// last chunk; returns the raw bytes.
    @discardableResult
    func drainChunkedRemainder() throws -> String {
        var remainder: [UInt8] = []
        while !String(decoding: remainder, as: UTF8.self).hasSuffix("0\r\n\r\n") {
            let bytes = try readChunk()
            if bytes.isEmpty { break }
            remainder += bytes
        }
        return String(decoding: remainder, as: UTF8.self)
    }

    /// Reads a streamed response until it ends, or until `stopAfter` events arrived (then returns
    /// without consuming the rest; the caller may close the socket).
    func readStream(stopAfter: Int? = nil, head: Bool = false) throws -> StreamedResponse {
        var parser = HTTPResponseParser(limits: HTTPParserLimits(maxBodyBytes: Int.max), requestMethodWasHEAD: head)
        var sse = SSEParser()
        var result = StreamedResponse(status: 0, headers: HTTPHeaders(), raw: [], events: [], retry: nil, ended: false)
        var eof = false
        while true {
            while let part = try parser.next() {
                switch part {
                case .head(let h):
                    if h.status == 100 { continue }
                    result.status = h.status
                    result.headers = h.headers
                case .body(let bytes):
                    result.raw += bytes
                    result.events += sse.append(bytes)
                    result.retry = sse.retry
                    if let stopAfter, result.events.count >= stopAfter { return result }
                case .end:
                    result.ended = true
                    return result
                }
            }
            if eof { return result }
            let bytes = try readChunk()
            if bytes.isEmpty {
                eof = true
                try parser.endOfInput()
            } else {
                parser.append(bytes)
            }
        }
    }
}
