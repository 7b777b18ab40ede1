import RelayBenchCore
import Testing

@Suite("StreamAccount: loss, duplication, reorder and text checks")
struct StreamAccountTests {
    private let expected = ["a", "b", "c", "d"]

    @Test func aCleanStreamHasNoProblems() {
        var account = StreamAccount(expected: expected)
        for (seq, text) in expected.enumerated() { account.record(seq: seq, content: text) }
        #expect(account.finish(completed: true).isEmpty)
        #expect(account.isClean && account.received == 4)
    }

    @Test func aChunksPayloadIsRecordedAndAnUnreadableOneIsAProblem() {
        var account = StreamAccount(expected: ["a", "b"])
        let fields = account.record(chunk: Array(#"{"choices":{"status":1,"seq":0,"text":[{"content":"a","role":"assistant","index":0}]}}"#.utf8))
        #expect(fields?.seq == 0 && fields?.content == "a")
        #expect(account.record(chunk: Array(#"{"sid":"x"}"#.utf8)) == nil)
        #expect(account.received == 2)
        #expect(account.finish(completed: true) == [.unreadable(#"{"sid":"x"}"#), .missing(count: 1, first: 1)])
    }

    @Test func missingChunksAreCountedWithTheFirstGap() {
        var account = StreamAccount(expected: expected)
        account.record(seq: 0, content: "a")
        account.record(seq: 3, content: "d")
        #expect(account.finish(completed: true) == [.missing(count: 2, first: 1)])
    }

    @Test func duplicatesAreNotMistakenForReorders() {
        var account = StreamAccount(expected: expected)
        for (seq, text) in expected.enumerated() { account.record(seq: seq, content: text) }
        account.record(seq: 2, content: "c")
        #expect(account.finish(completed: true) == [.duplicate(seq: 2)])
    }

    @Test func aLateChunkIsReorderedNotMissing() {
        var account = StreamAccount(expected: expected)
        account.record(seq: 0, content: "a")
        account.record(seq: 2, content: "c")
        account.record(seq: 1, content: "b")
        account.record(seq: 3, content: "d")
        #expect(account.finish(completed: true) == [.reordered(seq: 1, after: 2)])
    }

    @Test func wrongTextUnexpectedSeqAndIncompleteEnd() {
        var account = StreamAccount(expected: expected)
        account.record(seq: 0, content: "a")
        account.record(seq: 1, content: "B")
        account.record(seq: 9, content: "z")
        account.recordUnreadable("{}")
        let problems = account.finish(completed: false, reason: "timeout")
        #expect(problems.contains(.wrongText(seq: 1)))
        #expect(problems.contains(.unexpectedSeq(9)))
        #expect(problems.contains(.unreadable("{}")))
        #expect(problems.contains(.missing(count: 2, first: 2)))
        #expect(problems.contains(.notCompleted("timeout")))
    }

    @Test func streamCheckCountsProblemsByKind() {
        var clean = StreamAccount(expected: ["x"])
        clean.record(seq: 0, content: "x")
        var broken = StreamAccount(expected: ["x", "y"])
        broken.record(seq: 1, content: "y")
        broken.record(seq: 1, content: "y")
        var check = StreamCheck()
        check.add(stream: 0, account: clean, problems: clean.finish(completed: true))
        check.add(stream: 1, account: broken, problems: broken.finish(completed: true))
        #expect(check.streams == 2 && check.cleanStreams == 1 && check.chunks == 3)
        #expect(check.problemsByKind == ["duplicate": 1, "missing": 1])
        #expect(!check.passed)
        var other = StreamCheck()
        other.merge(check)
        #expect(other == check)
    }
}
