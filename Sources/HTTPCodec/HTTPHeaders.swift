/// Ordered HTTP header fields with ASCII case-insensitive name lookup (RFC 9110 §5.1).
///
/// Field lines keep their wire order and original name spelling. Equality compares names
/// case-insensitively and values exactly, in order.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One field line.
    public typealias Element = (name: String, value: String)

    private var fields: [Element]

    /// Empty headers.
    public init() {
        fields = []
    }

    /// Headers from ordered `(name, value)` pairs.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// Headers from a dictionary literal (order as written).
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// Number of field lines.
    public var count: Int { fields.count }

    /// True when there are no field lines.
    public var isEmpty: Bool { fields.isEmpty }

    /// Iterates field lines in wire order.
    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    /// The first value for `name`, or nil.
    public subscript(name: String) -> String? {
        fields.first { HTTPSyntax.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        fields.compactMap { HTTPSyntax.equalsIgnoringCase($0.name, name) ? $0.value : nil }
    }

    /// True when at least one field line is named `name`.
    public func contains(_ name: String) -> Bool {
        fields.contains { HTTPSyntax.equalsIgnoringCase($0.name, name) }
    }

    /// Appends a field line (keeps existing lines of the same name).
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces the first line named `name` (removing any others) or appends one.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let index = fields.firstIndex(where: { HTTPSyntax.equalsIgnoringCase($0.name, name) }) {
            fields[index] = (name: name, value: value)
            var i = fields.count - 1
            while i > index {
                if HTTPSyntax.equalsIgnoringCase(fields[i].name, name) { fields.remove(at: i) }
                i -= 1
            }
        } else {
            add(name: name, value: value)
        }
    }

    /// Removes every line named `name`.
    public mutating func remove(name: String) {
        fields.removeAll { HTTPSyntax.equalsIgnoringCase($0.name, name) }
    }

    /// The comma-separated list elements of every `name` line, trimmed and lowercased, empty
    /// elements dropped (RFC 9110 §5.6.1). Example: `tokens(for: "Connection")`.
    public func tokens(for name: String) -> [String] {
        var result: [String] = []
        for value in values(for: name) {
            for part in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                let trimmed = HTTPSyntax.trimOWS(ArraySlice(part))
                if trimmed.isEmpty { continue }
                result.append(String(decoding: trimmed.map(HTTPSyntax.lower), as: UTF8.self))
            }
        }
        return result
    }

    /// A readable rendering for logs and test output.

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// Same lines in the same order; names compared case-insensitively, values exactly.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (a, b) in zip(lhs.fields, rhs.fields) {
            guard a.value == b.value, HTTPSyntax.equalsIgnoringCase(a.name, b.name) else { return false }
        }
        return true
    }
}
