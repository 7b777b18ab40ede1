import HTTPCodec

/// Feeds parser input whole, byte by byte and split at every offset, and checks that every
/// feed produces the same outcome (body pieces merged, since they may be cut differently).
struct ParserVerifier {
    /// One normalized event of a request feed.
    enum Event: Equatable, CustomStringConvertible {
        case head(HTTPRequestHead)
        case body([UInt8])
        case end
        case error(HTTPParserError.Kind)

        var description: String {
            switch self {
            case .head(let head): "head(\(head.method) \(head.target))"
            case .body(let bytes): "body(\(String(decoding: bytes, as: UTF8.self)))"
            case .end: "end"
            case .error(let kind): "error(\(kind))"
            }
        }
    }

    /// The agreed outcome, or a description of the first disagreement.
    struct Result {
        var events: [Event]
        var error: HTTPParserError?
        var mismatch: String?

        var heads: [HTTPRequestHead] { events.compactMap { if case .head(let h) = $0 { h } else { nil } } }
        var bodies: [[UInt8]] { events.compactMap { if case .body(let b) = $0 { b } else { nil } } }
        var errorKind: HTTPParserError.Kind? { error?.kind }
    }

    var limits = HTTPParserLimits()
    /// Call `endOfInput()` after the last piece.
    var endOfInput = true

    /// Runs every feed of `input` and compares them.
    func verify(_ input: [UInt8]) -> Result {
        let reference = run([input[...]])
        var feeds: [(String, [ArraySlice<UInt8>])] = [("byte by byte", input.indices.map { input[$0...$0] })]
        for split in 0...input.count {
            feeds.append(("split at \(split)", [input[..<split], input[split...]]))
        }
        for (name, pieces) in feeds {
            let other = run(pieces)
            if other.events != reference.events || other.error != reference.error {
                return Result(events: reference.events, error: reference.error,
                              mismatch: "\(name): \(other.events) vs whole: \(reference.events)")
            }
        }
        return reference
    }

    /// Convenience for string input.
    func verify(_ input: String) -> Result { verify(Array(input.utf8)) }

    private func run(_ pieces: [ArraySlice<UInt8>]) -> Result {
        var parser = HTTPRequestParser(limits: limits)
        var events: [Event] = []
        do {
            for piece in pieces {
                parser.append(piece)
                while let part = try parser.next() {
                    switch part {
                    case .head(let head): events.append(.head(head))
                    case .end: events.append(.end)
                    case .body(let bytes):
                        if case .body(let previous)? = events.last {
                            events[events.count - 1] = .body(previous + bytes)
                        } else {
                            events.append(.body(bytes))
                        }
                    }
                }
            }
            if endOfInput { try parser.endOfInput() }
            return Result(events: events, error: nil)
        } catch {
            // A failed parser must keep failing with the same error.
            var sticky: HTTPParserError?
            do { _ = try parser.next() } catch let again { sticky = again }
            guard sticky == error else {
                return Result(events: events, error: error, mismatch: "parser did not stay failed after \(error)")
            }
            events.append(.error(error.kind))
            return Result(events: events, error: error)
        }
    }
}
