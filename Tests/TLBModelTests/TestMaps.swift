import LinearMap
import PageTableModel
import TLBModel

/// Small maps shared by the tests.
enum TestMaps {
    static func layout(_ gib: UInt64 = 4) throws -> MachineLayout { try .builtin("single", memory: gib << 30) }

    static func build(_ mode: MappingMode, gib: UInt64 = 4) throws -> (PageTable, MachineLayout) {
        let layout = try layout(gib)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: mode).build(into: pt)
        return (pt, layout)
    }

    /// Splits the 2 MiB chunk at `start` to PTEs (CONT PTEs when `cont`) with the
    /// helpers, splitting a PUD block or a CONT PMD group on the way.
    static func splitChunk(_ pt: PageTable, _ start: UInt64, cont: Bool = false) throws {
        let g = pt.geometry
        let pud = TablePage(pt.root[g.index(start, .pgd)])
        let i = g.index(start, .pud)
        if pud[i].isBlock { try pt.splitPUD(pud, i, toCont: false, kind: .kernel) }
        let pmd = TablePage(pud[i])
        let j = g.index(start, .pmd)
        guard pmd[j].isBlock else { return }
        if pmd[j].isCont { pt.splitContPMD(pmd, j) }
        try pt.splitPMD(pmd, j, toCont: cont, kind: .kernel)
    }

    static func splitter(_ pt: PageTable) -> (UInt64, UInt64) throws -> Void {
        { start, end in
            var va = start
            while va < end {
                try splitChunk(pt, va)
                va += pt.geometry.size(.pmd)
            }
        }
    }

    /// A 4 GiB block map with every kind of leaf: 1G, 2M, 32M CONT, 4K, 64K CONT.
    static func mixed() throws -> (PageTable, MachineLayout) {
        let (pt, layout) = try build(.block)
        let base = layout.linearStart
        for k: UInt64 in [40, 41, 300, 301, 302, 700, 1200, 1700] {  // 2 MiB chunks
            try splitChunk(pt, base + k << 21, cont: k % 2 == 0)
        }
        return (pt, layout)
    }
}
