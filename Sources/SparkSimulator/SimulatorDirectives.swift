/// Fault and pacing directives embedded in the prompt (the last user message), so any client (the relay,
/// curl through the relay, a browser) can ask the simulator for a specific behaviour.
///
/// Syntax: `[[name]]`, `[[name:arg]]`, `[[name@N]]` anywhere in the prompt; several may be combined.
/// Recognised directives are removed and the rest of the prompt is trimmed of surrounding whitespace
/// before the answer is computed; unknown `[[…]]` stay in the prompt as plain text (a prompt may
/// hold wiki links). A directive's name in the wrong form (`[[drop]]` without `@N`) is recorded in
/// `malformed`, and the simulator refuses such a request with an error frame that says how to
/// write it, instead of silently answering without the fault asked for.
/// "Frames" below are the answer's data messages (plugin, reasoning and content frames all count).
///
/// | Directive | Effect |
/// |---|---|
/// | `[[error:CODE]]` | one error frame with `header.code` CODE (status 2) instead of an answer, then Close 1000 |
/// | `[[error:CODE@N]]` | N answer frames, then the error frame, then Close 1000 |
/// | `[[drop@N]]` | N answer frames, then the TCP connection is closed without a Close frame |
/// | `[[stall@N]]` | N answer frames, then silence; the socket stays open until the client closes it |
/// | `[[fragment]]` | every message is sent as several frames (text + continuations), split inside a UTF-8 character |
/// | `[[ping]]` | a Ping (payload `sim-ping-<n>`) before every data message; pongs are counted |
/// | `[[oversize:BYTES]]` | the first content frame is padded with `.` after its text to exactly BYTES bytes of JSON |
/// | `[[big]]` | the first content frame starts with `SimulatorScript.bigFiller` (> 65535 bytes: 64-bit length) |
/// | `[[function:NAME]]` | one function-call frame (status 2, usage): name NAME, arguments `{"location":PROMPT}` (`合肥` when the prompt is empty) |
/// | `[[reasoning]]` | X1 style: `reasoning_content` frames (content `""`) first, then the content frames |
/// | `[[plugin]]` | a search-source plugin frame (`SimulatorScript.pluginSourcesJSON`) before the answer |
/// | `[[delay:MS]]` | MS milliseconds before each frame instead of the configured `chunkDelay` |
/// | `[[chunks:N]]` | exactly N content frames (1...100000) |
/// | `[[chunk-chars:N]]` | every content frame carries exactly N characters (1...10000): the answer repeated as often as needed, so frames are as large as real deltas |
/// | `[[slow-first:MS]]` | MS milliseconds before the first frame (instead of the per-frame delay) |
/// | `[[stamp]]` | each frame's header (and its `payload.choices`, when present) gets `"sim_sent_ns":<Unix time in ns when the simulator sent it>` |
///
/// A fault position N at or past the last frame is clamped to "just before the last frame", so a
/// fault always hits before the client has seen `status` 2.
public struct SimulatorDirectives: Sendable, Equatable {
    /// An injected error frame: its code and how many answer frames come first (`nil`: no answer at all).
    public struct ErrorInjection: Sendable, Equatable {
        /// `header.code` of the error frame.
        public var code: Int
        /// Answer frames sent before the error frame; `nil` sends the error frame alone.
        public var afterFrames: Int?

        /// Creates an injection.
        public init(code: Int, afterFrames: Int?) {
            self.code = code
            self.afterFrames = afterFrames
        }
    }

    /// `[[error:CODE]]` / `[[error:CODE@N]]`.
    public var error: ErrorInjection?
    /// `[[drop@N]]`.
    public var dropAfter: Int?
    /// `[[stall@N]]`.
    public var stallAfter: Int?
    /// `[[fragment]]`.
    public var fragment = false
    /// `[[ping]]`.
    public var ping = false
    /// `[[oversize:BYTES]]`.
    public var oversizeBytes: Int?
    /// `[[big]]`.
    public var big = false
    /// `[[function:NAME]]`.
    public var functionName: String?
    /// `[[reasoning]]`.
    public var reasoning = false
    /// `[[plugin]]`.
    public var plugin = false
    /// `[[delay:MS]]`, in milliseconds.
    public var delayMilliseconds: Int?
    /// `[[chunks:N]]`.
    public var chunkCount: Int?
    /// `[[chunk-chars:N]]`.
    public var charactersPerChunk: Int?
    /// `[[slow-first:MS]]`, in milliseconds.
    public var slowFirstMilliseconds: Int?
    /// `[[stamp]]`.
    public var stamp = false
    /// One line per directive whose name is known but whose form is not (`[[drop]]: write [[drop@N]] …`).
    public var malformed: [String] = []

