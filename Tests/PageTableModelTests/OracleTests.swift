import Testing
import PageTableModel
import LinearMap

@Suite struct OracleTests {
    let layout: MachineLayout
    let pt: PageTable
    init() throws {
        layout = try MachineLayout.builtin("single", memory: 4 << 30)
        pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: pt)
    }

    @Test func translateFollowsTheLinearOffset() throws {
        for pa: UInt64 in [layout.banks[0].start, layout.banks[0].start + (3 << 30) + 0x1234, layout.banks[0].end - 1] {
            let t = try #require(pt.translate(layout.va(ofPA: pa)))
            #expect(t.pa == pa)
            #expect(t.attributes & Descriptor.pxn != 0 && t.attributes & Descriptor.write != 0)
        }
        #expect(pt.translate(layout.linearEnd) == nil)
        #expect(pt.translate(layout.va(ofPA: layout.banks[0].start + (2 << 30)))?.level == .pud)
    }

    @Test func perPageAndRunComparisonsAgree() throws {
        let other = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte).build(into: other)
        #expect(pt.firstMismatch(with: other, from: layout.linearStart, to: layout.linearEnd) == nil)
        let start = layout.linearStart + (900 << 20)
        for va in stride(from: start, to: start + (300 << 20), by: 4096) {
            #expect(pt.translate(va)?.pa == other.translate(va)?.pa)
            #expect(pt.translate(va)?.attributes == other.translate(va)?.attributes)
        }
    }

    private func corruptedCopy(_ corrupt: (PageTable) -> Void) throws -> PageTable {
        let other = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte).build(into: other)
        corrupt(other)
        return other
    }

    private func pteTable(_ p: PageTable, _ va: UInt64) -> TablePage {
        var t = p.root
        for level in [Level.pgd, .pud, .pmd] { t = TablePage(t[p.geometry.index(va, level)]) }
        return t
    }

    @Test func comparisonCatchesAWrongPAAnAttributeAndAHole() throws {
        let va = layout.linearStart + (2 << 30) + 5 * 4096
        let i = pt.geometry.index(va, .pte)
        let cases: [(PageTable) -> Void] = [
            { p in let t = self.pteTable(p, va); t[i] = t[i].with(outputAddress: t[i].outputAddress ^ 0x1000) },
            { p in let t = self.pteTable(p, va); t[i] = t[i].clearing(Descriptor.write) },
            { p in let t = self.pteTable(p, va); t[i] = .zero },
        ]
        for corrupt in cases {
            let bad = try corruptedCopy(corrupt)
            #expect(pt.firstMismatch(with: bad, from: layout.linearStart, to: layout.linearEnd)?.va == va)
            #expect(bad.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd)?.va == va)
        }
    }

    @Test func verifierCatchesBrokenStructure() throws {
        #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
        let va = layout.linearStart + (2 << 30) + (3 << 20)
        let corruptions: [(PageTable) -> Void] = [
            { p in let t = self.pteTable(p, va); t[3] = t[3].setting(Descriptor.cont) },             // incomplete CONT group
            { p in let t = self.pteTable(p, va); t[7] = t[7].clearing(0b10) },                       // reserved type at level 3
            { p in let t = self.pteTable(p, va); t[9] = t[9].with(outputAddress: 0x1000) },          // not the linear PA
            { p in                                                                                     // table reachable twice
                var pmd = p.root
                for level in [Level.pgd, .pud] { pmd = TablePage(pmd[p.geometry.index(va, level)]) }
                let i = p.geometry.index(va, .pmd)
                pmd[i + 1] = pmd[i]
            },
        ]
        for corrupt in corruptions {
            let bad = try corruptedCopy(corrupt)
            #expect(!bad.verify(linearOffset: layout.linearOffset).isEmpty)
        }
    }

    @Test func verifierCatchesAMisalignedBlock() throws {
        let va = layout.linearStart + (2 << 30)
        let pud = TablePage(pt.root[pt.geometry.index(va, .pgd)])
        let i = pt.geometry.index(va, .pud)
        pud[i] = pud[i].with(outputAddress: pud[i].outputAddress + (2 << 20))
        #expect(pt.verify().contains { $0.contains("not aligned") })
    }
}
