import Foundation

/// TLB counts named after perf's arm64 PMU events (spec §8).
public struct TLBMetrics: Equatable, Sendable, Codable {
    /// L1D_TLB: translations looked up.
    public var tlbAccesses = 0
    /// Fills per level (first: L1D_TLB_REFILL, second: L2D_TLB_REFILL).
    public var refills: [Int] = []
    /// DTLB_WALK: table walks that found a translation.
    public var dtlbWalk = 0
    /// Walks by descriptor reads: index 0 = one read … index 3 = four.
    public var walksByDepth = [0, 0, 0, 0]
    /// Accesses whose walk found no valid leaf, or outside the kernel half the tables
    /// translate (not counted as hits, walks or refs).
    public var faults = 0

    public init() {}

    public var l1dTLBRefill: Int { refills.first ?? 0 }
    public var l2dTLBRefill: Int { refills.count > 1 ? refills[1] : 0 }
    /// Descriptor reads by all walks.
    public var walkRefs: Int { walksByDepth.enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element } }
    /// Walks per 1000 accesses (not perf's MPKI, which counts per 1000 instructions).
    public var walksPer1kAccesses: Double { tlbAccesses == 0 ? 0 : Double(dtlbWalk) * 1000 / Double(tlbAccesses) }
}
