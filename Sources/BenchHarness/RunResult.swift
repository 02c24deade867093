import PageTableModel
import TLBModel

/// One row of output: the configuration and everything the simulation counted. The
/// counted half's fields read and write as the result's own (`r.counters`).
@dynamicMemberLookup
public struct RunResult: Sendable {
    public var spec: RunSpec
    /// Everything but the spec: what a `--jobs` child sends back.
    public var measured: Measured

    public init(spec: RunSpec, layoutName: String, memoryBytes: UInt64) {
        self.init(spec: spec, Measured(layoutName: layoutName, memoryBytes: memoryBytes))
    }

    init(spec: RunSpec, _ measured: Measured) {
        self.spec = spec
        self.measured = measured
    }

    public subscript<T>(dynamicMember field: WritableKeyPath<Measured, T>) -> T {
        get { measured[keyPath: field] }
        set { measured[keyPath: field] = newValue }
    }

    public var cpuRatio: Double { measured.calibrationNs == 0 ? 0 : Double(measured.cpuNs) / Double(measured.calibrationNs) }
}

extension RunResult {
    /// Everything but the spec, which the process that launched a `bench job` already
    /// holds.
    public struct Measured: Sendable, Codable {
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

        init(layoutName: String, memoryBytes: UInt64) {
            self.layoutName = layoutName
            self.memoryBytes = memoryBytes
        }
    }
}
