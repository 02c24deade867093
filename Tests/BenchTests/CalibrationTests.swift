import BenchHarness
import Foundation
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
