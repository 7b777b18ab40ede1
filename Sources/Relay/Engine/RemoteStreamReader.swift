import Dispatch
import HTTPCodec
import RedisClient
import RESPCodec
import RelayIO

/// A reader on this relay of a stream another relay owns: replays the Redis event log after
/// `Last-Event-ID`, then follows it live until `done` or `stream-error`, writing through a
/// `StreamSubscriber` on the reader's loop.
///
/// Following polls (`XRANGE (0-{last} + COUNT …` every `cluster.follow_poll_interval`) on the
/// loop's shared connection rather than blocking `XREAD`, which would hold a whole connection per
/// reader: one short pipeline per poll also refreshes the reader-presence key and checks the
/// owner's heartbeat. When the owner's heartbeat is gone and no new event came, the reader writes
/// the terminal `relay_instance_lost` itself, at the next id (only the first writer wins; every
/// reader then reads that same entry). If Redis fails, the response ends without a terminal event
/// so that `EventSource` reconnects.
///
/// `Last-Event-ID` is the client's word, so nothing here computes with it until it is bounded.
/// It may be ahead of the log: the owner sends each event to its reader as it hands it to Redis,
/// so a client can hold events the owner never got written before it died. While the owner runs
/// the number is followed as it is. Once the stream is done, the log holds every event it issued,
/// and a number past the log's last event is clamped to it. Once the owner is gone, a number
/// ahead of the log by no more than the owner could have held unwritten (its batch is bounded by
/// `stream.replay_buffer_bytes`, and every event is at least a byte) is kept, so the end comes at
/// the client's next id; one further ahead was never issued and is clamped to the log's last
/// event. A reader that already has a finished stream's last event gets `204`, like a finished
/// stream held in memory; the response head waits for the first poll, which decides.
// @unchecked: confined to its subscriber's event loop: every mutable member is touched only there (`start` checks preconditionInEventLoop; the subscriber's callbacks, Redis replies and the poll timer run there)
final class RemoteStreamReader: @unchecked Sendable {
    private let engine: RedisStreamEngine
    private let streamID: String
    private let owner: String
    private let subscriber: StreamSubscriber
    private var last: Int
    private var first = true
    private var headers = HTTPHeaders()
    private var begun = false
    private var stopped = false
    private var inFlight = false
    private var paused = false
    private var timer: LoopTimer?
    private var lastPresence: UInt64 = 0
    /// Entries read per poll at most (bounds one reply).
    static let batch = 256

    private var loop: EventLoop { subscriber.loop }

    init(engine: RedisStreamEngine, streamID: String, owner: String, after: Int, subscriber: StreamSubscriber) {
        self.engine = engine
        self.streamID = streamID
        self.owner = owner
        self.last = after
        self.subscriber = subscriber
    }

    /// Sends the head and starts replaying. Call on the subscriber's loop.
    func start(headers: HTTPHeaders) {
        loop.preconditionInEventLoop()
        subscriber.onGone = { [self] in stop() }
        subscriber.onBlocked = { [self] in paused = true }
        subscriber.onUnblocked = { [self] in
            paused = false
            poll()
        }
        self.headers = headers
        // A client that left while the claim was under way: begin reports it (stopping this
        // reader) before a poll could announce a reader to the owner.
        if subscriber.writer.isClientGone { begin() }
        poll()
    }

    /// Sends the response head (once), before the first event or the end of a response with a body.
    private func begin() {
        guard !begun else { return }
        begun = true
        subscriber.begin(headers: headers)
    }

    /// Stops polling and breaks the subscriber's references to this reader (pending completions
    /// still hold it until they run).
    private func stop() {
        stopped = true
        timer?.cancel()
        timer = nil
        subscriber.onGone = nil
        subscriber.onBlocked = nil
        subscriber.onUnblocked = nil
    }

    private func schedule(now: Bool) {
        guard !stopped else { return }
        if now {
            poll()
        } else {
            timer = loop.schedule(after: engine.cluster.followPollInterval) { [self] in
                timer = nil
                poll()
            }
        }
    }

