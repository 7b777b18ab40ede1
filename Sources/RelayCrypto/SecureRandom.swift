#if canImport(Glibc)
import CLinuxShim
import Glibc
#endif
import Synchronization

/// Cryptographically secure random bytes from the kernel's CSPRNG, `getrandom(2)` (WebSocket mask
/// keys and handshake keys, stream and ticket ids, the simulator's throw-away credentials).
///
/// Not OpenSSL's `RAND_bytes`: its generator is set up on first use (the provider machinery, about
/// 2 MiB of libcrypto paged in), which an idle relay paid at start for its first random id; the
/// kernel's generator is what OpenSSL seeds from and needs no set-up.
///
/// Small requests (up to `pooledRequestLimit` bytes: mask keys, handshake keys, ids) are served from
/// a pool of `poolSize` bytes refilled from the kernel in one call, so a stream's four small draws
/// cost one `getrandom` per several streams instead of four. Pooled bytes are handed out once (the
/// position only moves forward) and wiped as they go. The relay never forks; a process that forks
/// must not use the pool in the child.
public enum SecureRandom {
    /// Requests up to this many bytes come from the pool.
    public static let pooledRequestLimit = 64
    /// Bytes fetched from the kernel per refill.
    public static let poolSize = 1024

    /// Unused kernel randomness and the position of the next unused byte.
    private struct Pool: ~Copyable {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: SecureRandom.poolSize, alignment: 16)
        var next = SecureRandom.poolSize
    }

    private static let pool = Mutex(Pool())

    /// `count` random bytes. Traps if the kernel refuses: continuing with weak randomness would be worse.
    public static func bytes(count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes: from the pool when it is small, else straight from the kernel.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count <= pooledRequestLimit else {
            fillFromKernel(buffer)
            return
        }
        // The destination crosses into the lock as an address (a pointer is not Sendable).
        let destination = UInt(bitPattern: buffer.baseAddress)
        let count = buffer.count
        pool.withLock { pool in
            if pool.next + count > poolSize {
                fillFromKernel(pool.bytes)
                pool.next = 0
            }
            guard let target = UnsafeMutableRawPointer(bitPattern: destination), let source = pool.bytes.baseAddress else { return }
            target.copyMemory(from: source + pool.next, byteCount: count)
            (source + pool.next).initializeMemory(as: UInt8.self, repeating: 0, count: count)
            pool.next += count
        }
    }

    /// Fills `buffer` from the kernel (in several calls when it returns less, or on EINTR).
    static func fillFromKernel(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let got = getrandom(buffer.baseAddress! + offset, buffer.count - offset, 0)
            if got > 0 {
                offset += got
            } else {
                let code = errno
                precondition(got < 0 && code == EINTR, "getrandom failed (errno \(code)): no secure randomness available")
            }
        }
    }

    /// `count` random bytes as lowercase hex (2 characters per byte).
    public static func hex(byteCount count: Int) -> String {
        Hex.encode(bytes(count: count))
    }
}
