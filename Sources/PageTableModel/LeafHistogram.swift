/// Leaf entries per kind, and the TLB entries needed to cover them (spec §8).
public struct LeafHistogram: Equatable, Sendable, Codable {
    public var pud = 0
    /// PMD blocks without / with the CONT hint (entries, not groups).
    public var pmd = 0
    public var pmdCont = 0
    public var pte = 0
    public var pteCont = 0
    public var contPMDGroups = 0
    public var contPTEGroups = 0

    public init() {}

    public var leaves: Int { pud + pmd + pmdCont + pte + pteCont }
    /// TLB entries needed when one CONT group takes one entry.
    public var tlbReachEntries: Int { pud + pmd + pte + contPMDGroups + contPTEGroups }
}

extension LeafHistogram {
    /// Adds a `level` table's valid leaves.
    mutating func add(_ t: TableLeaves, _ level: Level) {
        switch level {
        case .pte: (pte, pteCont, contPTEGroups) = (pte + t.valid, pteCont + t.validCont, contPTEGroups + t.contHeads)
        case .pmd: (pmd, pmdCont, contPMDGroups) = (pmd + t.valid, pmdCont + t.validCont, contPMDGroups + t.contHeads)
        case .pud: pud += t.valid + t.validCont
        case .pgd: break  // no leaf at the root
        }
    }
}

/// One table's leaves, counted in one pass over its entries: `LeafHistogram` and
/// `DirectMapUse` are both sums of these.
struct TableLeaves {
    /// Valid leaves without / with CONT, and the first entries of CONT groups among them.
    var valid = 0, validCont = 0, contHeads = 0
    /// Leaves valid or not (set_memory_valid keeps an invalid leaf's bits) whose VA is in
    /// [PAGE_OFFSET, PAGE_END), without / with CONT.
    var linear = 0, linearCont = 0

    /// `table` is a `level` table whose first entry maps `base`.
    init(_ table: TablePage, _ level: Level, base: UInt64, _ g: Geometry) {
        let size = g.size(level), atPTE = level == .pte, group = g.contCount(level)
        // Wrapping adds: at most 512 per table, and the loop stays free of overflow traps.
        var (valid, validCont, contHeads, linear, linearCont) = (0, 0, 0, 0, 0)
        for i in 0..<g.entriesPerTable {
            let raw = table[i].raw
            // Empty, or a table descriptor above the last level: no leaf.
            guard raw != 0, atPTE || raw & Descriptor.typeMask != 0b11 else { continue }
            let cont = raw & Descriptor.cont != 0
            if raw & Descriptor.valid != 0 {
                if cont {
                    validCont &+= 1
                    if i % group == 0 { contHeads &+= 1 }
                } else {
                    valid &+= 1
                }
            }
            let va = base &+ UInt64(i) &* size
            if va >= LinearMapRange.start, va < LinearMapRange.end {
                if cont { linearCont &+= 1 } else { linear &+= 1 }
            }
        }
        (self.valid, self.validCont, self.contHeads, self.linear, self.linearCont) = (valid, validCont, contHeads, linear, linearCont)
    }
}

extension PageTable {
    /// Counts every valid leaf in the map (uncounted walk).
    public func leafHistogram() -> LeafHistogram { leafCensus().histogram }

    /// The leaf histogram and the linear map's use by leaf size, from one uncounted walk.
    public func leafCensus() -> (histogram: LeafHistogram, directMap: DirectMapUse) {
        var (h, use) = (LeafHistogram(), DirectMapUse())
        let g = geometry
        forEachTable { table, level, base, _ in
            let t = TableLeaves(table, level, base: base, g)
            h.add(t, level)
            use.add(t, level, size: g.size(level))
        }
        return (h, use)
    }
}
