/// Stream ids in URLs are capabilities (whoever holds one can replay the conversation within its
/// replay window), so a log line shows at most their first `shownCharacters` characters.
enum CapabilityRedaction {
    /// How much of a capability a log line may show.
    static let shownCharacters = 8

    /// `path` with each of the route's parameter values (`/chat/stream/{id}`) cut to its first
    /// characters and `…`.
    static func path(_ path: String, parameters: [String: String]) -> String {
        guard !parameters.isEmpty else { return path }
        let values = Set(parameters.values.filter { $0.count > shownCharacters })
        guard !values.isEmpty else { return path }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            values.contains(String(segment)) ? "\(segment.prefix(shownCharacters))…" : String(segment)
        }.joined(separator: "/")
    }
}
