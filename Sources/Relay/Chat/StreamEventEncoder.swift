import HTTPCodec
import SparkCodec

/// Writes `StreamEvent`s as SSE, NDJSON or plain text.
enum StreamEventEncoder {
    static func encode(_ event: StreamEvent, streamID: String, format: StreamFormat) -> [UInt8] {
        let id = "\(streamID):\(event.sequence)"
        switch format {
        case .eventStream:
            switch event.kind {
            case .data: return SSEEncoder.encodeData(json: event.json, id: id, event: nil)
            case .done: return SSEEncoder.encodeData(json: event.json, id: id, event: "done")
            case .error: return SSEEncoder.encodeData(json: event.json, id: id, event: "stream-error")
            }
        case .ndjson:
            var writer = JSONWriter(capacity: event.json.count + 64)
            writer.beginObject()
            switch event.kind {
            case .data: break
            case .done:
                writer.key("event")
                writer.string("done")
            case .error:
                writer.key("event")
                writer.string("stream-error")
            }
            writer.key("id")
            writer.string(id)
            writer.key("data")
            writer.raw(event.json)
            writer.endObject()
            return writer.bytes + [0x0A]
        case .plainText:
            switch event.kind {
            case .data: return Array(event.text.utf8)
            case .done: return []
            case .error: return Array("\n[stream-error] \(event.text)\n".utf8)
            }
        }
    }

    /// What a stream starts with: SSE's `retry:` line.
    static func preamble(format: StreamFormat, retryMilliseconds: Int) -> [UInt8] {
        format == .eventStream ? SSEEncoder.retry(milliseconds: retryMilliseconds) : []
    }

    /// The keep-alive written while the upstream is silent (SSE comment; nothing for other formats).
    static func heartbeat(format: StreamFormat) -> [UInt8]? {
        format == .eventStream ? SSEEncoder.comment("ping") : nil
    }
}
