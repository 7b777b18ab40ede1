/// Whitespace trimming on the standard library alone (the server targets do not link Foundation).
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Unicode white space that is not a line break),
    /// like Foundation's `trimmingCharacters(in: .whitespaces)`.
    func trimmingSpaces() -> String {
        trimming { $0.isWhitespace && !$0.isNewline }
    }

    /// Without leading and trailing white space of any kind, line breaks included.
    func trimmingWhitespace() -> String {
        trimming(\.isWhitespace)
    }

    /// `true` when the text is empty or only white space.
    var isBlank: Bool {
        allSatisfy(\.isWhitespace)
    }

    private func trimming(_ isTrimmed: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = lastIndex(where: { !isTrimmed($0) })!
        return String(self[first...last])
    }
}
