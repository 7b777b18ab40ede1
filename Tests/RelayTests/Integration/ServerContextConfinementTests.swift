import Dispatch
import Logging
@testable import Relay
import RelayIO
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Connection bookkeeping is one `LoopConnections` per loop, each used only on its own loop.
///
/// Registering, unregistering and draining on every loop at once must keep every table exact. The
/// data race this replaced (one Swift array of tables and one of drain flags, written from every
/// loop) cannot be made to fail on demand: a lost update or a freed buffer needs two loops to write
/// the shared array at the same instant, which no test can schedule. This test runs that workload
/// (every loop busy with its own connections while all of them drain together) and checks the exact
/// counts that a lost update would break; that the loops share no mutable storage any more is
/// checked by the compiler instead (`ServerContext` is `Sendable` without `@unchecked`).
@Suite struct ServerContextConfinementTests {
    @Test func everyLoopKeepsExactCountsWhileAllDrainAtOnce() throws {
        let loopCount = 4
        let perLoop = 64
        let group = EventLoopGroup(count: loopCount, label: "test.confinement")
        let closed = Atomic<Int>(0)
        let context = ServerContext(configuration: RelayConfiguration(), router: Router(), logger: Logger(label: "test"),
                                    loopCount: loopCount, metrics: nil,
                                    onConnectionClosed: { closed.add(1, ordering: .relaxed) })
        // Connections over one end of a socketpair each (the other end is not needed).
        var connections: [[HTTPConnection]] = []
        for index in 0..<loopCount {
            var row: [HTTPConnection] = []
            for serial in 0..<perLoop {
                var fds: [Int32] = [0, 0]
                try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
                Glibc.close(fds[1])
                row.append(HTTPConnection(socket: Socket(descriptor: fds[0]), remoteAddress: nil, loop: group.loops[index],
                                          context: context, connectionID: "t\(index)-\(serial)"))
            }
            connections.append(row)
        }
        let rows = connections
        let unregistered = Atomic<Int>(0)
        let done = DispatchGroup()
        // Every loop registers and unregisters its connections in small turns while every loop is
        // told to drain from another thread at the same time.
        DispatchQueue.concurrentPerform(iterations: loopCount * 2) { job in
            let index = job % loopCount
            let loop = group.loops[index]
            if job < loopCount {
                for start in stride(from: 0, to: perLoop, by: 8) {
                    done.enter()
                    loop.execute {
                        for connection in rows[index][start..<(start + 8)] {
                            context.register(connection, on: loop)
                        }
                        for connection in rows[index][start..<(start + 8)] where start % 16 == 0 {
                            context.unregister(connection, on: loop)
                            unregistered.add(1, ordering: .relaxed)
                        }
                        done.leave()
                    }
                }
            } else {
                done.enter()
                loop.execute {
                    context.drain(loop)
                    done.leave()
                }
            }
        }
        done.wait()
        #expect(closed.load(ordering: .relaxed) == unregistered.load(ordering: .relaxed))
        #expect(unregistered.load(ordering: .relaxed) == loopCount * perLoop / 2)
        // Every loop drains, and still holds exactly the connections it did not unregister: each
        // counts once when it goes, and never twice.
        for index in 0..<loopCount {
            let loop = group.loops[index]
            loop.queue.sync {
                #expect(context.isDraining(loop))
                for connection in rows[index] {
                    connection.closeNow()
                    context.unregister(connection, on: loop)
                    context.unregister(connection, on: loop)
                }
            }
        }
        #expect(closed.load(ordering: .relaxed) == loopCount * perLoop)
    }

    /// A connection stand-in.
    final class Probe {}

    /// A connection whose socket still holds unread input hears of the drain only once it read it.
    @Test func drainWaitsForUnreadInput() {
        let table = LoopConnections<Probe>()
        let quiet = Probe()
        let busy = Probe()
        table.setDescriptor(1, of: quiet)
        table.setDescriptor(2, of: busy)
        table.insert(quiet)
        table.insert(busy)
        table.startDraining()
        var unread: Set<Int32> = [2]
        let first = table.takeReadyToDrain(hasUnreadInput: { unread.contains($0) })
        #expect(first.ready.map(ObjectIdentifier.init) == [ObjectIdentifier(quiet)])
        #expect(first.waiting == 1)
        unread = []
        let second = table.takeReadyToDrain(hasUnreadInput: { unread.contains($0) })
        #expect(second.ready.map(ObjectIdentifier.init) == [ObjectIdentifier(busy)])
        #expect(second.waiting == 0)
        #expect(table.remove(busy))
        #expect(!table.remove(busy))
        #expect(table.count == 1)
    }
}
