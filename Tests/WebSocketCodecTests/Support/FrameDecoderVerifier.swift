import Testing
@testable import WebSocketCodec

/// What one run of decoder + assembler produced from some input.
struct DecodeOutcome: Equatable, CustomStringConvertible {
    var frames: [WebSocketFrame] = []
    var messages: [WebSocketMessage] = []
    var error: WebSocketProtocolError?
    /// Bytes left in the decoder after the last chunk (0 after an error: the decoder is dead then).
    var leftover = 0

    var description: String {
        let sizes = frames.map { "\($0.opcode)(\($0.payload.count))" }.joined(separator: ",")
        return "frames [\(sizes)], messages \(messages.count), error \(error.map { "\($0.kind)" } ?? "none"), leftover \(leftover)"
    }
}

/// Feeds the same input to a fresh decoder (and assembler) whole, byte by byte, and split in two at every
/// offset (sampled offsets for large inputs), and checks every way of feeding gives the same outcome,
/// like NIO's `ByteToMessageDecoderVerifier`.
enum FrameDecoderVerifier {
    struct Configuration {
        var role: WebSocketRole
        var maxFrameSize = 16 * 1024 * 1024
        var maxMessageSize = 16 * 1024 * 1024
    }

    /// Runs one feeding pattern: each chunk is appended, then frames are drained.
    static func run(_ chunks: [ArraySlice<UInt8>], _ configuration: Configuration) -> DecodeOutcome {
        var decoder = WebSocketFrameDecoder(role: configuration.role, maxFrameSize: configuration.maxFrameSize)
        var assembler = WebSocketMessageAssembler(maxMessageSize: configuration.maxMessageSize)
        var outcome = DecodeOutcome()
        for chunk in chunks {
            decoder.append(chunk)
            do {
                while let frame = try decoder.next() {
                    outcome.frames.append(frame)
                    if let message = try assembler.receive(frame) {
                        outcome.messages.append(message)
                    }
                }
            } catch {
                outcome.error = error
                outcome.leftover = 0
                return outcome
            }
            outcome.leftover = decoder.bufferedByteCount
        }
        return outcome
    }

    /// Split offsets: all of them for small inputs, the first and last 64 plus ~256 evenly spread otherwise.
    static func splitPoints(count: Int) -> [Int] {
        guard count > 2048 else { return Array(0...count) }
        var points = Set(0..<64)
        points.formUnion((count - 64)...count)
        points.formUnion(stride(from: 0, through: count, by: max(1, count / 256)))
        return points.sorted()
    }

    /// Verifies every feeding pattern agrees and returns the (common) outcome.
    @discardableResult
    static func verify(
        _ input: [UInt8],
        _ configuration: Configuration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> DecodeOutcome {
        let whole = run([input[...]], configuration)
        let byteByByte = run(input.indices.map { input[$0...$0] }, configuration)
        #expect(byteByByte == whole, "byte by byte differs from whole", sourceLocation: sourceLocation)
        for split in splitPoints(count: input.count) {
            let pieces = [input[..<split], input[split...]]
            let outcome = run(pieces, configuration)
            if outcome != whole {
                Issue.record("split at \(split): \(outcome) != whole: \(whole)", sourceLocation: sourceLocation)
                break
            }
        }
        return whole
    }

    /// `verify` for a receiving client (server frames are unmasked).
    @discardableResult
    static func verifyClient(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> DecodeOutcome {
        verify(input, Configuration(role: .client), sourceLocation: sourceLocation)
    }

    /// `verify` for a receiving server (client frames are masked).
    @discardableResult
    static func verifyServer(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> DecodeOutcome {
        verify(input, Configuration(role: .server), sourceLocation: sourceLocation)
    }
}

/// Frame-building helpers for tests.
enum TestFrames {
    static let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    /// An unmasked (server → client) frame.
    static func server(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, fin: fin, maskingKey: nil)
    }

    /// A masked (client → server) frame.
    static func client(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, fin: fin, maskingKey: key)
    }

    /// Runs `body` and returns the protocol error it threw, or `nil`.
    static func error(_ body: () throws -> Void) -> WebSocketProtocolError? {
        do {
            try body()
            return nil
        } catch {
            return error as? WebSocketProtocolError
        }
    }
}
