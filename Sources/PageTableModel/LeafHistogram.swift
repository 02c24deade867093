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

extension PageTable {
    /// Counts every valid leaf in the map (uncounted walk).
    public func leafHistogram() -> LeafHistogram {
        var h = LeafHistogram()
        let g = geometry
        forEachTable { table, level, _, _ in
            for i in 0..<g.entriesPerTable {
                let e = table[i]
                guard e.isValid, level == .pte || !e.isTable else { continue }
                switch (level, e.isCont) {
                case (.pud, _): h.pud += 1
                case (.pmd, false): h.pmd += 1
                case (.pmd, true):
                    h.pmdCont += 1
                    if i % g.contPMDs == 0 { h.contPMDGroups += 1 }
                case (.pte, false): h.pte += 1
                case (.pte, true):
                    h.pteCont += 1
                    if i % g.contPTEs == 0 { h.contPTEGroups += 1 }
                default: break
                }
            }
        }
        return h
    }
}
