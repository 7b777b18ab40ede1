/// A command as a client sends it: a non-empty array of blob strings (`SET key value`).
///
/// `description` shows only the command name and the argument count: arguments can hold
/// passwords (`HELLO 3 AUTH user pass`) and user data.
public struct RESPCommand: Sendable, Equatable, CustomStringConvertible {
    /// The name followed by the arguments, as raw bytes.
    public private(set) var arguments: [[UInt8]]

    /// `name` followed by text arguments.
    public init(_ name: String, _ arguments: String...) {
        self.init(name, arguments: arguments)
    }

    /// `name` followed by text arguments.
    public init(_ name: String, arguments: [String]) {
        self.arguments = [Array(name.utf8)] + arguments.map { Array($0.utf8) }
    }

    /// `name` followed by binary arguments.
    public init(_ name: String, binaryArguments: [[UInt8]]) {
        self.arguments = [Array(name.utf8)] + binaryArguments
    }

    /// The command name, upper-cased (for logs and metric labels).
    public var name: String {
        String(decoding: arguments[0], as: UTF8.self).uppercased()
    }

    /// Appends a text argument.
    public mutating func append(_ argument: String) {
        arguments.append(Array(argument.utf8))
    }

    /// Appends a binary argument.
    public mutating func append(bytes argument: [UInt8]) {
        arguments.append(argument)
    }

    /// Appends a decimal integer argument.
    public mutating func append(_ argument: Int) {
        arguments.append(Array(String(argument).utf8))
    }

    /// `"SET (2 arguments)"`.
    public var description: String {
        "\(name) (\(arguments.count - 1) arguments)"
    }
}
