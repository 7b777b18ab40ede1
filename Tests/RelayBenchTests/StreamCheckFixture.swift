import RelayBenchCore

extension StreamCheck {
    /// A check as a batch of `streams` streams would leave it: `clean` of them without a problem,
    /// `chunks` chunks received and checked.
    static func counted(streams: Int, clean: Int, chunks: Int) -> StreamCheck {
        var check = StreamCheck()
        check.streams = streams
        check.cleanStreams = clean
        check.chunks = chunks
        return check
    }
}
