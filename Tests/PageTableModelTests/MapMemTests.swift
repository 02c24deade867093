import Testing
import PageTableModel
import LinearMap

/// What map_mem must build, derived by alignment arithmetic alone (no walking): every
/// largest aligned chunk that lies wholly inside a mapped piece is one leaf or CONT group.
struct ExpectedMap {
    static let page: UInt64 = 4096, cont64K: UInt64 = 64 << 10, pmd: UInt64 = 2 << 20
    static let cont32M: UInt64 = 32 << 20, pud: UInt64 = 1 << 30, pgd: UInt64 = 512 << 30

    var pud = 0, pmd = 0, pmdCont = 0, pte = 0, pteCont = 0
    /// Tables filled, once per piece (create call) that reaches them: alloc_init_pud,
    /// alloc_init_cont_pmd and alloc_init_cont_pte calls.
    var pudTableVisits = 0, pmdTableVisits = 0, pteTableVisits = 0
    /// The CONT blocks those calls loop over (v6.9 fixmapped a table once per each):
    /// 32 MiB ones in PMD tables, 64 KiB ones in PTE tables.
    var pmdContBlockVisits = 0, pteContBlockVisits = 0
    var pteTables = Set<UInt64>(), pmdTables = Set<UInt64>(), pudTables = Set<UInt64>()

    /// Whole aligned `size` chunks inside [a, b).
    static func chunks(_ a: UInt64, _ b: UInt64, _ size: UInt64) -> Int {
        let first = (a + size - 1) / size, last = b / size
        return last > first ? Int(last - first) : 0
    }