    /// How each directive is written, for the `malformed` messages.
    static let forms: [String: String] = [
        "error": "[[error:CODE]] or [[error:CODE@N]] (CODE 1 to 999999)",
        "drop": "[[drop@N]] (N answer frames before the drop)",
        "stall": "[[stall@N]] (N answer frames before the silence)",
        "fragment": "[[fragment]]", "ping": "[[ping]]", "big": "[[big]]", "reasoning": "[[reasoning]]",
        "plugin": "[[plugin]]", "stamp": "[[stamp]]",
        "oversize": "[[oversize:BYTES]] (1 to \(maxOversizeBytes))",
        "function": "[[function:NAME]] (1 to 64 of A-Z, a-z, 0-9, '_', '-', '.')",
        "delay": "[[delay:MS]] (0 to \(maxMilliseconds))",
        "chunks": "[[chunks:N]] (1 to \(maxChunks))",
        "chunk-chars": "[[chunk-chars:N]] (1 to \(maxCharactersPerChunk))",
        "slow-first": "[[slow-first:MS]] (0 to \(maxMilliseconds))",
    ]

    /// No directives.
    public init() {}

    /// Largest value accepted for `oversize` (64 MiB), `delay`/`slow-first` (10 min) and `chunks`.
    public static let maxOversizeBytes = 64 * 1024 * 1024
    static let maxMilliseconds = 600_000
    static let maxChunks = 100_000
    static let maxCharactersPerChunk = 10_000

    /// Splits `prompt` into its directives and the prompt text that remains (trimmed).
    public static func parse(_ prompt: String) -> (directives: SimulatorDirectives, prompt: String) {
        var directives = SimulatorDirectives()
        var remaining = ""
        var rest = Substring(prompt)
        while let open = rest.firstRange(of: "[[") {
            guard let close = rest[open.upperBound...].firstRange(of: "]]") else { break }
            remaining += rest[..<open.lowerBound]
            let inner = String(rest[open.upperBound..<close.lowerBound])
            if !directives.apply(inner) {
                remaining += rest[open.lowerBound..<close.upperBound]
                let name = String(inner.prefix(while: { $0 != ":" && $0 != "@" }))
                if let form = forms[name] { directives.malformed.append("[[\(inner)]]: write \(form)") }
            }
            rest = rest[close.upperBound...]
        }
        remaining += rest
        return (directives, remaining.trimmingWhitespace())
    }

    /// Applies one directive body (`error:10013@2`); `false` when it is not a valid directive.
    private mutating func apply(_ body: String) -> Bool {
        var name = body
        var argument: String?
        var position: Int?
        if let at = name.lastIndex(of: "@") {
            guard let value = Int(name[name.index(after: at)...]), value >= 0, value <= Self.maxChunks else { return false }
            position = value
            name = String(name[..<at])
        }
        if let colon = name.firstIndex(of: ":") {
            argument = String(name[name.index(after: colon)...])
            name = String(name[..<colon])
        }
        func number(_ range: ClosedRange<Int>) -> Int? {
            guard let argument, let value = Int(argument), range.contains(value) else { return nil }
            return value
        }
        switch (name, argument, position) {
        case ("error", .some, _):
            guard let code = number(1...999_999) else { return false }
            error = ErrorInjection(code: code, afterFrames: position)
        case ("drop", nil, .some(let n)): dropAfter = n
        case ("stall", nil, .some(let n)): stallAfter = n
        case ("fragment", nil, nil): fragment = true
        case ("ping", nil, nil): ping = true
        case ("big", nil, nil): big = true
        case ("reasoning", nil, nil): reasoning = true
        case ("plugin", nil, nil): plugin = true
        case ("stamp", nil, nil): stamp = true
        case ("oversize", .some, nil):
            guard let bytes = number(1...Self.maxOversizeBytes) else { return false }
            oversizeBytes = bytes
        case ("function", .some(let functionName), nil):
            let allowed = functionName.unicodeScalars.allSatisfy {
                ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
            }
            guard !functionName.isEmpty, functionName.count <= 64, allowed else { return false }
            self.functionName = functionName
        case ("delay", .some, nil):
            guard let ms = number(0...Self.maxMilliseconds) else { return false }
            delayMilliseconds = ms
        case ("slow-first", .some, nil):
            guard let ms = number(0...Self.maxMilliseconds) else { return false }
            slowFirstMilliseconds = ms
        case ("chunks", .some, nil):
            guard let count = number(1...Self.maxChunks) else { return false }
            chunkCount = count
        case ("chunk-chars", .some, nil):
            guard let count = number(1...Self.maxCharactersPerChunk) else { return false }
            charactersPerChunk = count
        default:
            return false
        }
        return true
    }
}

extension String {
    /// The string without leading and trailing whitespace and newlines.
    func trimmingWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
