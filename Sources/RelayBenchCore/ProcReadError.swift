/// Why a `/proc` file could not be read or understood.
public enum ProcReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened (the process is gone).
    case unreadable(path: String)
    /// The file has no field of that name or an unexpected layout.
    case malformed(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .malformed(let what): return "unexpected /proc content: \(what)"
        }
    }
}
