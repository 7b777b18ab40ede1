/// Why a model table was rejected.
public enum SparkModelTableError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two models share this name or domain.
    case duplicateName(String)
    /// This alias collides (case-insensitively) with a name, domain or alias of another model.
    case duplicateAlias(String)

    /// Names the duplicate.
    public var description: String {
        switch self {
        case .duplicateName(let name): "duplicate model name \"\(name)\""
        case .duplicateAlias(let alias): "duplicate model alias \"\(alias)\""
        }
    }
}
