import PageTableModel
import TLBModel

/// One row of output: the configuration and everything the simulation counted.
public struct RunResult: Sendable {
    public var spec: RunSpec
    public var layoutName: String
    /// SHA-256 of each input file, by option (layout, ops, trace).
    public var inputHashes: [String: String] = [:]
    public var memoryBytes: UInt64
    /// Counters of the measured operation only (setup such as the boot map excluded).
    public var counters = Counters()
    public var pagesAllocated = 0
    public var pagesAllocatedAtomic = 0
    public var pagesFreed = 0
    /// Page-table bytes held when the run ends.
    public var tableBytes = 0
    public var histogram = LeafHistogram()
    /// The map's DirectMap lines (`--format directmap`).
    public var directMap = DirectMapUse()
    public var memTotalKB: UInt64 = 0
    public var errors = 0
    public var requestsIssued = 0
    public var splitFraction = 0.0
    /// Hot-removes the memory notifier refused.
    public var hotplugRefusals = 0
    public var tlb: TLBMetrics?
    /// A `--trace perf:FILE`'s addresses by kind (the linear-map ones replayed).
    public var perfCensus: PerfCensus?
    /// The churn scenario's samples (`--series`); empty elsewhere.
    public var series: [ChurnSample] = []
    /// Wall time of the measured operation: minimum and median over repeats.
    public var cpuNs: UInt64 = 0
    public var cpuNsMedian: UInt64 = 0
    /// The reference the time is compared with, measured in the same process: the bytes
    /// its memset wrote or its bare walk loaded, and its time (a mean, as `cpuNs`'s runs).
    public var calibrationBytes: UInt64 = 0
    public var calibrationNs: UInt64 = 0
    public var calibrationKind = CalibrationKind.firstTouch
    /// The counts' time under `--cost-model`; nil without one.
    public var estimatedNs: Double?

    public init(spec: RunSpec, layoutName: String, memoryBytes: UInt64) {
        self.spec = spec
        self.layoutName = layoutName
        self.memoryBytes = memoryBytes
    }

    public var cpuRatio: Double { calibrationNs == 0 ? 0 : Double(cpuNs) / Double(calibrationNs) }
}

extension RunResult {
    /// Everything but the spec, which the process that launched a `bench job` already
    /// holds: what a `--jobs` child sends back. A field added to RunResult belongs here too.
    struct Measured: Codable {
        var layoutName: String, inputHashes: [String: String], memoryBytes: UInt64
        var counters: Counters, pagesAllocated: Int, pagesAllocatedAtomic: Int, pagesFreed: Int, tableBytes: Int
        var histogram: LeafHistogram, memTotalKB: UInt64, errors: Int, requestsIssued: Int, splitFraction: Double
        var hotplugRefusals: Int, tlb: TLBMetrics?, directMap: DirectMapUse, series: [ChurnSample]
        var cpuNs: UInt64, cpuNsMedian: UInt64, calibrationBytes: UInt64, calibrationNs: UInt64
        var calibrationKind: CalibrationKind, estimatedNs: Double?
        var perfCensus: PerfCensus?
    }

    var measured: Measured {
        Measured(layoutName: layoutName, inputHashes: inputHashes, memoryBytes: memoryBytes, counters: counters,
                 pagesAllocated: pagesAllocated, pagesAllocatedAtomic: pagesAllocatedAtomic, pagesFreed: pagesFreed,
                 tableBytes: tableBytes, histogram: histogram, memTotalKB: memTotalKB, errors: errors,
                 requestsIssued: requestsIssued, splitFraction: splitFraction, hotplugRefusals: hotplugRefusals, tlb: tlb,
                 directMap: directMap, series: series, cpuNs: cpuNs,
                 cpuNsMedian: cpuNsMedian, calibrationBytes: calibrationBytes, calibrationNs: calibrationNs,
                 calibrationKind: calibrationKind, estimatedNs: estimatedNs, perfCensus: perfCensus)
    }

    init(spec: RunSpec, _ m: Measured) {
        self.init(spec: spec, layoutName: m.layoutName, memoryBytes: m.memoryBytes)
        (inputHashes, counters, pagesAllocated, pagesAllocatedAtomic) = (m.inputHashes, m.counters, m.pagesAllocated, m.pagesAllocatedAtomic)
        (pagesFreed, tableBytes, histogram, memTotalKB) = (m.pagesFreed, m.tableBytes, m.histogram, m.memTotalKB)
        (errors, requestsIssued, splitFraction, hotplugRefusals, tlb) = (m.errors, m.requestsIssued, m.splitFraction, m.hotplugRefusals, m.tlb)
        series = m.series
        (cpuNs, cpuNsMedian, calibrationBytes, calibrationNs) = (m.cpuNs, m.cpuNsMedian, m.calibrationBytes, m.calibrationNs)
        (calibrationKind, estimatedNs, directMap, perfCensus) = (m.calibrationKind, m.estimatedNs, m.directMap, m.perfCensus)
    }
}
