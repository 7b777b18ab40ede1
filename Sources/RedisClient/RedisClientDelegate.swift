import RESPCodec

/// Events of a `RedisClient`, on its event loop.
public protocol RedisClientDelegate: AnyObject {
    /// The connection state changed (ready, reconnecting after an error, closed).
    func redisClient(_ client: RedisClient, didChangeState state: RedisClient.State)
    /// The server pushed out-of-band data (`>` frames: pub/sub messages, client-tracking
    /// invalidations); `elements[0]` names the kind.
    func redisClient(_ client: RedisClient, didReceivePush elements: [RESPValue])
}

extension RedisClientDelegate {
    /// Ignores state changes.
    public func redisClient(_ client: RedisClient, didChangeState state: RedisClient.State) {}
    /// Ignores pushes.
    public func redisClient(_ client: RedisClient, didReceivePush elements: [RESPValue]) {}
}
