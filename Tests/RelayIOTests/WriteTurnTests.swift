import Dispatch
import Foundation
@testable import RelayIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `WriteTurn`: writes a `StreamChannel` makes while a delivery runs leave together when it returns.
@Suite struct WriteTurnTests {
    /// Results handed back from the loop.
    final class Box: @unchecked Sendable {
        var reads: [[UInt8]] = []
        var pending: [Int] = []
        var flags: [Bool] = []
    }

    private func onLoop(_ loop: EventLoop, _ work: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        loop.execute { work(); done.signal() }
        done.wait()
    }

    /// A connected pair: a channel on `loop` and the raw peer descriptor (non-blocking).
    private func channelPair(loop: EventLoop, highWatermark: Int = 64 * 1024) throws -> (StreamChannel, Int32) {
        var fds: [Int32] = [0, 0]
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw IOError(errnoCode: errno, operation: "socketpair") }
        let socket = Socket(descriptor: fds[0])
        try socket.setNonBlocking()
        try Socket(descriptor: fds[1]).setNonBlocking()
        return (StreamChannel(transport: TCPTransport(socket: socket), loop: loop, highWatermark: highWatermark), fds[1])
    }

    /// Everything the peer can read right now.
    private static func drain(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count <= 0 { return out }
            out += buffer[0..<count]
        }
    }

    @Test func writesDuringATurnLeaveTogetherWhenItEnds() throws {
        let loop = EventLoop(index: 0, label: "turn-test")
        let (channel, peer) = try channelPair(loop: loop)
        defer { close(peer) }
        let box = Box()
        onLoop(loop) {
            guard let turn = WriteTurn.begin(on: loop) else { return }
            box.flags.append(WriteTurn.begin(on: loop) == nil)  // nested: the outer turn flushes
            channel.write([1, 2])
            channel.write([3])
            box.reads.append(Self.drain(peer))
            box.pending.append(channel.pendingWriteBytes)
            turn.end()
            box.reads.append(Self.drain(peer))
            box.pending.append(channel.pendingWriteBytes)
            // Outside a turn: straight to the socket.
            channel.write([4])
            box.reads.append(Self.drain(peer))
            // Closing in a turn still sends what was written before.
            let second = WriteTurn.begin(on: loop)
            channel.write([5, 6])
            channel.close()
            second?.end()
            box.reads.append(Self.drain(peer))
            box.flags.append(channel.isClosed)
        }
        #expect(box.reads == [[], [1, 2, 3], [4], [5, 6]])
        #expect(box.pending == [3, 0])
        #expect(box.flags == [true, true])
    }

    @Test func aBatchReachingTheHighWatermarkIsSentAtOnce() throws {
        let loop = EventLoop(index: 0, label: "turn-test")
        let (channel, peer) = try channelPair(loop: loop, highWatermark: 8)
        defer { close(peer) }
        let box = Box()
        onLoop(loop) {
            let turn = WriteTurn.begin(on: loop)
            channel.write([1, 2, 3, 4, 5])
            box.flags.append(channel.isWritable)
            box.reads.append(Self.drain(peer))
            channel.write([6, 7, 8, 9, 10])
            box.reads.append(Self.drain(peer))
            box.flags.append(channel.isWritable)
            channel.write([11])
            turn?.end()
            box.reads.append(Self.drain(peer))
            channel.close()
        }
        #expect(box.reads == [[], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11]])
        #expect(box.flags == [true, true])
    }

    @Test func aTurnOfAnotherLoopDoesNotBatch() throws {
        let loop = EventLoop(index: 0, label: "turn-test")
        let other = EventLoop(index: 1, label: "turn-test-other")
        let (channel, peer) = try channelPair(loop: loop)
        defer { close(peer) }
        let box = Box()
        onLoop(loop) {
            let turn = WriteTurn.begin(on: other)
            channel.write([1])
            box.reads.append(Self.drain(peer))
            turn?.end()
            channel.close()
        }
        #expect(box.reads == [[1]])
    }
}
