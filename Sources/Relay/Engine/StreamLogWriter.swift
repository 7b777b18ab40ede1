/// Receives every numbered event of a stream this relay owns, on the stream's loop, in order.
protocol StreamLogWriter: AnyObject {
    /// Appends `event` (numbered) to the stream's shared log.
    func append(_ event: StreamEvent)
}
