import DequeModule
import RESPCodec
import RelayIO

/// The owner's writer of one stream's Redis event log. Events appended during one loop turn (one
/// upstream read) go out in ONE pipelined round trip: an `XADD … 0-{n}` per event, then the byte
/// bound (`XTRIM MINID` past `stream.replay_buffer_bytes`, recorded as `dropped` in the meta hash),
/// the meta update, and the expiry (live TTL; `stream.replay_window` once the terminal event is in).
/// Lives on the stream's loop.
final class RedisStreamLog: StreamLogWriter, @unchecked Sendable {
    private let engine: RedisStreamEngine
    private let streamID: String
    private let loop: EventLoop
    private let limit: Int
    private var pending: [StreamEvent] = []
    private var flushScheduled = false
    /// Sequence and size of the events still in the Redis Stream (oldest first).
    private var kept = Deque<(sequence: Int, bytes: Int)>()
    private var keptBytes = 0
    private var dropped = 0

    init(engine: RedisStreamEngine, streamID: String, loop: EventLoop, limit: Int) {
        self.engine = engine
        self.streamID = streamID
        self.loop = loop
        self.limit = limit
    }

    func append(_ event: StreamEvent) {
        loop.preconditionInEventLoop()
        pending.append(event)
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.execute { [self] in flush() }
    }

    private func flush() {
        flushScheduled = false
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        let events = engine.eventsKey(streamID)
        let meta = engine.metaKey(streamID)
        var commands: [RESPCommand] = []
        commands.reserveCapacity(batch.count + 4)
        var finished = false
        for event in batch {
            var xadd = RESPCommand("XADD", events, "0-\(event.sequence)")
            for field in StreamEventFields.encode(event) { xadd.append(bytes: field) }
            commands.append(xadd)
            kept.append((event.sequence, event.byteCount))
            keptBytes += event.byteCount
            if event.isTerminal { finished = true }
        }
        var trimmed = false
        while keptBytes > limit, kept.count > 1, let oldest = kept.popFirst() {
            keptBytes -= oldest.bytes
            dropped = oldest.sequence
            trimmed = true
        }
        if trimmed { commands.append(RESPCommand("XTRIM", events, "MINID", "0-\(dropped + 1)")) }
        var hset = RESPCommand("HSET", meta, "last", String(batch[batch.count - 1].sequence))
        if trimmed {
            hset.append("dropped")
            hset.append(dropped)
        }
        if finished {
            hset.append("state")
            hset.append("done")
        }
        commands.append(hset)
        let ttl = finished ? String(max(1, Int(engine.settings.replayWindow * 1000))) : String(engine.liveTTLMilliseconds)
        commands.append(RESPCommand("PEXPIRE", events, ttl))
        commands.append(RESPCommand("PEXPIRE", meta, ttl))
        // Failures are counted and logged by the engine; local readers keep streaming from memory.
        engine.run(commands, on: loop, op: "append") { _ in }
    }
}
