import Glibc

/// Small, bounded file-system reads and checks for the server's start-up and static files, on POSIX
/// calls alone (the server targets do not link Foundation: it costs several MiB of resident memory).
public enum FileSystem {
    /// What `read(path:limit:)` can fail with.
    public enum ReadError: Error, Equatable, Sendable {
        /// The file could not be opened (missing, unreadable); `errno` says why.
        case cannotOpen(errno: Int32)
        /// The path names a directory or another thing that is not a regular file.
        case notRegularFile
        /// The file is larger than the caller's limit.
        case tooLarge(limit: Int)
        /// `read(2)` failed part way.
        case readFailed(errno: Int32)
    }

    /// The whole content of a regular file, at most `limit` bytes.
    public static func read(path: String, limit: Int) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(errno: errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
        // /proc files report size 0; read until end of file either way, never past the limit.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(max(Int(status.st_size), 0), limit) + 1)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw .readFailed(errno: errno)
            }
            guard bytes.count + count <= limit else { throw .tooLarge(limit: limit) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// The file's text (UTF-8, invalid sequences repaired), or nil when it cannot be read.
    public static func readText(path: String, limit: Int) -> String? {
        guard let bytes = try? read(path: path, limit: limit) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What, if anything, is at a path.
    public enum Kind: Equatable, Sendable {
        case missing, regularFile, directory, other
    }

    /// What is at `path` (following symbolic links).
    public static func kind(of path: String) -> Kind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The canonical absolute path (symbolic links, `.` and `..` resolved), or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The process's working directory.
    public static func currentDirectory() -> String {
        guard let directory = getcwd(nil, 0) else { return "." }
        defer { free(directory) }
        return String(cString: directory)
    }
}
