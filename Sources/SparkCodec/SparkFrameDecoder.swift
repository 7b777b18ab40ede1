import JSON

/// Decodes the response frames of one answer, in order (SparkCodec/README.md §5.6): an error frame
/// throws `.upstream`, the frame with `status` 2 ends the answer, anything after that throws
/// `.frameAfterEnd`. Missing `payload`, `choices`, `text`, `content` default to empty; unknown fields
/// are ignored (and kept in `payloadJSON`). Each frame costs O(frame size).
///
/// Takes whole WebSocket text messages (the WebSocket layer reassembles fragments and bounds their
/// size); `maxFrameBytes` is a second, cheaper bound.
public struct SparkFrameDecoder: Sendable {
    /// Default largest frame: 4 MiB (search-source frames exceed 1 KiB; answers are small deltas).
    public static let defaultMaxFrameBytes = 4 * 1024 * 1024

    /// The largest message accepted.
    public let maxFrameBytes: Int
    /// `true` after the last frame or an error frame.
    public private(set) var isFinished = false
    /// The first `header.sid` seen (Spark repeats the same sid in every frame).
    public private(set) var sid: String?
    /// Frames decoded successfully so far.
    public private(set) var frameCount = 0

    /// `false` to always take the general path (differential tests and the fuzzer compare both paths).
    public var usesFastPath = true

