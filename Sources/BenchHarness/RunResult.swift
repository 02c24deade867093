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
    public var memTotalKB: UInt64 = 0
    public var errors = 0
    public var requestsIssued = 0
    public var splitFraction = 0.0
    /// Hot-removes the memory notifier refused.
    public var hotplugRefusals = 0
    public var tlb: TLBMetrics?
    /// Wall time of the measured operation: minimum and median over repeats.
    public var wallNs: UInt64 = 0
    public var wallNsMedian: UInt64 = 0
    /// A memset of the bytes the operation wrote, in the same process.
    public var calibrationBytes: UInt64 = 0
    public var calibrationNs: UInt64 = 0
    /// The calibration memset wrote fresh pages (the operation allocated tables).
    public var calibrationFirstTouch = false
    /// The counts' time under `--cost-model`; nil without one.
    public var estimatedNs: Double?

    public init(spec: RunSpec, layoutName: String, memoryBytes: UInt64) {
        self.spec = spec
        self.layoutName = layoutName
        self.memoryBytes = memoryBytes
    }

    public var wallRatio: Double { calibrationNs == 0 ? 0 : Double(wallNs) / Double(calibrationNs) }
}
