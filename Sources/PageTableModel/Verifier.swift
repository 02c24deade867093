/// Structural checks a real MMU would rely on: what the oracle's translation alone
/// cannot see.
extension PageTable {
    /// Problems found (empty when the map is well formed), at most `limit` of them.
    /// `linearOffset`, when given, is the expected PA - VA of every linear-map leaf
    /// (vmalloc leaves map whatever pages back their area).
    public func verify(linearOffset: UInt64? = nil, limit: Int = 16) -> [String] {
        var problems: [String] = []
        var seen = Set<UInt64>()
        let g = geometry
        func report(_ s: @autoclosure () -> String) { if problems.count < limit { problems.append(s()) } }

        forEachTable { table, level, base, _ in
            if !seen.insert(table.address).inserted {
                report("table 0x\(String(table.address, radix: 16)) reachable twice")
            }
            let size = g.size(level)
            for i in 0..<g.entriesPerTable {
                let entry = table[i]
                guard entry.isValid else { continue }
                let va = base &+ UInt64(i) &* size
                if level != .pte && entry.isTable {
                    if !isAligned(entry.outputAddress, UInt64(g.tableBytes)) || entry.outputAddress == 0 {
                        report("\(level.name) at 0x\(String(va, radix: 16)): bad table address")
                    }
                    continue
                }
                if level != .pte && !g.allowsBlock(level) {
                    report("\(level.name) at 0x\(String(va, radix: 16)): block not allowed at this level")
                }
                if level == .pte && !entry.isTable {
                    report("pte at 0x\(String(va, radix: 16)): reserved descriptor type")
                }
                if !isAligned(entry.outputAddress, size) {
                    report("\(level.name) at 0x\(String(va, radix: 16)): output address not aligned to \(size)")
                }
                // A realm's shared pages map the same page at its NS-shared IPA alias.
                if let off = linearOffset, va < LinearMapRange.end, (entry.outputAddress & ~Descriptor.nsShared) &- va != off {
                    report("\(level.name) at 0x\(String(va, radix: 16)): maps PA 0x\(String(entry.outputAddress, radix: 16)), not the linear PA")
                }
                if entry.isCont, let why = contGroupProblem(table, level, i) {
                    report("\(level.name) at 0x\(String(va, radix: 16)): CONT group \(why)")
                }
            }
        }
        return problems
    }

    /// A CONT group must be aligned, complete and uniform.
    private func contGroupProblem(_ table: TablePage, _ level: Level, _ i: Int) -> String? {
        let n = geometry.contCount(level)
        guard n > 1 else { return "at a level without CONT" }
        let first = i & ~(n - 1)
        let head = table[first]
        let size = geometry.size(level)
        guard isAligned(head.outputAddress, size * UInt64(n)) else { return "not aligned" }
        for k in 0..<n {
            let e = table[first + k]
            if !e.isValid || !e.isCont { return "incomplete" }
            if e.raw & Descriptor.typeMask != head.raw & Descriptor.typeMask { return "mixes types" }
            if e.attributes != head.attributes { return "mixes attributes" }
            if e.outputAddress != head.outputAddress + UInt64(k) * size { return "not physically contiguous" }
        }
        return nil
    }
}
