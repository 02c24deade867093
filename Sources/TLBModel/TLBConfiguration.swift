/// The shape of a simulated TLB hierarchy (spec §8).

/// One TLB level: `entries` slots in `entries / ways` sets, true LRU within a set.
public struct TLBLevelConfiguration: Equatable, Sendable {
    public var name: String
    public var entries: Int
    /// `entries` makes the level fully associative.
    public var ways: Int
    /// The sizes an entry of this level can hold; a larger translation is held as the
    /// largest of these that fits.
    public var sizes: [PageSize]

    public init(name: String, entries: Int, ways: Int, sizes: [PageSize]) {
        self.name = name
        self.entries = entries
        self.ways = ways
        self.sizes = sizes
    }

    public var sets: Int { ways > 0 ? entries / ways : 0 }

    /// The size this level holds for a translation of size `size`, nil if none fits.
    public func held(_ size: PageSize) -> PageSize? { sizes.filter { $0 <= size }.max() }
}

/// A cache of table (non-leaf) descriptors met on walks, so a walk can start below
/// the root. Hit or miss, leaf entries never go here.
public struct WalkCacheConfiguration: Equatable, Sendable {
    public var entries: Int
    public var ways: Int
    public init(entries: Int, ways: Int) {
        self.entries = entries
        self.ways = ways
    }
}

public struct TLBConfiguration: Equatable, Sendable {
    public var name: String
    /// Looked up in order; a miss in every level walks the tables.
    public var levels: [TLBLevelConfiguration]
    /// One entry covers a whole CONT group (64 KiB of PTEs, 32 MiB of PMDs).
    public var contCoalescing: Bool
    /// Cortex-A76-style coalescing: four 4 KiB pages, 16 KiB aligned, with consecutive
    /// output addresses and identical attributes share one 16K entry. The hardware keeps
    /// per-page valid bits; the model fills all four at once.
    public var pageCoalescing: Bool
    public var walkCache: WalkCacheConfiguration?

    public init(name: String, levels: [TLBLevelConfiguration], contCoalescing: Bool = true,
                pageCoalescing: Bool = false, walkCache: WalkCacheConfiguration? = nil) {
        self.name = name
        self.levels = levels
        self.contCoalescing = contCoalescing
        self.pageCoalescing = pageCoalescing
        self.walkCache = walkCache
    }

    public static let presetNames = ["n1", "v2"]

    /// Neoverse N1 / Cortex-A76 (TRM): 48-entry fully associative L1 dTLB, 1280-entry
    /// 5-way unified L2. The TRM's L2 entry format has a "four coalesced pages" bit.
    public static let n1 = TLBConfiguration(name: "n1", levels: [
        TLBLevelConfiguration(name: "L1D", entries: 48, ways: 48, sizes: [.k4, .k16, .k64, .m2, .m512]),
        TLBLevelConfiguration(name: "L2", entries: 1280, ways: 5, sizes: PageSize.allCases),
    ], contCoalescing: true, pageCoalescing: true)

    /// Neoverse V2, approximate: 48-entry fully associative L1 dTLB and a 2048-entry
    /// 8-way L2, with N1's page sizes and coalescing assumed.
    public static let v2 = TLBConfiguration(name: "v2", levels: [
        TLBLevelConfiguration(name: "L1D", entries: 48, ways: 48, sizes: [.k4, .k16, .k64, .m2, .m512]),
        TLBLevelConfiguration(name: "L2", entries: 2048, ways: 8, sizes: PageSize.allCases),
    ], contCoalescing: true, pageCoalescing: true)

    /// The preset called `name` (`--tlb`).
    public static func preset(_ name: String) throws(TLBModelError) -> TLBConfiguration {
        switch name.lowercased() {
        case "n1": return n1
        case "v2": return v2
        default: throw TLBModelError("--tlb: unknown TLB preset '\(name)'; use one of \(presetNames.joined(separator: ", "))")
        }
    }

    public func validate() throws(TLBModelError) {
        guard !levels.isEmpty else { throw TLBModelError("--tlb: \(name) has no TLB levels") }
        for level in levels {
            let what = "--tlb: \(name) \(level.name)"
            guard level.entries > 0, level.ways > 0 else {
                throw TLBModelError("\(what) needs at least one entry and one way (\(level.entries) entries, \(level.ways) ways)")
            }
            guard level.entries % level.ways == 0 else {
                throw TLBModelError("\(what) associativity \(level.ways) does not divide its \(level.entries) entries")
            }
            guard level.sizes.contains(.k4) else { throw TLBModelError("\(what) must hold 4K pages") }
        }
        if let wc = walkCache {
            guard wc.entries > 0, wc.ways > 0, wc.entries % wc.ways == 0 else {
                throw TLBModelError("--tlb: \(name) walk cache associativity \(wc.ways) does not divide its \(wc.entries) entries")
            }
        }
    }
}
