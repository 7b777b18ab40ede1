/// XOR masking of payload bytes (RFC 6455 §5.3), eight bytes per step.
enum WebSocketMasking {
    /// Masks or unmasks `buffer` in place with `key` (4 bytes), starting at key offset 0.
    static func apply(key: [UInt8], to buffer: UnsafeMutableRawBufferPointer) {
        precondition(key.count == 4, "a WebSocket masking key is exactly 4 bytes")
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let count = buffer.count
        // Built with arithmetic, not by loading from an array literal's bytes: swiftc 6.3 -O
        // miscompiles `[k0, k1, k2, k3, k0, k1, k2, k3].withUnsafeBytes { $0.loadUnaligned(as:) }`.
        let halfKey = UInt64(key[0]) | UInt64(key[1]) << 8 | UInt64(key[2]) << 16 | UInt64(key[3]) << 24
        let wideKey = UInt64(littleEndian: halfKey | halfKey << 32)
        var index = 0
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            base.storeBytes(of: word ^ wideKey, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        // `index` is a multiple of 8 here, so the key phase is `index & 3`.
        while index < count {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            base.storeBytes(of: byte ^ key[index & 3], toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }

    /// Masks or unmasks a byte array in place.
    static func apply(key: [UInt8], to bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { apply(key: key, to: $0) }
    }
}
