@testable import RelayIO
import Testing

/// `HeapTuning`: glibc heap settings read from the environment, with specific errors.
@Suite struct HeapTuningTests {
    @Test func heapTuningDefaultsAndOverrides() throws {
        let defaults = try HeapTuning(environment: [:])
        #expect(defaults == HeapTuning())
        #expect(defaults.arenaMax == 2)
        let tuned = try HeapTuning(environment: [HeapTuning.arenaMaxVariable: "default", HeapTuning.idleCheckVariable: "0"])
        #expect(tuned.arenaMax == nil)
        #expect(tuned.idleCheckSeconds == 0)
        #expect(try HeapTuning(environment: [HeapTuning.arenaMaxVariable: "4"]).arenaMax == 4)
    }

    @Test(arguments: [
        (HeapTuning.arenaMaxVariable, "0"), (HeapTuning.arenaMaxVariable, "65"), (HeapTuning.arenaMaxVariable, "two"),
        (HeapTuning.idleCheckVariable, "-1"), (HeapTuning.idleCheckVariable, "nan"), (HeapTuning.idleCheckVariable, "3601"),
    ])
    func heapTuningRefusesBadValues(name: String, value: String) {
        #expect(throws: HeapTuningError.self) { try HeapTuning(environment: [name: value]) }
        do {
            _ = try HeapTuning(environment: [name: value])
        } catch {
            #expect(error.description.contains(name))
            #expect(error.description.contains("'\(value)'"))
        }
    }

    @Test func theTrimmerTrimsOnceWhenTheProcessGoesIdle() async throws {
        // A threshold of 1,000 cores makes every interval idle, however busy the test process is: the first
        // tick after start-up (busy) trims, later idle ticks do not trim again.
        let trimmer = IdleHeapTrimmer(interval: 0.05, idleCPUFraction: 1_000)
        let deadline = ContinuousClock.now + .seconds(5)
        while trimmer.trims == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(trimmer.trims == 1)
        try await Task.sleep(for: .milliseconds(300))
        #expect(trimmer.trims == 1)
    }
}
