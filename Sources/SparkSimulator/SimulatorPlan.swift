import JSON
import SparkCodec

/// What one connection will send for one accepted request: the frames in order, each with the delay
/// before it, how the connection ends, and per-message framing options. Built once, then played by
/// `SimulatorConnection` (no I/O here).
struct SimulatorPlan: Sendable {
    /// How the connection ends after the last step.
    enum Ending: Sendable, Equatable {
        /// Close frame 1000, then close the socket; recorded with this end.
        case close(SimulatorConnectionEnd)
        /// Close TCP without a Close frame.
        case drop
        /// Send nothing more; wait for the client.
        case stall
    }

    /// One text message and the seconds to wait before sending it.
    struct Step: Sendable {
        var message: [UInt8]
        var delay: Double
    }

    var steps: [Step]
    var ending: Ending
    var fault: SimulatorFault?
    /// Send each message as several frames, split inside a UTF-8 character.
    var fragment: Bool
    /// Send a Ping before each message.
    var ping: Bool
    /// Stamp each frame's header with the send time.
    var stamp: Bool

    /// The plan for `request` (already validated) with the prompt's `directives`.
    static func make(request: SparkChatRequest, prompt: String, directives: SimulatorDirectives, sid: String,
                     chunkDelay: Double) -> SimulatorPlan {
        let delay = directives.delayMilliseconds.map { Double($0) / 1000 } ?? chunkDelay
        let firstDelay = directives.slowFirstMilliseconds.map { Double($0) / 1000 } ?? delay
        var frames: [[UInt8]] = []
        var ending = Ending.close(.completed)
        var fault: SimulatorFault?
        let promptTokens = SparkTokenEstimator.estimate(request.messages)

        if let error = directives.error, error.afterFrames == nil {
            frames = [errorFrame(code: error.code, sid: sid)]
            fault = .errorFrame(code: error.code)
            ending = .close(.faultInjected(.errorFrame(code: error.code)))
        } else if let name = directives.functionName {
            let arguments = functionArguments(prompt: prompt)
            let usage = usage(promptTokens: promptTokens, completionText: arguments)
            frames = [SparkFrameEncoder.functionCallFrame(sid: sid, seq: 0, name: name, arguments: arguments, usage: usage)]
        } else {
            frames = answerFrames(prompt: prompt, directives: directives, sid: sid, promptTokens: promptTokens)
            let lastIndex = frames.count - 1
            if let error = directives.error, let after = error.afterFrames {
                frames = Array(frames[..<min(after, lastIndex)]) + [errorFrame(code: error.code, sid: sid)]
                fault = .errorFrame(code: error.code)
                ending = .close(.faultInjected(.errorFrame(code: error.code)))
            } else if let after = directives.dropAfter {
                frames = Array(frames[..<min(after, lastIndex)])
                fault = .drop
                ending = .drop
            } else if let after = directives.stallAfter {
                frames = Array(frames[..<min(after, lastIndex)])
                fault = .stall
                ending = .stall
            }
        }
        let steps = frames.enumerated().map { Step(message: $0.element, delay: $0.offset == 0 ? firstDelay : delay) }
        return SimulatorPlan(steps: steps, ending: ending, fault: fault, fragment: directives.fragment,
                             ping: directives.ping, stamp: directives.stamp)
    }

    /// An error frame with the gateway-style message the simulator uses for injected codes.
    static func errorFrame(code: Int, sid: String) -> [UInt8] {
        SparkFrameEncoder.errorFrame(code: code, message: "SimulatedError:(spark-sim) injected error \(code)", sid: sid)
    }

    /// `{"location":PROMPT}` (`合肥` for an empty prompt), as compact JSON text.
    static func functionArguments(prompt: String) -> String {
        var writer = JSONWriter(capacity: 32 + prompt.utf8.count)
        writer.beginObject()
        writer.key("location")
        writer.string(prompt.isEmpty ? "合肥" : prompt)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func usage(promptTokens: Int, completionText: String) -> SparkUsage {
        let completion = SparkTokenEstimator.estimate(completionText)
        return SparkUsage(promptTokens: promptTokens, completionTokens: completion,
                          totalTokens: promptTokens + completion, questionTokens: 0)
    }

    /// Plugin frame (optional), reasoning frames (optional), content frames; `status` 0 on the first
    /// choices frame, 2 on the last (with usage), 1 between; `seq` from 0 over the choices frames.
    private static func answerFrames(prompt: String, directives: SimulatorDirectives, sid: String, promptTokens: Int) -> [[UInt8]] {
        var pieces = SimulatorScript.chunks(for: prompt, chunkCount: directives.chunkCount,
                                                charactersPerChunk: directives.charactersPerChunk).map { (reasoning: String?.none, content: $0) }
        if directives.big {
            pieces[0].content = SimulatorScript.bigFiller + pieces[0].content
        }
        var reasoningText = ""
        if directives.reasoning {
            reasoningText = SimulatorScript.reasoningText
            let thoughts = SimulatorScript.split(reasoningText, into: nil).map { (reasoning: String?.some($0), content: "") }
            pieces = thoughts + pieces
        }
        let contentText = pieces.map(\.content).joined()
        let finalUsage = usage(promptTokens: promptTokens, completionText: reasoningText + contentText)
        var frames: [[UInt8]] = []
        if directives.plugin {
            frames.append(SparkFrameEncoder.pluginFrame(sid: sid, sourcesJSON: SimulatorScript.pluginSourcesJSON, status: 1))
        }
        let firstContent = directives.reasoning ? pieces.firstIndex(where: { $0.reasoning == nil }) ?? 0 : 0
        for (seq, piece) in pieces.enumerated() {
            let isLast = seq == pieces.count - 1
            let status = isLast ? 2 : (seq == 0 ? 0 : 1)
            func encode(_ content: String) -> [UInt8] {
                SparkFrameEncoder.contentFrame(sid: sid, status: status, seq: seq, content: content, reasoning: piece.reasoning,
                                               usage: isLast ? finalUsage : nil)
            }
            var frame = encode(piece.content)
            if seq == firstContent, let target = directives.oversizeBytes, target > frame.count {
                frame = encode(piece.content + String(repeating: ".", count: target - frame.count))
            }
            frames.append(frame)
        }
        return frames
    }
}
