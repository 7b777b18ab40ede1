import DequeModule
import RedisClient
import RESPCodec
import RelayIO

/// The owner's writer of one stream's Redis event log. Events appended during one loop turn (one
/// upstream read) go out in ONE pipelined round trip: an `XADD … 0-{n}` per event, then the byte
/// bound (`XTRIM MINID` past `stream.replay_buffer_bytes`, recorded as `dropped` in the meta hash),
/// the meta update, and the expiry (live TTL; `stream.replay_window` once the terminal event is in).
///
/// One round trip in flight at a time: events arriving meanwhile go out together in the next one.
/// If Redis fails, the batch is kept (bounded by the same byte limit; what falls out is recorded as
/// `dropped`, so a reader asking for it gets `replay_unavailable`, never a silent gap) and retried
/// every `cluster.heartbeat_interval`. An `XADD` that Redis refuses (the id exists: a retried
/// batch, or a reader declared this relay lost) is skipped. Lives on the stream's loop.
// @unchecked: confined to its stream's event loop: every mutable member is touched only on `loop` (`append` checks preconditionInEventLoop; flushes, Redis replies and the retry timer run there); `deinit` touches only the atomic count
final class RedisStreamLog: StreamLogWriter, @unchecked Sendable {
    private let engine: RedisStreamEngine
    private let streamID: String
    private let loop: EventLoop
    private let limit: Int
    private var pending = Deque<StreamEvent>()
    private var pendingBytes = 0
    private var flushScheduled = false
    private var inFlight = false
    private var retryTimer: LoopTimer?
    /// Sequence and size of the events in the Redis Stream (oldest first), once written.
    private var kept = Deque<(sequence: Int, bytes: Int)>()
    private var keptBytes = 0
    /// The newest sequence no longer in Redis (trimmed, or never written).
    private var dropped = 0
    /// Counted in `engine.liveLogs` until the terminal event is written (or given up on).
    private var counted = true

    init(engine: RedisStreamEngine, streamID: String, loop: EventLoop, limit: Int) {
        self.engine = engine
        self.streamID = streamID
        self.loop = loop
        self.limit = limit
        engine.liveLogs.add(1, ordering: .relaxed)
    }

    deinit { uncount() }

    private func uncount() {
        guard counted else { return }
        counted = false
        engine.liveLogs.subtract(1, ordering: .relaxed)
    }

    func append(_ event: StreamEvent) {
        loop.preconditionInEventLoop()
        pending.append(event)
        pendingBytes += event.byteCount
        boundPending()
        scheduleFlush()
    }

    private func boundPending() {
        while pendingBytes > limit, pending.count > 1, let oldest = pending.popFirst() {
            pendingBytes -= oldest.byteCount
            dropped = max(dropped, oldest.sequence)
        }
    }

    private func scheduleFlush() {
        guard !flushScheduled, !inFlight, retryTimer == nil else { return }
        flushScheduled = true
        loop.execute { [self] in flush() }
    }

    private func flush() {
        flushScheduled = false
        guard !inFlight, !pending.isEmpty else { return }
        let batch = Array(pending)
        pending.removeAll()
        pendingBytes = 0
        let events = engine.eventsKey(streamID)
        let meta = engine.metaKey(streamID)
        var commands: [RESPCommand] = []
        commands.reserveCapacity(batch.count + 5)
        var finished = false
        var newKept = kept
        var newKeptBytes = keptBytes
        var newDropped = dropped
        for event in batch {
            var xadd = RESPCommand("XADD", events, "0-\(event.sequence)")
            for field in StreamEventFields.encode(event) { xadd.append(bytes: field) }
            commands.append(xadd)
            newKept.append((event.sequence, event.byteCount))
            newKeptBytes += event.byteCount
            if event.isTerminal { finished = true }
        }
        while newKeptBytes > limit, newKept.count > 1, let oldest = newKept.popFirst() {
            newKeptBytes -= oldest.bytes
            newDropped = max(newDropped, oldest.sequence)
        }
        if newDropped > 0 { commands.append(RESPCommand("XTRIM", events, "MINID", "0-\(newDropped + 1)")) }
        // Owner and state every time: a Redis that lost its data (restarted without persistence)
        // gets the stream back, and readers elsewhere learn of the lost part (`replay_unavailable`)
        // instead of a 204.
        var hset = RESPCommand("HSET", meta, "last", String(batch[batch.count - 1].sequence), "owner", engine.instanceID,
                               "state", finished ? "done" : "live")
        if newDropped > 0 {
            hset.append("dropped")
            hset.append(newDropped)
        }
        commands.append(hset)
        let ttl = finished ? String(max(1, Int(engine.settings.replayWindow * 1000))) : String(engine.liveTTLMilliseconds)
        commands.append(RESPCommand("PEXPIRE", events, ttl))
        commands.append(RESPCommand("PEXPIRE", meta, ttl))
        inFlight = true
        // Failures are also counted and logged by the engine; local readers keep streaming from memory.
        engine.run(commands, on: loop, op: "append") { [self] results in
            inFlight = false
            let transient = results.contains { result in
                if case .failure(let error) = result { error.kind != .server } else { false }
            }
            if transient {
                for event in batch.reversed() {
                    pending.prepend(event)
                    pendingBytes += event.byteCount
                }
                boundPending()
                retryTimer = loop.schedule(after: engine.cluster.heartbeatInterval) { [self] in
                    retryTimer = nil
                    scheduleFlush()
                }
                return
            }
            kept = newKept
            keptBytes = newKeptBytes
            dropped = max(dropped, newDropped)
            if finished { uncount() }
            if !pending.isEmpty { scheduleFlush() }
        }
    }
}
