import HTTPCodec

/// Feeds an event stream to `SSEParser` whole, byte by byte and split at every offset, and
/// checks that all feeds dispatch the same events and end with the same last ID and retry.
struct SSEParserVerifier {
    struct Result: Equatable {
        var events: [SSEParsedEvent]
        var lastEventID: String
        var retry: Int?
        var mismatch: String?
    }

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
        var parser = SSEParser()
        var events: [SSEParsedEvent] = []
        for piece in pieces { events += parser.append(piece) }
        return Result(events: events, lastEventID: parser.lastEventID, retry: parser.retry)
    }
}
