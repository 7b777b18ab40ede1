import Dispatch
import DequeModule
#if canImport(Glibc)
import CLinuxShim
import Glibc
#endif

/// Callbacks of a `StreamChannel`, all on the channel's event loop.
public protocol StreamChannelDelegate: AnyObject {
    /// Bytes arrived. The buffer is only valid during the call.
    func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer)
    /// The peer finished sending (FIN). Writing may still work.
    func channelDidReadEndOfStream(_ channel: StreamChannel)
    /// The output buffer drained below its low watermark after having been full.
    func channelBecameWritable(_ channel: StreamChannel)
    /// The channel is closed; `error` is `nil` for an orderly close by us.
    func channel(_ channel: StreamChannel, didCloseWith error: TransportError?)
}

/// One connected socket on an event loop: read and write readiness from the loop's `ReadinessPoller`,
/// a bounded output buffer with a "writable again" signal (so a streaming handler can be
/// back-pressured by a slow reader), pause/resume of reading, and an orderly or immediate close.
// @unchecked: confined to its event loop: every mutable member is touched only on `loop` (the public methods check preconditionInEventLoop; poller and timer callbacks run there)
public final class StreamChannel: @unchecked Sendable {
    /// The loop everything happens on.
    public let loop: EventLoop
    /// The transport (TCP or TLS).
    public let transport: any Transport
    /// Receives events; held weakly.
    public weak var delegate: (any StreamChannelDelegate)?

    /// When buffered output reaches this many bytes, `isWritable` turns false.
    public let highWatermark: Int
    /// When buffered output falls to this many bytes after being full, `channelBecameWritable` is called.
    public let lowWatermark: Int

    // The registration's handler holds the channel strongly: an open channel keeps itself alive, and
    // the cycle ends when the registration is removed (see `finish`).
    private var registration: ReadinessPoller.Registration?
    /// Waiting for readability (reading not paused, no end of stream yet, or draining while lingering).
    private var readEnabled = false
    /// Waiting for writability (output queued that the kernel did not take).
    private var writeEnabled = false
    private var readingPaused = false
    private var outbound = Deque<[UInt8]>()
    private var outboundHeadOffset = 0
    /// Bytes in `outbound`: offered to the kernel and not yet taken.
    private var queuedBytes = 0
    /// Bytes written during the current `WriteTurn`, sent together when it ends (never while
    /// `queuedBytes > 0`: then writes join `outbound` in order).
    private var turnChunks: [[UInt8]] = []
    private var turnBytes = 0
    /// Only plain TCP batches: a TLS transport's writes keep their exact timing.
    private let batchesWrites: Bool
    /// Bytes queued and not yet taken by the kernel.
    public var pendingWriteBytes: Int { queuedBytes + turnBytes }
    private var wasUnwritable = false
    private var closeAfterFlush = false
    private var lingerTimer: LoopTimer?
    private var lingerSeconds: Double = 2
    /// `true` once the close started; no more callbacks except the final `didCloseWith`.
    public private(set) var isClosed = false
    private var readEOF = false

    public init(transport: any Transport, loop: EventLoop, highWatermark: Int = 64 * 1024) {
        self.transport = transport
        self.loop = loop
        self.highWatermark = max(1, highWatermark)
        self.lowWatermark = max(0, highWatermark / 2)
        self.batchesWrites = transport is TCPTransport
    }

    /// Starts reading. Call once, on the loop, after setting the delegate.
    public func start() {
        loop.preconditionInEventLoop()
        guard registration == nil, !isClosed else { return }
        do throws(IOError) {
            registration = try loop.poller.register(descriptor: transport.socket.descriptor) { events in
                self.handleEvents(events)
            }
        } catch {
            fail(.io(error))
            return
        }
        readEnabled = !readingPaused
        updateInterest()
        scheduleBufferedRead()
    }

    /// Tells the poller what the channel waits for now.
    private func updateInterest() {
        guard let registration, !isClosed else { return }
        var interest: ReadinessPoller.Interest = []
        if readEnabled { interest.insert(.readable) }
        if writeEnabled { interest.insert(.writable) }
        do throws(IOError) {
            try loop.poller.update(registration, interest: interest)
        } catch {
            fail(.io(error))
        }
    }

