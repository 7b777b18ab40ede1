/// The open connections of one event loop and whether that loop drains. One instance per loop,
/// created with the server and only ever used on its own loop, so the bookkeeping of different
/// loops shares no mutable storage. Generic so its rules can be checked without sockets.
// @unchecked: confined to its event loop: one instance per loop, which ServerContext uses only on that loop (each entry point checks preconditionInEventLoop)
final class LoopConnections<Connection: AnyObject>: @unchecked Sendable {
    /// `true` once the loop started draining.
    private(set) var isDraining = false
    private var connections: [ObjectIdentifier: Connection] = [:]
    /// The socket descriptor of each connection that has one on record (checked for unread input).
    private var descriptors: [ObjectIdentifier: Int32] = [:]
    /// Connections that still have to be told about the drain.
    private var awaitingDrain: Set<ObjectIdentifier> = []
    /// `true` while a later look at the connections still to be told is scheduled.
    var recheckScheduled = false

    /// Open connections.
    var count: Int { connections.count }

    /// Every open connection, as of now (changes to the table do not affect the copy).
    var all: [Connection] { Array(connections.values) }

    /// Notes the socket descriptor `connection` reads from, before it registers.
    func setDescriptor(_ descriptor: Int32, of connection: Connection) {
        descriptors[ObjectIdentifier(connection)] = descriptor
    }

    /// Adds a connection; when the loop drains already, it joins the ones to tell.
    func insert(_ connection: Connection) {
        let id = ObjectIdentifier(connection)
        connections[id] = connection
        if isDraining { awaitingDrain.insert(id) }
    }

    /// Removes a connection; `true` when it was there.
    @discardableResult
    func remove(_ connection: Connection) -> Bool {
        let id = ObjectIdentifier(connection)
        descriptors.removeValue(forKey: id)
        awaitingDrain.remove(id)
        return connections.removeValue(forKey: id) != nil
    }

    /// Marks the loop as draining: every open connection is to be told.
    func startDraining() {
        isDraining = true
        awaitingDrain.formUnion(connections.keys)
    }

    /// The connections to tell about the drain now: those still to be told whose socket holds no
    /// unread input (a request already sent is read and answered first). `waiting` counts the ones
    /// left for a later call.
    func takeReadyToDrain(hasUnreadInput: (Int32) -> Bool) -> (ready: [Connection], waiting: Int) {
        var ready: [Connection] = []
        for id in awaitingDrain {
            if let descriptor = descriptors[id], hasUnreadInput(descriptor) { continue }
            awaitingDrain.remove(id)
            if let connection = connections[id] { ready.append(connection) }
        }
        return (ready, awaitingDrain.count)
    }
}
