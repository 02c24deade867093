import Benchmark
import PageTableModel

/// Custom metrics shared by the benchmark targets.
public enum Calibrated {
    /// The memset the workload is compared with, measured in the same iteration.
    public static let memset = BenchmarkMetric.custom("memset (µs)")
    /// Workload time ÷ memset time, in percent.
    public static let ratio = BenchmarkMetric.custom("÷ memset (%)")
    public static let metrics: [BenchmarkMetric] = [.wallClock, .peakMemoryResident, memset, ratio]

    /// Records the memset figure and the ratio of `work` (seconds) to it.
    public static func record(_ benchmark: Benchmark, work: Double, memset seconds: Double) {
        benchmark.measurement(memset, Int((seconds * 1e6).rounded()))
        benchmark.measurement(ratio, Int((100 * work / seconds).rounded()))
    }
}

/// The deterministic counts as custom metrics. package-benchmark keeps samples in an HDR
/// histogram with three significant digits, so a count above 2047 would be rounded and a
/// small change could go unseen; each count is therefore reported as three exact base-1000
/// digit groups (millions, thousands, units): any change moves at least one group.
public enum Counted {
    public static let names = ["dsb_ishst", "isb", "tlbi", "pt_alloc"]
    static let groups = [("M", 1_000_000), ("k", 1_000), ("1", 1)]

    public static var metrics: [BenchmarkMetric] {
        names.flatMap { name in groups.map { BenchmarkMetric.custom("\(name) ×\($0.0)") } }
    }

    /// Strict (zero-tolerance) thresholds for every count metric.
    public static var thresholds: [BenchmarkMetric: BenchmarkThresholds] {
        Dictionary(uniqueKeysWithValues: metrics.map { ($0, BenchmarkThresholds.strict) })
    }

    /// Records `delta` (and the table allocations) as digit groups.
    public static func record(_ benchmark: Benchmark, _ delta: Counters, allocations: Int) {
        let values = [delta.dsbIshst, delta.isb, delta.tlbi, allocations]
        for (name, value) in zip(names, values) {
            for (suffix, unit) in groups {
                // The top group keeps everything above it (exact while below 2048 millions).
                let group = unit == groups[0].1 ? value / unit : (value / unit) % 1_000
                benchmark.measurement(.custom("\(name) ×\(suffix)"), group)
            }
        }
    }
}