    /// One readiness report. A hang-up or error goes to whichever side is waiting (its read or write
    /// then reports the end or the error); a side that stopped waiting earlier in the same batch is
    /// not called.
    private func handleEvents(_ events: UInt32) {
        let failed = events & (UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)) != 0
        if readEnabled, failed || events & UInt32(EPOLLIN.rawValue) != 0 {
            handleReadable()
            if isClosed { return }
        }
        if writeEnabled, failed || events & UInt32(EPOLLOUT.rawValue) != 0 {
            handleWritable()
        }
    }

    /// Bytes a TLS transport already holds never make the socket readable again, so they are
    /// processed from the loop directly (redis' `tlsProcessPendingData`).
    private func scheduleBufferedRead() {
        guard transport.hasBufferedReadData, !readingPaused, !isClosed else { return }
        loop.execute { [self] in
            guard !readingPaused, !isClosed else { return }
            handleReadable()
        }
    }

    /// `true` while buffered output is under the high watermark.
    public var isWritable: Bool { queuedBytes + turnBytes < highWatermark }

    /// Queues `bytes` and writes as much as the socket takes right now. Each write goes out at once,
    /// except during a `WriteTurn` (a channel delivering what it read): then the writes of that delivery
    /// leave together, in one system call, as soon as the delivery returns (plain TCP only).
    public func write(_ bytes: [UInt8]) {
        loop.preconditionInEventLoop()
        guard !isClosed, !bytes.isEmpty else { return }
        if queuedBytes == 0, batchesWrites, let turn = WriteTurn.active(for: loop) {
            if turnChunks.isEmpty { turn.enqueue(self) }
            turnChunks.append(bytes)
            turnBytes += bytes.count
            if turnBytes >= highWatermark { flushTurn() }
            return
        }
        writeNow(bytes)
    }

    /// Sends what this channel wrote during the current turn: one buffer, one system call.
    func flushTurn() {
        guard !turnChunks.isEmpty else { return }
        let bytes: [UInt8]
        if turnChunks.count == 1 {
            bytes = turnChunks[0]
        } else {
            let total = turnBytes
            bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                var at = 0
                for chunk in turnChunks {
                    chunk.withUnsafeBufferPointer { source in
                        (buffer.baseAddress! + at).initialize(from: source.baseAddress!, count: source.count)
                    }
                    at += chunk.count
                }
                initialized = at
            }
        }
        turnChunks.removeAll(keepingCapacity: true)
        turnBytes = 0
        writeNow(bytes)
    }

    private func writeNow(_ bytes: [UInt8]) {
        guard !isClosed else { return }
        if queuedBytes == 0 {
            // Fast path: straight to the socket, queue only the rest.
            var written = 0
            let result: Result<Int, TransportError> = bytes.withUnsafeBytes { buffer in
                do throws(TransportError) {
                    while written < buffer.count {
                        switch try transport.write(UnsafeRawBufferPointer(rebasing: buffer[written...])) {
                        case .processed(let count): written += count
                        case .wouldBlock: return .success(written)
                        }
                    }
                    return .success(written)
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .failure(let error):
                fail(error)
                return
            case .success(let count) where count == bytes.count:
                return
            case .success(let count):
                outbound.append(count == 0 ? bytes : Array(bytes[count...]))
                queuedBytes += bytes.count - count
            }
        } else {
            outbound.append(bytes)
            queuedBytes += bytes.count
        }
        if queuedBytes >= highWatermark { wasUnwritable = true }
        // A TLS write waiting for readability is retried from the read handler instead.
        if !transport.writeWantsReadable { enableWriteSource() }
    }

    /// Stops reading from the socket until `resumeReading()` (back-pressure on the peer).
    public func pauseReading() {
        loop.preconditionInEventLoop()
        guard !readingPaused else { return }
        readingPaused = true
        if readEnabled {
            readEnabled = false
            updateInterest()
        }
    }

    /// Resumes reading after `pauseReading()`.
    public func resumeReading() {
        loop.preconditionInEventLoop()
        guard readingPaused, !isClosed else { return }
        readingPaused = false
        if !readEnabled, !readEOF, registration != nil {
            readEnabled = true
            updateInterest()
        }
        scheduleBufferedRead()
    }

    /// Closes once every queued byte is written: sends FIN, drains what the peer still sends for up to
    /// `lingerSeconds` (so an early error response is not destroyed by a TCP reset), then closes.
    public func closeAfterFlushing(lingerSeconds: Double = 2) {
        loop.preconditionInEventLoop()
        guard !isClosed, !closeAfterFlush else { return }
        flushTurn()
        guard !isClosed else { return }
        closeAfterFlush = true
        self.lingerSeconds = lingerSeconds
        if queuedBytes == 0 { beginLingeringClose() }
    }

    /// Closes now, dropping queued output.
    public func close() {
        loop.preconditionInEventLoop()
        // Bytes written earlier in this turn would have left already without batching: send them first.
        flushTurn()
        finish(error: nil)
    }

    // MARK: - Internals

    private func handleReadable() {
        guard !isClosed else { return }
        if queuedBytes > 0 && transport.writeWantsReadable {
            handleWritable()
            if isClosed { return }
        }
        var rounds = 0
        repeat {
            let result: IOResult<Int>
            do {
                result = try transport.read(into: loop.readBuffer)
            } catch {
                if lingerTimer != nil { finish(error: nil) } else { fail(error) }
                return
            }
            switch result {
            case .wouldBlock:
                if transport.readWantsWritable { enableWriteSource() }
                return
            case .processed(0):
                handleEndOfStream()
                return
            case .processed(let count):
                if lingerTimer != nil { break }  // draining after our FIN: discard
                // Writes this delivery causes (on this loop) leave together when it returns.
                let turn = WriteTurn.begin(on: loop)
                delegate?.channel(self, didRead: UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                turn?.end()
                if isClosed || readingPaused { return }
            }
            rounds += 1
        } while transport.hasBufferedReadData && rounds < 16
        // Still holding decrypted data after a fair share of work: continue on a later turn.
        scheduleBufferedRead()
    }

    private func handleEndOfStream() {
        readEOF = true
        let wasReading = readEnabled
        readEnabled = false
        if lingerTimer != nil {
            finish(error: nil)
            return
        }
        delegate?.channelDidReadEndOfStream(self)
        // Told to the poller only if the channel stays open: most close at once, and the close takes
        // the descriptor out of the epoll set without a system call of its own.
        if wasReading && !isClosed { updateInterest() }
    }

    private func handleWritable() {
        guard !isClosed else { return }
        if transport.readWantsWritable {
            handleReadable()
            if isClosed { return }
        }
        while let head = outbound.first {
            let result: Result<IOResult<Int>, TransportError> = head.withUnsafeBytes { buffer in
                do throws(TransportError) {
                    return .success(try transport.write(UnsafeRawBufferPointer(rebasing: buffer[outboundHeadOffset...])))
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .failure(let error):
                fail(error)
                return
            case .success(.wouldBlock):
                if transport.writeWantsReadable { disableWriteSource() }
                return
            case .success(.processed(let count)):
                queuedBytes -= count
                outboundHeadOffset += count
                if outboundHeadOffset == head.count {
                    outbound.removeFirst()
                    outboundHeadOffset = 0
                }
            }
        }
        disableWriteSource()
        if closeAfterFlush {
            beginLingeringClose()
            return
        }
        if wasUnwritable && queuedBytes <= lowWatermark {
            wasUnwritable = false
            delegate?.channelBecameWritable(self)
        }
    }

    private func enableWriteSource() {
        guard !isClosed, !writeEnabled else { return }
        writeEnabled = true
        updateInterest()
    }

    private func disableWriteSource() {
        guard writeEnabled else { return }
        writeEnabled = false
        updateInterest()
    }

    private func beginLingeringClose() {
        guard lingerTimer == nil, !isClosed else { return }
        transport.shutdownWrite()
        if readEOF {
            finish(error: nil)
            return
        }
        lingerTimer = loop.schedule(after: lingerSeconds) { [weak self] in
            self?.finish(error: nil)
        }
        // Keep reading (and discarding) until the peer's FIN or the linger timeout.
        readingPaused = false
        if !readEnabled {
            readEnabled = true
            updateInterest()
        }
    }

    private func fail(_ error: TransportError) {
        finish(error: error)
    }

    private func finish(error: TransportError?) {
        guard !isClosed else { return }
        isClosed = true
        lingerTimer?.cancel()
        lingerTimer = nil
        outbound.removeAll()
        queuedBytes = 0
        turnChunks.removeAll()
        turnBytes = 0
        readEnabled = false
        writeEnabled = false
        // Forgotten before the descriptor number can be reused; the close takes it out of the epoll set.
        if let registration { loop.poller.unregister(registration, closingDescriptor: !descriptorClosed) }
        registration = nil
        closeDescriptor()
        delegate?.channel(self, didCloseWith: error)
    }

    private var descriptorClosed = false

    private func closeDescriptor() {
        guard !descriptorClosed else { return }
        descriptorClosed = true
        transport.release()
        transport.socket.close()
    }
}
