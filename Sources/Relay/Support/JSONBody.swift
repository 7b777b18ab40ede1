import JSON
import SparkCodec

/// Encodes response bodies as compact JSON: keys sorted, slashes unescaped, `nil` optionals left out
/// (what Foundation's `JSONEncoder` with `.sortedKeys, .withoutEscapingSlashes` printed, without
/// linking Foundation). Built on the standard library's `Encoder` protocol and `JSONWriter`.
enum JSONBody {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let root = JSONNode.Box()
        do {
            try value.encode(to: JSONNodeEncoder(box: root, codingPath: []))
        } catch {
            // Only reachable for non-finite floats; the relay never encodes those.
            return Array(#"{"error":{"type":"server_error","code":"encoding_failed","message":"response could not be encoded"}}"#.utf8)
        }
        var writer = JSONWriter()
        root.node.write(to: &writer)
        return writer.bytes
    }
}

/// The tree an `Encodable` value is encoded into before it is written (keys must be sorted first).
enum JSONNode {
    case null
    case bool(Bool)
    case int(Int)
    case uint(UInt)
    case double(Double)
    case string(String)
    case array([Box])
    case object([String: Box])

    /// A node that containers fill in after handing it out.
    final class Box {
        var node: JSONNode = .null
        init() {}
        init(_ node: JSONNode) { self.node = node }
    }

    func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .int(let value): writer.int(value)
        case .uint(let value): writer.raw(String(value).utf8)
        case .double(let value): writer.double(value)
        case .string(let value): writer.string(value)
        case .array(let elements):
            writer.beginArray()
            for element in elements { element.node.write(to: &writer) }
            writer.endArray()
        case .object(let members):
            writer.beginObject()
            for key in members.keys.sorted() {
                writer.key(key)
                members[key]!.node.write(to: &writer)
            }
            writer.endObject()
        }
    }
}

/// An `Encoder` that writes into a `JSONNode.Box`.
private struct JSONNodeEncoder: Encoder {
    let box: JSONNode.Box
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = box.node {} else { box.node = .object([:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = box.node {} else { box.node = .array([]) }
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(box: box, codingPath: codingPath)
    }
}

/// Turns one primitive or nested `Encodable` into a node.
private func encodeNode(_ value: some Encodable, codingPath: [any CodingKey]) throws -> JSONNode {
    let box = JSONNode.Box()
    try value.encode(to: JSONNodeEncoder(box: box, codingPath: codingPath))
    return box.node
}

private func checkedDouble(_ value: Double, codingPath: [any CodingKey]) throws -> JSONNode {
    guard value.isFinite else {
        throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "JSON has no non-finite numbers"))
    }
    return .double(value)
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: JSONNode.Box
    let codingPath: [any CodingKey]

    private func set(_ node: JSONNode, for key: Key) {
        guard case .object(var members) = box.node else { return }
        members[key.stringValue] = JSONNode.Box(node)
        box.node = .object(members)
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), for: key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), for: key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try checkedDouble(value, codingPath: codingPath + [key]), for: key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try checkedDouble(Double(value), codingPath: codingPath + [key]), for: key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.int(value), for: key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int(Int(value)), for: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int(Int(value)), for: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int(Int(value)), for: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int(Int(value)), for: key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.uint(value), for: key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.uint(UInt(value)), for: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.uint(UInt(value)), for: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.uint(UInt(value)), for: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.uint(UInt(value)), for: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try encodeNode(value, codingPath: codingPath + [key]), for: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONNode.Box(.object([:]))
        attach(child, for: key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = JSONNode.Box(.array([]))
        attach(child, for: key)
        return UnkeyedContainer(box: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let child = JSONNode.Box()
        attach(child, named: "super")
        return JSONNodeEncoder(box: child, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = JSONNode.Box()
        attach(child, for: key)
        return JSONNodeEncoder(box: child, codingPath: codingPath + [key])
    }

    private func attach(_ child: JSONNode.Box, for key: Key) {
        attach(child, named: key.stringValue)
    }

    private func attach(_ child: JSONNode.Box, named name: String) {
        guard case .object(var members) = box.node else { return }
        members[name] = child
        box.node = .object(members)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: JSONNode.Box
    let codingPath: [any CodingKey]

    var count: Int {
        guard case .array(let elements) = box.node else { return 0 }
        return elements.count
    }

    private func append(_ child: JSONNode.Box) {
        guard case .array(var elements) = box.node else { return }
        elements.append(child)
        box.node = .array(elements)
    }

    private func append(_ node: JSONNode) { append(JSONNode.Box(node)) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try checkedDouble(value, codingPath: codingPath)) }
    mutating func encode(_ value: Float) throws { append(try checkedDouble(Double(value), codingPath: codingPath)) }
    mutating func encode(_ value: Int) throws { append(.int(value)) }
    mutating func encode(_ value: Int8) throws { append(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { append(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { append(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { append(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { append(.uint(value)) }
    mutating func encode(_ value: UInt8) throws { append(.uint(UInt(value))) }
    mutating func encode(_ value: UInt16) throws { append(.uint(UInt(value))) }
    mutating func encode(_ value: UInt32) throws { append(.uint(UInt(value))) }
    mutating func encode(_ value: UInt64) throws { append(.uint(UInt(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { append(try encodeNode(value, codingPath: codingPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONNode.Box(.object([:]))
        append(child)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = JSONNode.Box(.array([]))
        append(child)
        return UnkeyedContainer(box: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        let child = JSONNode.Box()
        append(child)
        return JSONNodeEncoder(box: child, codingPath: codingPath)
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let box: JSONNode.Box
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { box.node = .null }
    mutating func encode(_ value: Bool) throws { box.node = .bool(value) }
    mutating func encode(_ value: String) throws { box.node = .string(value) }
    mutating func encode(_ value: Double) throws { box.node = try checkedDouble(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { box.node = try checkedDouble(Double(value), codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { box.node = .int(value) }
    mutating func encode(_ value: Int8) throws { box.node = .int(Int(value)) }
    mutating func encode(_ value: Int16) throws { box.node = .int(Int(value)) }
    mutating func encode(_ value: Int32) throws { box.node = .int(Int(value)) }
    mutating func encode(_ value: Int64) throws { box.node = .int(Int(value)) }
    mutating func encode(_ value: UInt) throws { box.node = .uint(value) }
    mutating func encode(_ value: UInt8) throws { box.node = .uint(UInt(value)) }
    mutating func encode(_ value: UInt16) throws { box.node = .uint(UInt(value)) }
    mutating func encode(_ value: UInt32) throws { box.node = .uint(UInt(value)) }
    mutating func encode(_ value: UInt64) throws { box.node = .uint(UInt(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { box.node = try encodeNode(value, codingPath: codingPath) }
}
