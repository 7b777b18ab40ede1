import RESPCodec
import SparkCodec

/// A `StreamEvent` as the field/value pairs of one Redis Stream entry, and back. Versioned by the
/// `v` field so that relays of different versions sharing a Redis refuse what they cannot read.
enum StreamEventFields {
    static let version: [UInt8] = Array("1".utf8)

    /// Field/value pairs for `XADD key 0-{sequence} …`.
    static func encode(_ event: StreamEvent) -> [[UInt8]] {
        var fields: [[UInt8]] = [Array("v".utf8), version, Array("k".utf8)]
        switch event.kind {
        case .data: fields.append(Array("d".utf8))
        case .done: fields.append(Array("o".utf8))
        case .error: fields.append(Array("e".utf8))
        }
        fields += [Array("j".utf8), event.json]
        func put(_ name: String, _ value: String?) {
            guard let value else { return }
            fields.append(Array(name.utf8))
            fields.append(Array(value.utf8))
        }
        if !event.text.isEmpty { put("t", event.text) }
        put("r", event.reasoning)
        // The first call as version 1 always stored it; later ones (HTTP API) numbered from 1.
        for (index, call) in event.functionCalls.enumerated() {
            let suffix = index == 0 ? "" : String(index)
            put("fn" + suffix, call.name)
            put("fa" + suffix, call.arguments)
            put("fd" + suffix, call.id)
        }
        put("s", event.sid)
        if let usage = event.usage {
            put("u", "\(usage.promptTokens),\(usage.completionTokens),\(usage.totalTokens),\(usage.questionTokens)")
        }
        if let failure = event.failure {
            put("fc", failure.code)
            put("ft", failure.type)
            put("fs", String(failure.httpStatus))
            put("fm", failure.message)
            put("fk", failure.sparkCode.map(String.init))
            put("fi", failure.sid)
        }
        return fields
    }

    /// The event of one `XRANGE` entry (`[id, [field, value, …]]`), with its sequence from the id
    /// `0-{n}`; `nil` for anything malformed.
    static func decode(entry: RESPValue) -> StreamEvent? {
        guard case .array(let parts) = entry, parts.count == 2, let id = parts[0].text,
              id.hasPrefix("0-"), let sequence = Int(id.dropFirst(2)) else { return nil }
        guard let table = parts[1].fields else { return nil }
        guard table["v"] == version, let kindBytes = table["k"], let json = table["j"] else { return nil }
        func string(_ name: String) -> String? { table[name].map { String(decoding: $0, as: UTF8.self) } }
        let kind: StreamEvent.Kind
        switch String(decoding: kindBytes, as: UTF8.self) {
        case "d": kind = .data
        case "o": kind = .done
        case "e": kind = .error
        default: return nil
        }
        var event = StreamEvent(sequence: sequence, kind: kind, json: json, text: string("t") ?? "", reasoning: string("r"), sid: string("s"))
        var index = 0
        while true {
            let suffix = index == 0 ? "" : String(index)
            guard let name = string("fn" + suffix), let arguments = string("fa" + suffix) else { break }
            event.functionCalls.append(SparkFunctionCall(name: name, arguments: arguments, id: string("fd" + suffix)))
            index += 1
        }
        if let usage = string("u") {
            let numbers = usage.split(separator: ",").compactMap { Int($0) }
            guard numbers.count == 4 else { return nil }
            event.usage = SparkUsage(promptTokens: numbers[0], completionTokens: numbers[1], totalTokens: numbers[2], questionTokens: numbers[3])
        }
        if let code = string("fc") {
            guard let type = string("ft"), let status = string("fs").flatMap({ Int($0) }) else { return nil }
            event.failure = StreamFailure(sparkCode: string("fk").flatMap { Int($0) }, code: code, type: type, httpStatus: status,
                                          message: string("fm") ?? "", sid: string("fi"))
        }
        return event
    }
}

extension RESPValue {
    /// The bytes of a blob, simple or verbatim string.
    var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        case .verbatimString(_, let text): text
        default: nil
        }
    }

    /// `bytes` as UTF-8 text.
    var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}
