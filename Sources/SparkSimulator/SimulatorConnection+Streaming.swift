import Glibc
import SparkCodec
import WebSocketCodec

/// Playing a `SimulatorPlan`: pacing, back-pressure, pings, stamps, fragmentation and the ending.
extension SimulatorConnection {
    func pump() {
        guard let plan, let channel else { return }
        while phase == .streaming && stepIndex < plan.steps.count {
            if !channel.isWritable { return }  // channelBecameWritable resumes
            let step = plan.steps[stepIndex]
            if step.delay > 0 && !delayElapsed {
                if stepTimer == nil {
                    stepTimer = loop.schedule(after: step.delay) { [weak self] in
                        guard let self else { return }
                        self.stepTimer = nil
                        self.delayElapsed = true
                        self.pump()
                    }
                }
                return
            }
            delayElapsed = false
            stepIndex += 1
            sendMessage(step.message, stamp: plan.stamp)
        }
        guard phase == .streaming, stepIndex == plan.steps.count else { return }
        switch plan.ending {
        case .close(let end):
            finishWithClose(end)
        case .drop:
            end(.faultInjected(.drop))
            stopAndClose(lingerSeconds: 0)
        case .stall:
            phase = .stalled
        }
    }

    /// Sends Close 1000 and closes the socket after flushing (Spark closes after its last frame).
    func finishWithClose(_ end: SimulatorConnectionEnd) {
        if case .sendClose(let payload) = webSocket.sendClose(code: .normalClosure) {
            send(opcode: .close, payload)
        }
        self.end(end)
        stopAndClose(lingerSeconds: 2)
    }

    /// One data message, with the plan's ping, stamp and fragmentation options.
    func sendMessage(_ message: [UInt8], stamp: Bool) {
        let payload = stamp ? Self.stamped(message) : message
        record.framesSent += 1
        if plan?.ping == true {
            pingCounter += 1
            send(opcode: .ping, Array("sim-ping-\(pingCounter)".utf8))
        }
        guard plan?.fragment == true, payload.count >= 2 else {
            send(opcode: .text, payload)
            return
        }
        let bounds = Self.fragmentBoundaries(payload)
        for index in 0..<(bounds.count - 1) {
            let opcode: WebSocketOpcode = index == 0 ? .text : .continuation
            let piece = payload[bounds[index]..<bounds[index + 1]]
            channel?.write(WebSocketFrameEncoder.encode(opcode: opcode, payload: piece, fin: index == bounds.count - 2, maskingKey: nil))
        }
    }

    /// Fragment edges: 0, one byte into the first multi-byte UTF-8 character (on purpose), the thirds,
    /// and the end. At least two fragments for two or more bytes.
    static func fragmentBoundaries(_ payload: [UInt8]) -> [Int] {
        var cuts = Set([payload.count / 3, 2 * payload.count / 3])
        if let lead = payload.firstIndex(where: { $0 >= 0xC0 }) { cuts.insert(lead + 1) }
        let inner = cuts.filter { $0 > 0 && $0 < payload.count }.sorted()
        return [0] + (inner.isEmpty ? [payload.count / 2] : inner) + [payload.count]
    }

    /// The frame with `"sim_sent_ns":<now>` as the first member of its header and, when the frame has
    /// `payload.choices`, also as the first member of `payload.choices` (an unknown member Spark clients
    /// ignore), so the stamp survives a relay that forwards only the `payload`.
    static func stamped(_ frame: [UInt8]) -> [UInt8] {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let nanoseconds = UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        return stamped(frame, nanoseconds: nanoseconds)
    }

    /// `stamped(_:)` with a given time (for tests).
    static func stamped(_ frame: [UInt8], nanoseconds: UInt64) -> [UInt8] {
        let prefix = Array(#"{"header":{"#.utf8)
        guard frame.count > prefix.count, Array(frame[..<prefix.count]) == prefix else { return frame }
        let member = Array("\"sim_sent_ns\":\(nanoseconds),".utf8)
        var result = prefix + member + frame[prefix.count...]
        let choices = Array(#""choices":{"#.utf8)
        if let range = result.firstRange(of: choices) {
            result.insert(contentsOf: member, at: range.upperBound)
        }
        return result
    }
}