    /// Creates a decoder for one answer.
    public init(maxFrameBytes: Int = defaultMaxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Decodes one text message. `header.code` is required; a missing `header.status` counts as 1
    /// (intermediate); `null` counts as absent everywhere; wrong types are `.malformedFrame`.
    public mutating func decode(_ text: [UInt8]) throws(SparkError) -> SparkResponseFrame {
        guard !isFinished else { throw .frameAfterEnd }
        guard text.count <= maxFrameBytes else { throw .malformedFrame("frame of \(text.count) bytes exceeds \(maxFrameBytes)") }
        if usesFastPath, let (fields, isCompact) = SparkFrameFastPath.decode(text, previousSID: sid) {
            // The common, well-formed shape, read in one pass; anything else takes the general path below.
            return accept(fields, isCompact: isCompact, text: text)
        }
        let root: JSONValue
        let isCompact: Bool
        do {
            // Validates the whole frame but builds only the members read below (no tree of Strings).
            (root, isCompact) = try JSONScanner.parse(text, picking: Self.pick)
        } catch {
            throw .malformedFrame("invalid JSON: \(error)")
        }
        // Spark's frames are compact: then a value's bytes are forwarded as they are.
        let compact: (Range<Int>) -> [UInt8] = { range in
            isCompact ? Array(text[range]) : JSONScanner.compact(text[range])
        }
        guard root.isObject else { throw .malformedFrame("frame is not a JSON object") }
        guard let header = present(root["header"]) else { throw .malformedFrame("missing header") }
        guard header.isObject else { throw .malformedFrame("header is not an object") }
        guard let code = try int(header["code"], "header.code") else { throw .malformedFrame("missing header.code") }
        let message = try string(header["message"], "header.message") ?? ""
        let frameSID = try string(header["sid"], "header.sid")
        if sid == nil { sid = frameSID }
        if code != 0 {
            isFinished = true
            throw .upstream(code: code, message: message, sid: frameSID ?? sid)
        }
        let status = try int(header["status"], "header.status") ?? 1

        var frame = SparkResponseFrame(code: code, message: message, sid: frameSID, status: status, hasChoices: false)
        if let payloadMember = root.member("payload"), !payloadMember.value.isNull {
            let payload = payloadMember.value
            guard payload.isObject else { throw .malformedFrame("payload is not an object") }
            frame.payloadJSON = compact(payloadMember.valueRange)
            if let choices = present(payload["choices"]) {
                guard choices.isObject else { throw .malformedFrame("payload.choices is not an object") }
                frame.hasChoices = true
                frame.choicesStatus = try int(choices["status"], "payload.choices.status")
                frame.seq = try int(choices["seq"], "payload.choices.seq")
                try decodeText(choices["text"], into: &frame, compact: compact)
            }
            if let usage = present(payload["usage"]) {
                frame.usage = try decodeUsage(usage)
            }
            if let plugins = payload.member("plugins"), !plugins.value.isNull {
                frame.pluginsJSON = compact(plugins.valueRange)
            }
        }
        frameCount += 1
        if frame.isLast { isFinished = true }
        return frame
    }

    /// The fast path's result, with the same defaults as the general path (`header.code` is 0 there).
    private mutating func accept(_ fields: SparkFrameFields, isCompact: Bool, text: [UInt8]) -> SparkResponseFrame {
        let compact: (Range<Int>) -> [UInt8] = { range in
            isCompact ? Array(text[range]) : JSONScanner.compact(text[range])
        }
        if sid == nil { sid = fields.sid }
        var frame = SparkResponseFrame(code: 0, message: fields.message ?? "", sid: fields.sid, status: fields.status ?? 1,
                                       hasChoices: false)
        if let payload = fields.payloadRange {
            frame.payloadJSON = compact(payload)
            frame.hasChoices = fields.hasChoices
            frame.choicesStatus = fields.choicesStatus
            frame.seq = fields.seq
            frame.content = fields.content ?? ""
            frame.reasoningContent = fields.reasoningContent
            frame.functionCall = fields.functionCall
            frame.usage = fields.usage
            frame.pluginsJSON = fields.pluginsRange.map(compact)
        }
        frameCount += 1
        if frame.isLast { isFinished = true }
        return frame
    }

    /// The members `decode` reads; everything else is validated and skipped.
    static let pick: JSONPick = .members([
        ("header", .members([("code", .all), ("message", .all), ("sid", .all), ("status", .all)])),
        ("payload", .members([
            ("choices", .members([
                ("status", .all), ("seq", .all),
                ("text", .elements(.members([
                    ("content", .all), ("reasoning_content", .all),
                    ("function_call", .members([("name", .all), ("arguments", .all)])),
                ]))),
            ])),
            ("usage", .members([
                ("text", .members([("prompt_tokens", .all), ("completion_tokens", .all), ("total_tokens", .all), ("question_tokens", .all)])),
            ])),
            ("plugins", .kind),
        ])),
    ])

    /// The error to report when the connection closes now: `nil` after the last frame (even if the close
    /// itself was abrupt, SparkCodec/README.md §2), else `.closedBeforeEnd`.
    public func errorOnClose() -> SparkError? {
        isFinished ? nil : .closedBeforeEnd(sid: sid)
    }

    private func decodeText(_ value: JSONValue?, into frame: inout SparkResponseFrame, compact: (Range<Int>) -> [UInt8]) throws(SparkError) {
        guard let value = present(value) else { return }
        guard let items = value.arrayValue else { throw .malformedFrame("payload.choices.text is not an array") }
        // Clients read text[0] only; more than one item has never been observed (SparkCodec/README.md §7).
        guard let first = items.first else { return }
        guard first.isObject else { throw .malformedFrame("payload.choices.text[0] is not an object") }
        frame.content = try string(first["content"], "content") ?? ""
        frame.reasoningContent = try string(first["reasoning_content"], "reasoning_content")
        if let call = first.member("function_call"), !call.value.isNull {
            guard call.value.isObject else { throw .malformedFrame("function_call is not an object") }
            let name = try string(call.value["name"], "function_call.name") ?? ""
            var arguments = ""
            if let argumentsMember = call.value.member("arguments"), !argumentsMember.value.isNull {
                if let text = argumentsMember.value.stringValue {
                    arguments = text
                } else {
                    // Tolerate an object instead of a JSON string: forward its compact JSON text.
                    let slice = compact(argumentsMember.valueRange)
                    arguments = String(decoding: slice, as: UTF8.self)
                }
            }
            frame.functionCall = SparkFunctionCall(name: name, arguments: arguments)
        }
    }

    private func decodeUsage(_ usage: JSONValue) throws(SparkError) -> SparkUsage? {
        guard usage.isObject else { throw .malformedFrame("payload.usage is not an object") }
        guard let text = present(usage["text"]) else { return nil }
        guard text.isObject else { throw .malformedFrame("payload.usage.text is not an object") }
        return SparkUsage(
            promptTokens: try int(text["prompt_tokens"], "prompt_tokens") ?? 0,
            completionTokens: try int(text["completion_tokens"], "completion_tokens") ?? 0,
            totalTokens: try int(text["total_tokens"], "total_tokens") ?? 0,
            questionTokens: try int(text["question_tokens"], "question_tokens") ?? 0)
    }

    /// `nil` for absent or `null`.
    private func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    private func int(_ value: JSONValue?, _ name: String) throws(SparkError) -> Int? {
        guard let value = present(value) else { return nil }
        guard let number = value.intValue else { throw .malformedFrame("\(name) is not an integer") }
        return number
    }

    private func string(_ value: JSONValue?, _ name: String) throws(SparkError) -> String? {
        guard let value = present(value) else { return nil }
        guard let text = value.stringValue else { throw .malformedFrame("\(name) is not a string") }
        return text
    }
}
