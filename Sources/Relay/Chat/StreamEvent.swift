/// One event of a chat stream, kept in the replay buffer and written to readers in their format.
public struct StreamEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// One Spark frame: `json` is its `payload` object, `text` its content delta.
        case data
        /// The end: `json` is `{"sid","usage"}`.
        case done
        /// The failure that ended the stream: `json` is `{"error":{...}}`.
        case error
    }

    /// 1, 2, 3 … within the stream: the `n` of `id: {streamId}:{n}`.
    public var sequence: Int
    public var kind: Kind
    /// One line of JSON (no CR or LF).
    public var json: [UInt8]
    /// For `.data`: the content delta (plain-text format); for `.error`: the message.
    public var text: String

    public init(sequence: Int, kind: Kind, json: [UInt8], text: String = "") {
        self.sequence = sequence
        self.kind = kind
        self.json = json
        self.text = text
    }

    /// `true` for the event that ends the stream.
    public var isTerminal: Bool { kind != .data }

    /// Approximate memory held by the event (for replay bounds).
    public var byteCount: Int { json.count + text.utf8.count + 48 }
}