    private func poll() {
        guard !stopped, !inFlight, !paused, timer == nil else { return }
        inFlight = true
        var commands = [
            RESPCommand("XRANGE", engine.eventsKey(streamID), "(0-\(last)", "+", "COUNT", String(Self.batch)),
            RESPCommand("HMGET", engine.metaKey(streamID), "state", "dropped", "last"),
            RESPCommand("EXISTS", engine.instanceKey(owner)),
        ]
        let now = DispatchTime.now().uptimeNanoseconds
        if lastPresence == 0 || now &- lastPresence >= UInt64(engine.cluster.heartbeatInterval * 1e9) {
            lastPresence = now
            commands.append(RESPCommand("SET", engine.readerKey(streamID), engine.instanceID, "PX", String(engine.presenceTTLMilliseconds)))
        }
        engine.run(commands, on: loop, op: "follow") { [self] results in
            inFlight = false
            handle(results)
        }
    }

    private func handle(_ results: [Result<RESPValue, RedisError>]) {
        guard !stopped else { return }
        guard case .success(.array(let entries)) = results[0], case .success(.array(let meta)) = results[1], meta.count == 3,
              case .success(.integer(let ownerAlive)) = results[2] else {
            // Redis failed: end without a terminal event, so the client reconnects (and retries).
            stop()
            begin()
            subscriber.end()
            return
        }
        let state = meta[0].text
        let dropped = meta[1].text.flatMap { Int($0) } ?? 0
        let streamLast = max(0, meta[2].text.flatMap { Int($0) } ?? 0)
        if state == "done" || (ownerAlive == 0 && last - streamLast > engine.settings.replayBufferBytes) {
            // Past every event the stream issued: resume from the log's last one.
            last = min(last, streamLast)
        }
        if first {
            first = false
            if state == nil || (state == "done" && last == streamLast) {
                // Expired, or the reader already has every event, the terminal one included: `204`.
                stop()
                subscriber.end()
                return
            }
            begin()
            if dropped > last {
                var event = StreamEvent.relayError(code: "replay_unavailable",
                                                   message: "events after \(last) are no longer held by the replay buffer")
                event.sequence = streamLast
                stop()
                subscriber.deliver([event])
                return
            }
        }
        var events: [StreamEvent] = []
        events.reserveCapacity(entries.count)
        for entry in entries {
            guard let event = StreamEventFields.decode(entry: entry) else {
                stop()
                begin()
                subscriber.end()
                return
            }
            events.append(event)
        }
        if let oldest = events.first, oldest.sequence - 1 != last {
            // A gap (events the owner could not write to Redis in time): say so, never skip silently.
            var event = StreamEvent.relayError(code: "replay_unavailable",
                                               message: "events after \(last) are no longer held by the replay buffer")
            event.sequence = max(streamLast, oldest.sequence)
            stop()
            subscriber.deliver([event])
            return
        }
        if let newest = events.last {
            last = newest.sequence
            if newest.isTerminal || events.contains(where: \.isTerminal) { stop() }
            subscriber.deliver(events)
            schedule(now: entries.count == Self.batch)
            return
        }
        if state == nil || (state == "done" && last >= streamLast) {
            // The stream's keys expired (its replay window passed), or it is over and the reader
            // has its last event: nothing more will come.
            stop()
            subscriber.end()
            return
        }
        if ownerAlive == 0 && state != "done" {
            writeInstanceLost()
            return
        }
        schedule(now: false)
    }

    /// The owner is gone: end the log with `relay_instance_lost` at the next sequence (unless
    /// another reader or the owner already wrote it), then read it back like any event.
    private func writeInstanceLost() {
        var event = StreamEvent.relayError(code: "relay_instance_lost",
                                           message: "the relay that ran this stream stopped before the answer was complete")
        event.sequence = last + 1
        var xadd = RESPCommand("XADD", engine.eventsKey(streamID), "0-\(last + 1)")
        for field in StreamEventFields.encode(event) { xadd.append(bytes: field) }
        let ttl = String(max(1, Int(engine.settings.replayWindow * 1000)))
        inFlight = true
        engine.run([xadd, RESPCommand("HSET", engine.metaKey(streamID), "state", "done", "last", String(last + 1)),
                    RESPCommand("PEXPIRE", engine.eventsKey(streamID), ttl), RESPCommand("PEXPIRE", engine.metaKey(streamID), ttl)],
                   on: loop, op: "instance_lost") { [self] _ in
            inFlight = false
            schedule(now: true)
        }
    }
}
