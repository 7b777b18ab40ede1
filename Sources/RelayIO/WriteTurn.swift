#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Coalesces the writes issued while one `StreamChannel` delivers what it just read (one "turn"):
/// every channel of the same loop written to during the turn queues its bytes, and the turn sends
/// each channel's bytes with one system call when the delivery returns — before the reading channel
/// reads again and before control goes back to the loop's queue. No write waits for anything but the
/// end of the current delivery (a few microseconds of decoding); a channel whose batch reaches its high
/// watermark is flushed at once.
///
/// One instance per thread (kept in thread-local storage), active for at most one loop at a time;
/// writes from another loop, or outside a turn, are not batched.
final class WriteTurn {
    /// The loop whose turn is running on this thread, `nil` between turns.
    private var loop: EventLoop?
    /// Channels that queued bytes in this turn (a channel may appear more than once).
    private var channels: [StreamChannel] = []

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<WriteTurn>.fromOpaque(pointer).release()
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    private static var thisThread: WriteTurn {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<WriteTurn>.fromOpaque(pointer).takeUnretainedValue()
        }
        let turn = WriteTurn()
        pthread_setspecific(key, Unmanaged.passRetained(turn).toOpaque())
        return turn
    }

    /// Starts a turn for `loop`; `nil` when one is already running on this thread (the outer one flushes).
    static func begin(on loop: EventLoop) -> WriteTurn? {
        let turn = thisThread
        guard turn.loop == nil else { return nil }
        turn.loop = loop
        return turn
    }

    /// The running turn of `loop` on this thread, if any.
    static func active(for loop: EventLoop) -> WriteTurn? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        let turn = Unmanaged<WriteTurn>.fromOpaque(pointer).takeUnretainedValue()
        return turn.loop === loop ? turn : nil
    }

    func enqueue(_ channel: StreamChannel) {
        channels.append(channel)
    }

    /// Flushes every channel written to in this turn (including writes made while flushing) and ends it.
    func end() {
        var index = 0
        while index < channels.count {
            let channel = channels[index]
            index += 1
            channel.flushTurn()
        }
        channels.removeAll(keepingCapacity: true)
        loop = nil
    }
}
