import JSON
import SparkCodec

/// What the bench reads from one forwarded Spark `payload` (the SSE `data` of a chunk): its `seq`,
/// its text, and the simulator's send stamp (`payload.choices.sim_sent_ns`, present with `[[stamp]]`).
public struct ChunkFields: Sendable, Equatable {
    /// `payload.choices.seq`.
    public var seq: Int
    /// `payload.choices.text[0].content`.
    public var content: String
    /// `payload.choices.sim_sent_ns`, Unix ns (CLOCK_REALTIME), when stamped.
    public var sentNanoseconds: Int64?

    /// Fields from their values.
    public init(seq: Int, content: String, sentNanoseconds: Int64?) {
        self.seq = seq
        self.content = content
        self.sentNanoseconds = sentNanoseconds
    }

    /// Reads the fields from a payload object's JSON bytes; `nil` when it has no `choices.seq`.
    public static func parse(payload bytes: [UInt8]) -> ChunkFields? {
        guard let value = try? JSONScanner.parse(bytes),
              let choices = value["choices"],
              let seq = choices["seq"]?.intValue else { return nil }
        let content = choices["text"]?.arrayValue?.first?["content"]?.stringValue ?? ""
        let stamp = choices["sim_sent_ns"]?.intValue.map(Int64.init)
        return ChunkFields(seq: seq, content: content, sentNanoseconds: stamp)
    }
}

extension ChunkFields {
    /// Reads the fields from a whole Spark response frame (`{"header":…,"payload":…}`), as the direct
    /// WebSocket client receives it; also returns `header.status` (2 on the last frame) and `header.code`.
    public static func parse(frame bytes: [UInt8]) -> (fields: ChunkFields?, status: Int?, code: Int?) {
        guard let value = try? JSONScanner.parse(bytes) else { return (nil, nil, nil) }
        let header = value["header"]
        var fields: ChunkFields?
        if let choices = value["payload"]?["choices"], let seq = choices["seq"]?.intValue {
            fields = ChunkFields(seq: seq, content: choices["text"]?.arrayValue?.first?["content"]?.stringValue ?? "",
                                 sentNanoseconds: choices["sim_sent_ns"]?.intValue.map(Int64.init))
        }
        return (fields, header?["status"]?.intValue, header?["code"]?.intValue)
    }
}
