import Benchmark
import BenchMetrics
import BenchSupport
import PageTableModel

// map_mem of 256 GiB in pte mode (force_pte_mapping): ~513 MiB of tables, each zeroed
// then filled. Every iteration builds into a fresh arena, so every table page is a first
// touch; the yardstick is a first-touch memset of the same number of bytes, measured in
// the same iteration (custom metrics) and on its own (second benchmark).

let benchmarks: @Sendable () -> Void = {
    let layout = Workload.layout()
    let config = Benchmark.Configuration(metrics: Calibrated.metrics, timeUnits: .milliseconds,
                                         warmupIterations: 0, maxDuration: .seconds(30), maxIterations: 3)

    Benchmark("map_mem-pte-256G", configuration: config) { benchmark in
        benchmark.startMeasurement()
        let (pt, t) = timed { Workload.map(layout, mode: .pte) }
        benchmark.stopMeasurement()
        Calibrated.record(benchmark, work: t, memset: Memset.cold(bytes: pt.allocator.arenaAllocatedBytes))
    }

    Benchmark("memset-first-touch-map_mem-pte-256G-table-bytes",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds,
                                   warmupIterations: 0, maxDuration: .seconds(30), maxIterations: 3)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Memset.cold(bytes: TableBytes.pteMap256G)) }
    }
}

/// The arena bytes of the 256 GiB pte map, found by building it once.
enum TableBytes {
    static let pteMap256G = Workload.map(Workload.layout(), mode: .pte).allocator.arenaAllocatedBytes
}
