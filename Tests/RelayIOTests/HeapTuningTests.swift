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
        // tick after start-up (busy) trims, later idle ticks do not trim again (no freed-bytes trigger).
        let trimmer = IdleHeapTrimmer(interval: 0.05, policy: IdleTrimPolicy(idleCPUFraction: 1_000, freedBytesToTrim: .max))
        let deadline = ContinuousClock.now + .seconds(5)
        while trimmer.trims == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(trimmer.trims == 1)
        try await Task.sleep(for: .milliseconds(300))
        #expect(trimmer.trims == 1)
    }

    // MARK: - When the idle trimmer trims

    /// One 5-second interval with `cpu` seconds used and `free` heap bytes free.
    private func trim(_ policy: inout IdleTrimPolicy, cpu: Double, free: Int) -> Bool {
        policy.shouldTrim(cpuSeconds: cpu, seconds: 5, freeHeapBytes: { free })
    }

    @Test func trimsOnceWhenTheProcessGoesIdleAfterLoad() {
        var policy = IdleTrimPolicy(idleCPUFraction: 0.02, freedBytesToTrim: 1 << 20)
        // Start-up counts as busy: the first idle interval trims.
        #expect(trim(&policy, cpu: 0.01, free: 100))
        policy.trimmed(freeHeapBytes: 100)
        // Idle with nothing freed: no more trims.
        #expect(!trim(&policy, cpu: 0.01, free: 100))
        // Load (0.1 s of CPU is 2 % of 5 s): no trim while busy, one trim when idle again.
        #expect(!trim(&policy, cpu: 2, free: 0))
        #expect(!trim(&policy, cpu: 0.1, free: 0))
        #expect(trim(&policy, cpu: 0.09, free: 50))
        policy.trimmed(freeHeapBytes: 50)
        #expect(!trim(&policy, cpu: 0, free: 50))
    }

    @Test func trimsWhenMemoryIsFreedWhileIdle() {
        // Finished streams leave when their replay window ends, long after the load: the heap's free
        // bytes grow without the process getting busy.
        var policy = IdleTrimPolicy(idleCPUFraction: 0.02, freedBytesToTrim: 1 << 20)
        #expect(trim(&policy, cpu: 0, free: 4 << 20))
        policy.trimmed(freeHeapBytes: 4 << 20)
        #expect(!trim(&policy, cpu: 0, free: (4 << 20) + (1 << 20) - 1))
        #expect(trim(&policy, cpu: 0, free: 5 << 20))
        policy.trimmed(freeHeapBytes: 5 << 20)
        // Free bytes fall (reused) and grow again by the threshold from their lowest point: trim.
        #expect(!trim(&policy, cpu: 0, free: 2 << 20))
        #expect(!trim(&policy, cpu: 0, free: (3 << 20) - 1))
        #expect(trim(&policy, cpu: 0, free: 3 << 20))
    }

    @Test func theHeapIsNotReadInBusyIntervals() {
        var policy = IdleTrimPolicy(idleCPUFraction: 0.02, freedBytesToTrim: 1 << 20)
        var reads = 0
        let trimmed = policy.shouldTrim(cpuSeconds: 1, seconds: 5, freeHeapBytes: { reads += 1; return 0 })
        #expect(!trimmed)
        #expect(reads == 0)
    }
}
