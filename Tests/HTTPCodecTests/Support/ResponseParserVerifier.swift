import HTTPCodec

/// Like `ParserVerifier`, for `HTTPResponseParser`: whole, byte by byte and every split must
/// agree on heads, concatenated bodies, ends, errors and the bytes left after the parse.
struct ResponseParserVerifier {
    enum Event: Equatable {
        case head(HTTPResponseHeadParsed)
        case body([UInt8])
        case end
        case error(HTTPParserError.Kind)
    }

    struct Result: Equatable {
        var events: [Event]
        var remaining: [UInt8]
        var mismatch: String?

        var heads: [HTTPResponseHeadParsed] { events.compactMap { if case .head(let h) = $0 { h } else { nil } } }
        var body: [UInt8] { events.reduce(into: []) { if case .body(let b) = $1 { $0 += b } } }
        var errorKind: HTTPParserError.Kind? {
            if case .error(let kind)? = events.last { return kind }
            return nil
        }
    }

    var limits = HTTPParserLimits()
    var requestMethodWasHEAD = false
    var endOfInput = true

    func verify(_ input: String) -> Result { verify(Array(input.utf8)) }

    func verify(_ input: [UInt8]) -> Result {
        let reference = run([input[...]])
        var feeds: [(String, [ArraySlice<UInt8>])] = [("byte by byte", input.indices.map { input[$0...$0] })]
        for split in 0...input.count { feeds.append(("split at \(split)", [input[..<split], input[split...]])) }
        for (name, pieces) in feeds {
            let other = run(pieces)
            if other != reference {
                var result = reference
                result.mismatch = "\(name): \(other.events) vs whole: \(reference.events)"
                return result
            }
        }
        return reference
    }

    private func run(_ pieces: [ArraySlice<UInt8>]) -> Result {
        var parser = HTTPResponseParser(limits: limits, requestMethodWasHEAD: requestMethodWasHEAD)
        var events: [Event] = []
        func drain() throws(HTTPParserError) {
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
        do {
            for piece in pieces {
                parser.append(piece)
                try drain()
            }
            if endOfInput {
                try parser.endOfInput()
                try drain()
            }
        } catch {
            // Later pieces are never appended after a failure, so leftovers are not comparable.
            events.append(.error(error.kind))
            return Result(events: events, remaining: [])
        }
        return Result(events: events, remaining: parser.remainingBytes)
    }
}
