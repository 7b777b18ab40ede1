/// The open connections of one event loop and whether that loop drains. One instance per loop,
/// created with the server and only ever used on its own loop, so the bookkeeping of different
/// loops shares no mutable storage. Generic so its rules can be checked without sockets.
final class LoopConnections<Connection: AnyObject>: @unchecked Sendable {
    // @unchecked Sendable: every member is only touched on the one loop that owns this instance.

    /// `true` once the loop started draining.
    private(set) var isDraining = false
    private var connections: [ObjectIdentifier: Connection] = [:]

    /// Open connections.
    var count: Int { connections.count }

    /// Every open connection, as of now (changes to the table do not affect the copy).
    var all: [Connection] { Array(connections.values) }

    /// Adds a connection.
    func insert(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = connection
    }

    /// Removes a connection; `true` when it was there.
    @discardableResult
    func remove(_ connection: Connection) -> Bool {
        connections.removeValue(forKey: ObjectIdentifier(connection)) != nil
    }

    /// Marks the loop as draining; returns the open connections, to be told.
    func startDraining() -> [Connection] {
        isDraining = true
        return all
    }
}
