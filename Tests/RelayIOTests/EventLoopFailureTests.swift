import Dispatch
@testable import RelayIO
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A poll thread whose `epoll_wait` fails (other than `EINTR`) reports it instead of ending quietly,
/// and its loop stops taking registrations while its descriptors stay open until `stop()`.
@Suite struct EventLoopFailureTests {
    @Test func failingEpollWaitIsReportedWithTheLoopAndTheErrno() throws {
        let calls = Atomic<Int>(0)
        let reports = Mutex<[String]>([])
        let reported = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "test.failing-loop")
        let poller = ReadinessPoller(
            queue: queue, label: "test.loop.3",
            wait: { _, _, _, _ in
                // An interruption is waited out; the next call fails the way a closed epoll would.
                errno = calls.add(1, ordering: .relaxed).newValue == 1 ? EINTR : EBADF
                return -1
            },
            onFailure: { message in
                reports.withLock { $0.append(message) }
                reported.signal()
            })
        // The first timer starts the poll thread.
        let started: Bool = queue.sync {
            (try? poller.scheduleTimer(at: DispatchTime.now().uptimeNanoseconds + 60_000_000_000) {}) != nil
        }
        #expect(started)
        try #require(reported.wait(timeout: .now() + 10) == .success)
        let messages = reports.withLock { $0 }
        #expect(messages.count == 1)
        let message = messages.first ?? ""
        #expect(message.contains("test.loop.3"))
        #expect(message.contains("epoll_wait"))
        #expect(message.contains("errno \(EBADF)"))
        #expect(message.contains(String(cString: strerror(EBADF))))
        #expect(calls.load(ordering: .relaxed) == 2)

        // The blind loop refuses new sockets with the error instead of never reporting them.
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let refusal: Int32? = queue.sync {
            do throws(IOError) {
                _ = try poller.register(descriptor: fds[0]) { _ in }
                return nil
            } catch {
                return error.errnoCode
            }
        }
        #expect(refusal == EBADF)

        // Its descriptors are still open (their numbers cannot be handed out again) until `stop()`.
        let (epoll, wake) = queue.sync { (poller.epollDescriptor, poller.wakeDescriptor) }
        #expect(fcntl(epoll, F_GETFD) >= 0)
        #expect(fcntl(wake, F_GETFD) >= 0)
        queue.sync { poller.stop() }
    }
}