    /// `size` slots that [a, b) touches.
    static func touched(_ a: UInt64, _ b: UInt64, _ size: UInt64) -> Int { Int((b - 1) / size - a / size + 1) }

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
        for slot in (a / Self.pgd)...((b - 1) / Self.pgd) {
            pudTables.insert(slot)
            pudTableVisits += 1
        }
        for slot in (a / Self.pud)...((b - 1) / Self.pud) where !(blocks && slot * Self.pud >= a && (slot + 1) * Self.pud <= b) {
            pmdTables.insert(slot)
            pmdTableVisits += 1
            pmdContBlockVisits += Self.touched(max(a, slot * Self.pud), min(b, (slot + 1) * Self.pud), Self.cont32M)
        }
        for slot in (a / Self.pmd)...((b - 1) / Self.pmd) where !(blocks && slot * Self.pmd >= a && (slot + 1) * Self.pmd <= b) {
            pteTables.insert(slot)
            pteTableVisits += 1
            pteContBlockVisits += Self.touched(max(a, slot * Self.pmd), min(b, (slot + 1) * Self.pmd), Self.cont64K)
        }
    }

    /// The kernel alias alone, as mark_linear_text_alias_ro re-walks it.
    static func alias(_ layout: MachineLayout) -> ExpectedMap {
        var map = ExpectedMap()
        map.add(layout.kernelImage.start - layout.memstart, layout.kernelImage.end - layout.memstart, blocks: true, cont: false)
        return map
    }

    private init() {}

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
    var tableCount: Int { tables.reduce(0, +) }
    /// set_pgd / set_pud / set_pmd: each an emitted pair at boot.
    var upperWrites: Int { writes[0] + writes[1] + writes[2] }

    /// What map_mem's create path counts in `state`, derived from the kernel code of each
    /// state (spec §5), not from the simulator: fixmap unmaps (one TLBI and one dsb ish
    /// each), and the barrier pairs of maps, unmaps, set_pXd and, before 1fcb7cea8a5f,
    /// every PTE; from 0e9df1c905d8 on one explicit dsb ishst per new table.
    func counts(_ state: CreatePath) -> (dsbIshst: Int, dsbIsh: Int, isb: Int, tlbi: Int, fixmapStores: Int) {
        let visits = pudTableVisits + pmdTableVisits + pteTableVisits
        let unmaps: Int
        switch state {
        case .base: unmaps = tableCount + pudTableVisits + pmdContBlockVisits + pteContBlockVisits
        case .noContRemap, .batchBarriers: unmaps = tableCount + visits
        case .noAllocRemap: unmaps = visits
        }
        let ptePairs = state == .base || state == .noContRemap ? writes[3] : 0
        let isb = 2 * unmaps + upperWrites + ptePairs
        return (isb + (state == .noAllocRemap ? tableCount : 0), unmaps, isb, unmaps, 2 * unmaps)
    }
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
        // The fixmap slot's stores (map and clear) are PTE stores too.
        let fixmap = want.counts(.current).fixmapStores
        #expect(pt.counters.entriesWritten == [want.writes[0], want.writes[1], want.writes[2], want.writes[3] + fixmap])
        #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
        // v6.10+: one fixmap map and unmap per table visit, nothing per PTE.
        let c = want.counts(.current)
        #expect(Counts(pt) == Counts(c.dsbIshst, c.dsbIsh, c.isb, c.tlbi))
    }

    /// Every create-path state against the counts its kernel code implies; all build the
    /// same map.
    @Test(arguments: [layouts[0], layouts[1], layouts[3]], MappingMode.allCases)
    func everyCreatePathStateCountsWhatItsCodeIssues(layout spec: (String, UInt64, Bool), mode: MappingMode) throws {
        let layout = try MachineLayout.builtin(spec.0, memory: spec.1, earlyKfence: spec.2)
        let want = ExpectedMap(layout, mode)
        let reference = try PageTable()
        try LinearMapBuilder(layout: layout, mode: mode).build(into: reference)
        for state in CreatePath.allCases {
            let pt = try PageTable()
            try LinearMapBuilder(layout: layout, mode: mode, path: state).build(into: pt)
            let c = want.counts(state)
            #expect(Counts(pt) == Counts(c.dsbIshst, c.dsbIsh, c.isb, c.tlbi), "\(state.rawValue)")
            #expect(pt.counters.tlbi == pt.counters.tlbiPage)
            #expect(pt.leafHistogram() == want.histogram)
            #expect(pt.firstMismatch(with: reference, from: layout.linearStart, to: layout.linearEnd) == nil)
        }
    }

    /// Spec §5: per full PTE table, 33 / 2 / 2 / 1 TLBIs and 579 / 517 / 5 / 3 isb in the
    /// four states. One more whole table in the same PMD table and CONT_PMD block costs
    /// exactly that.
    @Test func perFullPTETableCosts() throws {
        let contBlocks = 512 / 16
        // Unmaps: v6.9 one per CONT block and one for the zeroing map; then one for the
        // fill and one for the zeroing; from 0e9df1c905d8 the fill's alone.
        let tlbi = [contBlocks + 1, 2, 2, 1]
        // Each unmap comes with its map (two pairs), plus the set_pmd that populates the
        // table and, before 1fcb7cea8a5f, 512 __set_pte.
        let isb = zip(tlbi, [512, 512, 0, 0]).map { 2 * $0 + 1 + $1 }
        #expect(tlbi == [33, 2, 2, 1] && isb == [579, 517, 5, 3])
        func counts(_ state: CreatePath, tables: UInt64) throws -> Counters {
            let pt = try PageTable()
            try CreateMapping(pt, path: state).map(virt: LinearMapRange.start, phys: 0x4000_0000, size: tables << 21,
                                                   prot: Prot.kernel, flags: [.noExec, .noBlock, .noCont])
            return pt.counters
        }
        for (k, state) in CreatePath.allCases.enumerated() {
            let one = try counts(state, tables: 1), two = try counts(state, tables: 2)
            #expect(two.tlbi - one.tlbi == tlbi[k], "\(state.rawValue)")
            #expect(two.isb - one.isb == isb[k], "\(state.rawValue)")
            #expect(two.dsbIsh - one.dsbIsh == tlbi[k])
            #expect(two.dsbIshst - one.dsbIshst == isb[k] + (state == .noAllocRemap ? 1 : 0))
        }
    }

    /// The issue's acceptance figures: a 4 GiB and a 16 GiB single-bank pte map_mem with
    /// the default image, v6.10+'s create path.
    @Test(arguments: [4, 16] as [UInt64])
    func acceptanceFigures(gib: UInt64) throws {
        let figures = gib == 4 ? Counts(8_177, 2_043, 6_139, 2_043) : Counts(32_801, 8_199, 24_607, 8_199)
        let layout = try MachineLayout.builtin("single", memory: gib * Self.gib)
        let pt = try PageTable()
        try LinearMapBuilder(layout: layout, mode: .pte).build(into: pt)
        let c = ExpectedMap(layout, .pte).counts(.current)
        #expect(Counts(c.dsbIshst, c.dsbIsh, c.isb, c.tlbi) == figures)
        #expect(Counts(pt) == figures)
    }

    /// Boot after map_mem: mark_linear_text_alias_ro re-walks the alias with
    /// PAGE_KERNEL_RO (one fixmap map/unmap per table, a set_pmd per block, no
    /// allocation), then flushes it: flush_tlb_all without range ops (≥ 512 pages), range
    /// ops with them; REPEAT_TLBI per-tlbi doubles every TLBI, per-sync adds one per flush.
    @Test(arguments: MappingMode.allCases, [false, true])
    func fullBootMakesTheAliasReadOnly(mode: MappingMode, range: Bool) throws {
        let layout = try MachineLayout.builtin("single", memory: 4 * Self.gib)
        let mapMem = try PageTable(), full = try PageTable()
        let flush = TLBFlush(rangeSupport: range)
        try LinearMapBuilder(layout: layout, mode: mode, flush: flush).boot(into: mapMem, through: .mapMem)
        try LinearMapBuilder(layout: layout, mode: mode, flush: flush).boot(into: full)
        let alias = ExpectedMap.alias(layout)
        let unmaps = alias.pudTableVisits + alias.pmdTableVisits + alias.pteTableVisits
        let blocks = alias.pud + alias.pmd
        let d = full.counters.since(mapMem.counters)
        let pages = layout.kernelImage.size >> 12
        #expect(pages >= 512)
        // The final flush: flush_tlb_all without range ops; with them, spec §4's range ops.
        let finalTLBIs = range ? rangeOps(pages) : 1
        #expect(d.isb == 2 * unmaps + blocks + 1 && d.dsbIshst == d.isb)
        #expect(d.dsbIsh == unmaps + 1 && d.tlbi == unmaps + finalTLBIs)
        #expect(full.allocator.pagesAllocated == mapMem.allocator.pagesAllocated)
        let va = layout.va(ofPA: layout.kernelImage.start)
        for probe in [va, va + layout.kernelImage.size - 4096] {
            #expect(full.translate(probe)!.attributes & Descriptor.rdonly != 0)
            #expect(full.translate(probe)!.attributes & Descriptor.write == 0)
            #expect(mapMem.translate(probe)!.attributes & Descriptor.rdonly == 0)
        }
        #expect(full.translate(va - 4096)!.attributes & Descriptor.rdonly == 0)
        #expect(full.leafHistogram() == mapMem.leafHistogram())
        // With REPEAT_TLBI every TLBI is repeated after a dsb ish.
        let repeated = try PageTable()
        try LinearMapBuilder(layout: layout, mode: mode, flush: TLBFlush(rangeSupport: range, repeatTLBI: .perTLBI)).boot(into: repeated)
        #expect(repeated.counters.tlbi == 2 * full.counters.tlbi)
        #expect(repeated.counters.dsbIsh == full.counters.dsbIsh + full.counters.tlbi)
        // Per-sync (a8f78680ee6b): each flush, i.e. each dsb ish, gains one TLBI and one dsb ish.
        let perSync = try PageTable()
        try LinearMapBuilder(layout: layout, mode: mode, flush: TLBFlush(rangeSupport: range, repeatTLBI: .perSync)).boot(into: perSync)
        #expect(perSync.counters.tlbi == full.counters.tlbi + full.counters.dsbIsh)
        #expect(perSync.counters.tlbiSyncRepeat == full.counters.dsbIsh && perSync.counters.dsbIsh == 2 * full.counters.dsbIsh)
    }

    /// Range ops for n pages (spec §4's formula, n ≤ 2^21).
    func rangeOps(_ n: UInt64) -> Int {
        [n >= 65536, n % 65536 >= 2048, n % 2048 >= 64, n % 64 >= 2, n % 2 == 1].filter { $0 }.count
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
        #expect(pt.allocator.arenaAllocatedBytes == pt.allocator.tableBytes + 2 * 4096)  // + the root and bm_pte
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

/// dsb ishst, dsb ish, isb, TLBI.
struct Counts: Equatable, Sendable, CustomStringConvertible {
    var dsbIshst, dsbIsh, isb, tlbi: Int
    init(_ dsbIshst: Int, _ dsbIsh: Int, _ isb: Int, _ tlbi: Int) { (self.dsbIshst, self.dsbIsh, self.isb, self.tlbi) = (dsbIshst, dsbIsh, isb, tlbi) }
    init(_ pt: PageTable) { self.init(pt.counters.dsbIshst, pt.counters.dsbIsh, pt.counters.isb, pt.counters.tlbi) }
    var description: String { "\(dsbIshst) dsb ishst / \(dsbIsh) dsb ish / \(isb) isb / \(tlbi) TLBI" }
}
