import Dispatch
import Foundation
@testable import RelayIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ReadinessPoller`: socket readiness reaches a loop's queue through the loop's own epoll thread.
@Suite struct ReadinessPollerTests {
    /// What a channel's delegate saw, on the loop.
    final class Recorder: StreamChannelDelegate, @unchecked Sendable {
        let loop: EventLoop
        var bytes: [UInt8] = []
        var onLoop: [Bool] = []
        var endOfStream = 0
        var closed = 0
        let event = DispatchSemaphore(value: 0)

        init(loop: EventLoop) { self.loop = loop }

        func channel(_ channel: StreamChannel, didRead bytes: UnsafeRawBufferPointer) {
            onLoop.append(loop.inEventLoop)
            self.bytes += bytes
            event.signal()
        }
        func channelDidReadEndOfStream(_ channel: StreamChannel) {
            endOfStream += 1
            event.signal()
        }
        func channelBecameWritable(_ channel: StreamChannel) {}
        func channel(_ channel: StreamChannel, didCloseWith error: TransportError?) {
            closed += 1
        }
    }

    private func onLoop<T: Sendable>(_ loop: EventLoop, _ work: @escaping @Sendable () -> T) -> T {
        loop.queue.sync(execute: work)
    }

    /// A started channel on `loop` over one end of a socketpair, and the raw peer descriptor.
    private func pair(loop: EventLoop, recorder: Recorder) throws -> (StreamChannel, Int32) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw IOError(errnoCode: errno, operation: "socketpair")
        }
        let socket = Socket(descriptor: fds[0])
        try socket.setNonBlocking()
        let channel = StreamChannel(transport: TCPTransport(socket: socket), loop: loop)
        onLoop(loop) {
            channel.delegate = recorder
            channel.start()
        }
        return (channel, fds[1])
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    @Test func readinessIsDeliveredOnTheLoopsQueue() throws {
        let loop = EventLoop(index: 0, label: "poller-test")
        let recorder = Recorder(loop: loop)
        let (channel, peer) = try pair(loop: loop, recorder: recorder)
        defer { close(peer) }
        send(peer, [1, 2, 3])
        #expect(recorder.event.wait(timeout: .now() + 5) == .success)
        let seen = onLoop(loop) { (recorder.bytes, recorder.onLoop) }
        #expect(seen.0 == [1, 2, 3])
        #expect(seen.1 == [true])
        onLoop(loop) { channel.close() }
    }

    @Test func aHangUpWhileReadingIsPausedIsReportedOnResume() throws {
        let loop = EventLoop(index: 0, label: "poller-test")
        let recorder = Recorder(loop: loop)
        let (channel, peer) = try pair(loop: loop, recorder: recorder)
        onLoop(loop) { channel.pauseReading() }
        send(peer, [9])
        close(peer)
        // Nothing may be delivered while paused (and the hang-up must not be reported over and over).
        #expect(recorder.event.wait(timeout: .now() + 0.2) == .timedOut)
        onLoop(loop) { channel.resumeReading() }
        #expect(recorder.event.wait(timeout: .now() + 5) == .success)
        #expect(recorder.event.wait(timeout: .now() + 5) == .success)
        let seen = onLoop(loop) { (recorder.bytes, recorder.endOfStream) }
        #expect(seen.0 == [9])
        #expect(seen.1 == 1)
        onLoop(loop) { channel.close() }
    }

    @Test func aReusedDescriptorGetsNoneOfTheClosedChannelsEvents() throws {
        let loop = EventLoop(index: 0, label: "poller-test")
        let first = Recorder(loop: loop)
        let (old, oldPeer) = try pair(loop: loop, recorder: first)
        let oldDescriptor = old.transport.socket.descriptor
        onLoop(loop) { old.close() }
        close(oldPeer)
        let second = Recorder(loop: loop)
        let (new, newPeer) = try pair(loop: loop, recorder: second)
        defer { close(newPeer) }
        // The kernel hands out the lowest free number: normally the one just closed.
        let reused = new.transport.socket.descriptor == oldDescriptor
        send(newPeer, [7, 7])
        #expect(second.event.wait(timeout: .now() + 5) == .success)
        let seen = onLoop(loop) { (first.bytes, first.closed, second.bytes) }
        #expect(seen.0.isEmpty)
        #expect(seen.1 == 1)
        #expect(seen.2 == [7, 7])
        if !reused { print("note: descriptor not reused in this run") }
        onLoop(loop) { new.close() }
    }
}
