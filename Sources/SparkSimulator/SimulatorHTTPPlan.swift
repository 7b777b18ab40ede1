import SparkCodec

/// What one HTTP exchange will send for one accepted request (Sources/SparkCodec/README.md §10), made
/// from the WebSocket `SimulatorPlan` of the same prompt so both protocols honour the same directives:
/// each WebSocket frame becomes the matching HTTP chunk (content, reasoning, tool call, usage, error),
/// with the same delays. No I/O here.
///
/// `stream: true`: `steps` are SSE events (`data:{…}` without a space, a blank line), each sent as one
/// HTTP chunk; usage rides in the last content chunk on `/v1` and in a chunk of its own on `/v2`;
/// the stream ends with `data: [DONE]` (also after an injected error chunk). `stream: false`: one
/// step, the whole JSON body (`chat.completion`-like with `code`, `message`, `sid`; an injected error
/// gives `{"code":N,"message","sid"}`), after the first step's delay.
struct SimulatorHTTPPlan: Sendable {
    /// How the exchange ends after the last step.
    enum Ending: Sendable, Equatable {
        /// The response is complete (last chunk written); the exchange's outcome for the record.
        case complete(SimulatorConnectionEnd)
        /// Close TCP mid-response.
        case drop
        /// Send nothing more; wait for the client.
        case stall
    }

    var stream: Bool
    var steps: [SimulatorPlan.Step]
    var ending: Ending
    var fault: SimulatorFault?
    /// Stamp each event with the send time (`"sim_sent_ns"` as the chunk's first member).
    var stamp: Bool

    /// The HTTP form of `plan`. `usageInOwnChunk` is `/v2`'s placement; `created` the chunks' `created`.
    static func make(from plan: SimulatorPlan, stream: Bool, usageInOwnChunk: Bool, sid: String, created: Int) -> SimulatorHTTPPlan {
        var decoder = SparkFrameDecoder(maxFrameBytes: Int.max)
        var steps: [SimulatorPlan.Step] = []
        var content = ""
        var reasoning: String?
        var calls: [SparkFunctionCall] = []
        var usage: SparkUsage?
        var errorBody: [UInt8]?
        let callID = "call_" + sid.suffix(16)
        for step in plan.steps {
            let frame: SparkResponseFrame
            do throws(SparkError) {
                frame = try decoder.decode(step.message)
            } catch {
                guard case .upstream(let code, let message, _) = error else { continue }
                let chunk = SparkHTTPChunkEncoder.errorChunk(code: code, message: message, sid: sid)
                errorBody = chunk
                steps.append(SimulatorPlan.Step(message: SparkHTTPChunkEncoder.event(chunk), delay: step.delay))
                continue
            }
            // Search-source frames have no HTTP form: they are left out.
            guard frame.hasChoices else { continue }
            let chunkUsage = usageInOwnChunk ? nil : frame.usage
            let chunk: [UInt8]
            if var call = frame.functionCall {
                call.id = callID
                calls.append(call)
                chunk = SparkHTTPChunkEncoder.toolCallChunk(sid: sid, created: created, call: call, usage: chunkUsage)
            } else {
                content += frame.content
                if let thought = frame.reasoningContent { reasoning = (reasoning ?? "") + thought }
                chunk = SparkHTTPChunkEncoder.contentChunk(sid: sid, created: created, content: frame.content,
                                                           reasoning: frame.reasoningContent, usage: chunkUsage)
            }
            steps.append(SimulatorPlan.Step(message: SparkHTTPChunkEncoder.event(chunk), delay: step.delay))
            if let frameUsage = frame.usage {
                usage = frameUsage
                if usageInOwnChunk {
                    let own = SparkHTTPChunkEncoder.usageChunk(sid: sid, created: created, usage: frameUsage)
                    steps.append(SimulatorPlan.Step(message: SparkHTTPChunkEncoder.event(own), delay: 0))
                }
            }
        }
        let ending: Ending = switch plan.ending {
        case .close(let end): .complete(end)
        case .drop: .drop
        case .stall: .stall
        }
        if !stream {
            let body = errorBody ?? SparkHTTPChunkEncoder.completionBody(
                sid: sid, created: created, content: content, reasoning: reasoning, toolCalls: calls,
                usage: usage ?? SparkUsage(promptTokens: 0, completionTokens: 0, totalTokens: 0))
            let delay = plan.steps.first?.delay ?? 0
            let bodySteps = ending == .drop || ending == .stall ? [] : [SimulatorPlan.Step(message: body, delay: delay)]
            return SimulatorHTTPPlan(stream: false, steps: bodySteps, ending: ending, fault: plan.fault, stamp: false)
        }
        if case .complete = ending {
            steps.append(SimulatorPlan.Step(message: SparkHTTPChunkEncoder.doneEvent, delay: 0))
        }
        return SimulatorHTTPPlan(stream: true, steps: steps, ending: ending, fault: plan.fault, stamp: plan.stamp)
    }

    /// The event with `"sim_sent_ns":<ns>,` as the first member of its chunk (`data:{` → `data:{"sim_sent_ns":…,`).
    static func stamped(_ event: [UInt8], nanoseconds: UInt64) -> [UInt8] {
        let prefix = Array("data:{".utf8)
        guard event.count > prefix.count, event.starts(with: prefix), event[prefix.count] != UInt8(ascii: "}") else { return event }
        return prefix + Array("\"sim_sent_ns\":\(nanoseconds),".utf8) + event[prefix.count...]
    }
}
