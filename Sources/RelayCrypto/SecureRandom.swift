#if canImport(Glibc)
import CLinuxShim
import Glibc
#endif

/// Cryptographically secure random bytes from the kernel's CSPRNG, `getrandom(2)` (WebSocket mask
/// keys and handshake keys, stream and ticket ids, the simulator's throw-away credentials).
///
/// Not OpenSSL's `RAND_bytes`: its generator is set up on first use (the provider machinery, about
/// 2 MiB of libcrypto paged in), which an idle relay paid at start for its first random id; the
/// kernel's generator is what OpenSSL seeds from, needs no state in the process and is fork-safe.
public enum SecureRandom {
    /// `count` random bytes. Traps if the kernel refuses: continuing with weak randomness would be worse.
    public static func bytes(count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes (in several calls when the kernel returns less, or on EINTR).
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
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
