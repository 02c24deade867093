import Benchmark
import BenchMetrics
import BenchSupport
import PageTableModel
import SplitWalkers

// 10,000 seeded set_memory_ro + set_memory_rw pairs (1–512 pages each) on the 256 GiB
// block map, split by each walker, lazy MMU on and off. The map is restored and its split
// tables freed back into a resident arena before every iteration (warm allocator; the
// warm-up iteration takes the first touches). The yardstick is time per descriptor
// written against memset time per 8 bytes, memset covering the same number of bytes.

let benchmarks: @Sendable () -> Void = {
    let layout = Workload.layout()
    let requests = Workload.stormRequests(layout)
    let config = Benchmark.Configuration(
        metrics: [.wallClock, perDescriptor, Calibrated.memset, Calibrated.ratio], timeUnits: .milliseconds,
        warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 5)

    for walker in WalkerKind.allCases {
        for lazy in [true, false] {
            let warm = WarmMap(layout)
            Benchmark("storm-\(walker.rawValue)-\(lazy ? "lazy" : "eager")", configuration: config) { benchmark in
                warm.reset { _ in }
                let c0 = warm.pt.counters
                benchmark.startMeasurement()
                let (_, t) = timed { Workload.storm(warm.pt, requests, walker: walker, lazy: lazy) }
                benchmark.stopMeasurement()
                let written = warm.pt.counters.since(c0).totalEntriesWritten
                let memset = Memset.warm(bytes: written * 8)
                benchmark.measurement(perDescriptor, Int((t / Double(written) * 1e12).rounded()))
                Calibrated.record(benchmark, work: t, memset: memset)
            }
        }
    }
}

/// Picoseconds per descriptor written (memset's ratio metric compares it per 8 bytes).
let perDescriptor = BenchmarkMetric.custom("ps per descriptor")
