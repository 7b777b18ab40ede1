/// Which parts of a JSON text `JSONParser.parseValue(depth:pick:)` materializes. Everything is still
/// validated exactly as by a full parse; parts not picked are skipped without building values.
package indirect enum JSONPick: Sendable {
    /// The whole value.
    case all
    /// For an object: only the named members (in input order, duplicates kept, with their value
    /// ranges), each with its own pick. Any other kind of value is materialized whole.
    case members([(key: String, pick: JSONPick)])
    /// For an array: every element with this pick. Any other kind of value is materialized whole.
    case elements(JSONPick)
    /// Scalars whole; objects and arrays as empty containers (their kind only).
    case kind
}
