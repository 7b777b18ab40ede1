import JSON
import SparkCodec

/// The JSON bodies of `done` and `stream-error` events.
enum StreamEventJSON {
    /// `{"error":{"type","code","message","sid"?}}`; Spark's codes stay integers.
    static func error(_ failure: StreamFailure) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("type"); writer.string(failure.type)
        writer.key("code")
        if let code = failure.sparkCode { writer.int(code) } else { writer.string(failure.code) }
        writer.key("message"); writer.string(failure.message)
        if let sid = failure.sid { writer.key("sid"); writer.string(sid) }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// `{"sid","usage":{"prompt_tokens","completion_tokens","total_tokens"}}`.
    static func done(sid: String?, usage: SparkUsage?) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("sid")
        if let sid { writer.string(sid) } else { writer.null() }
        writer.key("usage")
        if let usage {
            writer.beginObject()
            writer.key("prompt_tokens"); writer.int(usage.promptTokens)
            writer.key("completion_tokens"); writer.int(usage.completionTokens)
            writer.key("total_tokens"); writer.int(usage.totalTokens)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.endObject()
        return writer.bytes
    }
}
