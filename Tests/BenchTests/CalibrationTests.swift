import BenchHarness
import Foundation
import Reports
import Testing

@Suite struct CalibrationTests {
    static let bound: UInt64 = 64 << 10

    /// Minor faults of this thread (tests run in parallel on other threads).
    private func faults() -> Int {
        var usage = rusage()
        getrusage(1, &usage)  // RUSAGE_THREAD (a GNU extension Glibc does not import)
        return usage.ru_minflt
    }

    @Test(arguments: [0, 4096, 40_000, bound, 3 * bound + 100, 64 * bound])
    func timesAboveAndBelowTheBound(bytes: UInt64) {
        #expect(Calibration.warmMemset(bytes: bytes, bufferBytes: Self.bound) > 0)
        #expect(Calibration.firstTouchMemset(bytes: bytes, bufferBytes: Self.bound) > 0)
    }

    @Test func publicBoundIsAtMost256MiB() {
        #expect(Calibration.maximumBufferBytes <= 256 << 20)
        #expect(Calibration.warmMemset(bytes: 1 << 20) > 0 && Calibration.firstTouchMemset(bytes: 1 << 20) > 0)
    }

    /// First touch maps every chunk afresh (one fault each at least, even with large
    /// folios); warm faults in one bounded buffer only.
    @Test func firstTouchFaultsEveryChunkWarmOnlyOne() {
        let chunks = 256, bytes = UInt64(chunks) * Self.bound, bufferPages = Int(Self.bound / 4096)
        var before = faults()
        _ = Calibration.firstTouchMemset(bytes: bytes, bufferBytes: Self.bound)
        #expect(faults() - before >= chunks)
        before = faults()
        _ = Calibration.warmMemset(bytes: bytes, bufferBytes: Self.bound)
        #expect(faults() - before <= bufferPages + 16)
    }
}

/// How timings are repeated and which reference a run gets (no timing is asserted).
@Suite struct RepeatedTimingTests {
    /// A clock that moves `step` ns at every reading.
    private func clock(step: UInt64) -> () -> UInt64 {
        var t: UInt64 = 0
        return { t += step; return t }
    }

    @Test func repeatsUntilTheIntervalIsReached() {
        let m = Calibration.repeated(atLeast: 50, within: 1_000, clock: clock(step: 1)) { 7 }
        // 7 × 8 = 56 is the first sum ≥ 50.
        #expect(m.repeats == 8 && m.ns == 7)
        // A run longer than the interval still runs three times: the median of three.
        var next: UInt64 = 50
        let long = Calibration.repeated(atLeast: 50, within: 1_000, clock: clock(step: 1)) { defer { next += 10 }; return next }
        #expect(long.repeats == 3 && long.ns == 60)
    }

    @Test func stopsAtTheBudgetShortOfTheInterval() {
        // Readings 1200, 1800 after the start at 600: the second run ends past 1000, short
        // of the interval and of three runs.
        var calls = 0
        let m = Calibration.repeated(atLeast: 50, within: 1_000, clock: clock(step: 600)) { calls += 1; return 2 }
        #expect(m.repeats == 2 && calls == 2 && m.ns == 2)
    }

    /// Runs of 10 ns with one slowed to 100: blocks of 20 ns (two runs) have means 10, 55,
    /// 10, 10, 10; the median block is 10 where the mean of all runs would be 14.
    @Test func oneDisturbedBlockDoesNotMoveTheTime() {
        let times: [UInt64] = [10, 10, 10, 100, 10, 10, 10, 10, 10, 10]
        #expect(Calibration.typical(times, blockNs: 20) == 10)
        // One short block alone is its own mean; three blocks of one run each, their median.
        #expect(Calibration.typical([3, 4], blockNs: 20) == 3)
        #expect(Calibration.typical([30, 10, 20], blockNs: 5) == 20)
    }

    @Test func meanRoundsDown() {
        var next: UInt64 = 10
        let m = Calibration.repeated(atLeast: 30, within: 1_000, clock: clock(step: 1)) { defer { next += 1 }; return next }
        // 10 + 11 + 12 = 33 over 3 runs.
        #expect(m.repeats == 3 && m.ns == 11)
    }

    @Test func aTLBRunIsTimedAgainstTheBareWalkOfItsTrace() throws {
        let r = try ScenarioRunner.run(spec([("scenario", "tlb"), ("memory", "1G"), ("mode", "pte"), ("trace", "uniform"), ("accesses", "1000")]))
        #expect(r.calibrationKind == .bareWalk && r.calibrationNs > 0)
        // A PTE map: four descriptor loads per address, 8 bytes each.
        #expect(r.calibrationBytes == 1000 * 4 * 8)
        #expect(r.tlb?.tlbAccesses == 1000)
    }

    /// Splits allocate tables (first-touch memset of what they wrote); a mosaic that splits
    /// nothing does no page-table work (no reference: its trace is not the operation);
    /// debug-pagealloc on a PTE map allocates none: its reference makes its descents and
    /// stores its descriptors.
    @Test func memsetKindsFollowWhatTheOperationDid() throws {
        let mosaic = try ScenarioRunner.run(spec([("scenario", "mosaic"), ("memory", "1G"), ("split-fraction", "0.5"), ("accesses", "100")]))
        #expect(mosaic.calibrationKind == .firstTouch && mosaic.calibrationBytes == UInt64(mosaic.counters.totalEntriesWritten) * 8)
        let none = try ScenarioRunner.run(spec([("scenario", "mosaic"), ("memory", "1G"), ("split-fraction", "0"), ("accesses", "100")]))
        #expect(none.calibrationKind == .none && none.counters.walks == 0 && none.counters.totalEntriesWritten == 0)
        let row = try #require(CSVTable(parsing: CSVSchema.header + "\n" + CSVSchema.row(none)).rows.first)
        #expect(row["calib_kind"] == "none" && row["calib_ns"] == "" && row["cpu_ratio"] == "" && row["calib_bytes"] == "")
        let dpa = try ScenarioRunner.run(spec([("scenario", "debug-pagealloc"), ("memory", "1G")]))
        #expect(dpa.calibrationKind == .walkRewrite && dpa.pagesAllocated == 0)
        let (walks, written) = (dpa.counters.walks, dpa.counters.totalEntriesWritten)
        #expect(walks > 0 && written > walks)
        // Four loads a descent and one a further store, plus a descent where a run of about
        // three stores crosses a table's end (2 starts in 512): a few in a thousand.
        let loads = Int(dpa.calibrationBytes / 8), shaped = 4 * walks + written - walks
        #expect(loads >= shaped && loads <= shaped + 3 * walks / 100, "\(loads) loads for \(walks) walks, \(written) written")
    }

    /// The operation runs many times on fresh maps; the counts are one run's whatever
    /// `--repeat` says.
    @Test func countsAreOneRunsAtAnyRepeat() throws {
        let once = try ScenarioRunner.run(spec([("scenario", "kfence"), ("memory", "1G")]))
        let thrice = try ScenarioRunner.run(spec([("scenario", "kfence"), ("memory", "1G"), ("repeat", "3")]))
        #expect(once.counters == thrice.counters && once.pagesAllocated == thrice.pagesAllocated)
        #expect(once.counters.totalEntriesWritten == 786 && once.pagesAllocated == 1)
    }
}
