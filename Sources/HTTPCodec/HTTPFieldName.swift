/// Whether a string may be an HTTP field name (RFC 9110 section 5.1: a `token`), for code outside
/// the codec that takes header names from configuration.
public enum HTTPFieldName {
    /// `true` for one or more `tchar`s.
    public static func isValid(_ name: String) -> Bool {
        HTTPSyntax.isToken(name.utf8)
    }
}
