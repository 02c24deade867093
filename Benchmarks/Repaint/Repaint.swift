import Benchmark
import BenchMetrics
import BenchSupport
import PageTableModel

// linear_map_split_to_ptes (v6.18, W4) on the 256 GiB block map, lazy MMU on and off. It
// allocates ~513 MiB of PTE and PMD tables; the yardstick is a memset of exactly the table
// bytes the repaint allocated, measured in the same iteration:
// - cold: a fresh arena per iteration (block map built outside the measured region), so
//   every table page is a first touch; compared with a first-touch memset of fresh mmap.
// - warm: one arena for the whole run, its decay turned off; between iterations the map is
//   restored to its block form and the repaint's tables freed back into that arena
//   (MapSnapshot.restore, outside the measured region), so the next repaint reuses
//   resident pages; compared with a memset of already-resident bytes.

let benchmarks: @Sendable () -> Void = {
    let layout = Workload.layout()
    let config = Benchmark.Configuration(metrics: Calibrated.metrics, timeUnits: .milliseconds,
                                         warmupIterations: 0, maxDuration: .seconds(30), maxIterations: 3)

    for lazy in [true, false] {
        let mode = lazy ? "lazy" : "eager"

        Benchmark("repaint-256G-\(mode)-cold", configuration: config) { benchmark in
            let pt = Workload.map(layout, mode: .block)
            let before = pt.allocator.tableBytes
            benchmark.startMeasurement()
            let (_, t) = timed { Workload.repaint(pt, layout, lazy: lazy) }
            benchmark.stopMeasurement()
            Calibrated.record(benchmark, work: t, memset: Memset.cold(bytes: pt.allocator.tableBytes - before))
        }

        let warm = WarmMap(layout)
        Benchmark("repaint-256G-\(mode)-warm", configuration: config) { benchmark in
            let bytes = warm.reset { Workload.repaint($0, layout, lazy: lazy) }
            benchmark.startMeasurement()
            let (_, t) = timed { Workload.repaint(warm.pt, layout, lazy: lazy) }
            benchmark.stopMeasurement()
            Calibrated.record(benchmark, work: t, memset: Memset.warm(bytes: bytes))
        }
    }
}
