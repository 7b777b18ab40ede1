import Glibc

/// A mutex with a condition variable (pthreads), for the few places where a thread must block until
/// another one changes shared state — tests and tools waiting for an event instead of sleeping. Never
/// used on an event loop. Waits are measured on `CLOCK_MONOTONIC`, so wall-clock jumps do not bend them.
// @unchecked: its two pointers are immutable after init, and pthread mutexes and condition variables are made for use from any thread
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Runs `body` holding the lock, then wakes every waiter.
    public func update<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }

    /// Blocks until `predicate` (evaluated under the lock after every `update`) holds or `timeout`
    /// seconds pass; returns the predicate's last value.
    public func wait(timeout: Double, until predicate: () -> Bool) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + max(0, timeout)
        var deadline = timespec()
        deadline.tv_sec = time_t(total.rounded(.down))
        deadline.tv_nsec = Int((total - total.rounded(.down)) * 1e9)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !predicate() {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT {
                return predicate()
            }
        }
        return true
    }
}
