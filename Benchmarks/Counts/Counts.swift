import Benchmark
import BenchMetrics
import BenchSupport
import LinearMap
import PageTableModel
import SplitWalkers

// The deterministic counts of the timed workloads (barriers, TLBIs, table allocations),
// one run each, checked against static thresholds in Benchmarks/Thresholds: any change in
// a count fails `swift package benchmark thresholds check` (see Benchmarks/README.md).
// Names carry no spaces: the plugin writes threshold files with spaces turned into '_'
// but looks them up by the raw name.

let benchmarks: @Sendable () -> Void = {
    let layout = Workload.layout()
    let config = Benchmark.Configuration(metrics: Counted.metrics, warmupIterations: 0, maxIterations: 1,
                                         thresholds: Counted.thresholds)

    func counting(_ name: String, _ pt: @escaping @Sendable () -> PageTable, _ workload: @escaping @Sendable (PageTable) -> Void) {
        Benchmark(name, configuration: config) { benchmark in
            let pt = pt()
            let (c0, a0) = (pt.counters, pt.allocator.pagesAllocated)
            workload(pt)
            Counted.record(benchmark, pt.counters.since(c0), allocations: pt.allocator.pagesAllocated - a0)
        }
    }

    counting("map_mem-pte-256G", { try! PageTable() }) { pt in
        try! LinearMapBuilder(layout: layout, mode: .pte).build(into: pt)
    }
    for lazy in [true, false] {
        let mode = lazy ? "lazy" : "eager"
        counting("repaint-256G-\(mode)", { Workload.map(layout, mode: .block) }) { Workload.repaint($0, layout, lazy: lazy) }
        for walker in WalkerKind.allCases {
            let requests = Workload.stormRequests(layout)
            counting("storm-\(walker.rawValue)-\(mode)", { Workload.map(layout, mode: .block) }) {
                Workload.storm($0, requests, walker: walker, lazy: lazy)
            }
        }
    }
}
