import Glibc

/// The process's environment variables (what `ProcessInfo.processInfo.environment` gives, without
/// linking Foundation). Read at start-up, before any thread could call `setenv`.
public enum ProcessEnvironment {
    /// Every `NAME=value` pair; with a name given twice, the first wins (as `getenv` does).
    public static func current() -> [String: String] {
        var variables: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if variables[name] == nil {
                    variables[name] = String(text[text.index(after: equals)...])
                }
            }
            entry += 1
        }
        return variables
    }
}
