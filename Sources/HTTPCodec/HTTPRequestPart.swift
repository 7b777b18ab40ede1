/// One streaming event of a request: the head, a piece of body, or the end of the message.
public enum HTTPRequestPart: Sendable, Equatable {
    case head(HTTPRequestHead)
    case body([UInt8])
    case end
}
