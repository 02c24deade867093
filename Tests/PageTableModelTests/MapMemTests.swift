import Testing
import PageTableModel
import LinearMap

/// What map_mem must build, derived by alignment arithmetic alone (no walking): every
/// largest aligned chunk that lies wholly inside a mapped piece is one leaf or CONT group.
struct ExpectedMap {
    static let page: UInt64 = 4096, cont64K: UInt64 = 64 << 10, pmd: UInt64 = 2 << 20
    static let cont32M: UInt64 = 32 << 20, pud: UInt64 = 1 << 30, pgd: UInt64 = 512 << 30

    var pud = 0, pmd = 0, pmdCont = 0, pte = 0, pteCont = 0
    /// PTE tables filled, once per piece that reaches them (the batched barrier).
    var pteTableVisits = 0
    var pteTables = Set<UInt64>(), pmdTables = Set<UInt64>(), pudTables = Set<UInt64>()

    /// Whole aligned `size` chunks inside [a, b).
    static func chunks(_ a: UInt64, _ b: UInt64, _ size: UInt64) -> Int {
        let first = (a + size - 1) / size, last = b / size
        return last > first ? Int(last - first) : 0
    }

    /// [a, b) as offsets from memstart (VA and PA agree modulo 1 GiB).
    mutating func add(_ a: UInt64, _ b: UInt64, blocks: Bool, cont: Bool) {
        let pages = Int((b - a) / Self.page)
        let n1G = blocks ? Self.chunks(a, b, Self.pud) : 0
        let n2M = blocks ? Self.chunks(a, b, Self.pmd) : 0
        let n32 = blocks && cont ? Self.chunks(a, b, Self.cont32M) - n1G * 32 : 0
        pud += n1G
        pmdCont += n32 * 16
        pmd += n2M - n1G * 512 - n32 * 16
        let ptePages = pages - n2M * 512
        let n64 = cont ? Self.chunks(a, b, Self.cont64K) - n2M * 32 : 0
        pteCont += n64 * 16
        pte += ptePages - n64 * 16
        for slot in (a / Self.pgd)...((b - 1) / Self.pgd) { pudTables.insert(slot) }
        for slot in (a / Self.pud)...((b - 1) / Self.pud) where !(blocks && slot * Self.pud >= a && (slot + 1) * Self.pud <= b) {
            pmdTables.insert(slot)
        }
        for slot in (a / Self.pmd)...((b - 1) / Self.pmd) where !(blocks && slot * Self.pmd >= a && (slot + 1) * Self.pmd <= b) {
            pteTables.insert(slot)
            pteTableVisits += 1
        }
    }

    init(_ layout: MachineLayout, _ mode: MappingMode) {
        let base = layout.memstart
        for piece in layout.ordinaryPieces {
            add(piece.start - base, piece.end - base, blocks: mode == .block, cont: mode == .block)
        }
        add(layout.kernelImage.start - base, layout.kernelImage.end - base, blocks: true, cont: false)
        if let pool = layout.kfencePool { add(pool.start - base, pool.end - base, blocks: false, cont: false) }
    }

    var histogram: LeafHistogram {
        var h = LeafHistogram()
        (h.pud, h.pmd, h.pmdCont, h.pte, h.pteCont) = (pud, pmd, pmdCont, pte, pteCont)
        (h.contPMDGroups, h.contPTEGroups) = (pmdCont / 16, pteCont / 16)
        return h
    }
    var tables: [Int] { [0, pudTables.count, pmdTables.count, pteTables.count] }
    /// Entries written per level: tables populated plus leaves.
    var writes: [Int] { [pudTables.count, pud + pmdTables.count, pmd + pmdCont + pteTables.count, pte + pteCont] }
}

@Suite struct MapMemTests {
    static let gib: UInt64 = 1 << 30

    static let layouts: [(String, UInt64, Bool)] = [
        ("single", 64 << 20, false), ("single", 3 * gib + (6 << 20) + 20 << 10, false),
        ("single", 5 * gib, true), ("numa2", 8 * gib + (68 << 20), false), ("numa4", 16 * gib, true),
    ]

    @Test(arguments: layouts, MappingMode.allCases)
    func tableAndLeafCountsMatchTheGeometry(layout spec: (String, UInt64, Bool), mode: MappingMode) throws {
        let layout = try MachineLayout.builtin(spec.0, memory: spec.1, earlyKfence: spec.2)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: mode).build(into: pt)
        let want = ExpectedMap(layout, mode)
        #expect(pt.leafHistogram() == want.histogram)
        #expect(pt.allocator.allocated.map { $0.reduce(0, +) } == want.tables)
        #expect(pt.counters.entriesWritten == want.writes)
        #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
        // batched: each table zeroing is one dsb ishst; each upper-level write one emitted
        // pair, and each PTE-table fill one more.
        let emitted = want.writes[0] + want.writes[1] + want.writes[2] + want.pteTableVisits
        #expect(pt.counters.isb == emitted)
        #expect(pt.counters.dsbIshst == emitted + want.tables.reduce(0, +))
    }

    @Test func perEntryPolicyEmitsForEveryPTE() throws {
        let layout = try MachineLayout.builtin("single", memory: 1 * Self.gib)
        let batched = try PageTable(), perEntry = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte, policy: .batched).build(into: batched)
        try LinearMapBuilder(layout: layout, mode: .pte, policy: .perEntry).build(into: perEntry)
        let want = ExpectedMap(layout, .pte)
        #expect(perEntry.counters.isb - batched.counters.isb == want.writes[3] - want.pteTableVisits)
        #expect(perEntry.firstMismatch(with: batched, from: layout.linearStart, to: layout.linearEnd) == nil)
    }

    @Test func twoHundredFiftySixGiBInPTEMode() throws {
        let layout = try MachineLayout.builtin("single", memory: 256 * Self.gib)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte).build(into: pt)
        // 131,072 PTE tables less those the kernel alias's whole 2 MiB blocks replace.
        let aliasBlocks = ExpectedMap.chunks(layout.kernelImage.start - layout.memstart, layout.kernelImage.end - layout.memstart, 2 << 20)
        #expect(pt.allocator.allocated(.pte) == 131_072 - aliasBlocks)
        #expect(pt.allocator.allocated(.pmd) == 256 && pt.allocator.allocated(.pud) == 1)
        let mib = Double(pt.allocator.tableBytes) / Double(1 << 20)
        #expect(abs(mib - 513) < 0.5)
        #expect(pt.allocator.arenaAllocatedBytes == pt.allocator.tableBytes + 4096)  // + the root
        let block = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .block).build(into: block)
        #expect(block.allocator.pagesAllocated <= 4)
        #expect(block.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) == nil)
    }

    @Test func ampereOneMemTotalMatchesTheSeedFigures() throws {
        let layout = try MachineLayout.builtin("ampereone-256g", memory: 0)
        var memTotal: [MappingMode: UInt64] = [:]
        for mode in MappingMode.allCases {
            let pt = try PageTable()
            try LinearMapBuilder(layout: layout, mode: mode).build(into: pt)
            memTotal[mode] = layout.memTotalKB(pageTableBytes: pt.allocator.tableBytes)
        }
        // rodata=full (PTE-mapped) MemTotal 258,988,984 kB; block mapping frees ≈ 500 MB.
        #expect(abs(Double(memTotal[.pte]!) - 258_988_984) / 258_988_984 < 0.001)
        let freedMB = Double(memTotal[.block]! - memTotal[.pte]!) * 1024 / 1e6
        #expect(freedMB > 480 && freedMB < 560)
    }
}
