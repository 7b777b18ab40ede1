/// How a decoded Spark frame turns into stream events.
extension SparkEvent {
    /// The most events one frame produces (reasoning, text and `done`); the stream's back-pressure
    /// keeps this much room in the buffer so that one more frame never overfills it.
    static let maxEventsPerFrame = 3

    /// The events of `frame`, in order. `sid` is used for `done` when the frame itself carries none.
    static func events(from frame: SparkResponseFrame, sid: String?) -> [SparkEvent] {
        var events: [SparkEvent] = []
        switch frame.event {
        case .plugin(let rawJSON):
            events.append(.searchSources(raw: String(decoding: rawJSON, as: UTF8.self)))
        case .functionCall(let name, let arguments, _):
            events.append(.functionCall(name: name, arguments: arguments))
        case .content(let text, let reasoning, _):
            if let reasoning, !reasoning.isEmpty { events.append(.reasoningDelta(reasoning)) }
            if !text.isEmpty { events.append(.textDelta(text)) }
        }
        if frame.isLast {
            events.append(.done(sid: frame.sid ?? sid, usage: frame.usage))
        }
        return events
    }
}
