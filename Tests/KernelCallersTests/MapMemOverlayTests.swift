import Testing
import PageTableModel
import LinearMap
import SplitWalkers
import KernelCallers

/// The overlay map_mem (Ard Biesheuvel's data/bss series) against the classic one, on the
/// 'single' 4 GiB layout: offsets below are from memstart (PA 0x4000_0000). The text alias
/// [_text, __init_begin) is [2M, 0x211_0000); the data/bss alias [__init_end, __bss_stop)
/// is [0x2a8_0000, 0x2f3_0000) (__init_begin + 0x97_0000, + 0x4b_0000); the early kfence
/// pool [4G - 2M - 64K, 4G - 64K).
@Suite struct MapMemOverlayTests {
    static func histogram(_ pud: Int, _ pmd: Int, _ pmdCont: Int, _ pte: Int, _ pteCont: Int) -> LeafHistogram {
        var h = LeafHistogram()
        (h.pud, h.pmd, h.pmdCont, h.pte, h.pteCont) = (pud, pmd, pmdCont, pte, pteCont)
        (h.contPMDGroups, h.contPTEGroups) = (pmdCont / 16, pteCont / 16)
        return h
    }

    static func boot(_ variant: MapMemVariant, _ mode: MappingMode = .block, kfence: Bool = false,
                     stage: BootStage = .full) throws -> (PageTable, MachineLayout) {
        let layout = try MachineLayout.builtin("single", memory: 4 * GiB, earlyKfence: kfence)
        let pt = try PageTable()
        var c = KernelContext()
        c.forcePTEMapping = mode == .pte
        c.mapMem = variant
        c.kfencePool = layout.kfencePool.map { layout.va(ofPA: $0.start)..<layout.va(ofPA: $0.end) }
        try LinearMapBuilder(layout: layout, mode: mode, variant: variant).boot(into: pt, through: stage, context: c)
        return (pt, layout)
    }

    @Test func defaultLayoutSymbols() throws {
        let layout = try MachineLayout.builtin("single", memory: 4 * GiB)
        #expect(layout.kernelImage == PhysRange(start: 0x4020_0000, size: 0x1F1_0000))
        #expect(layout.dataAlias == PhysRange(start: 0x42A8_0000, size: 0x4B_0000))
    }

    /// Classic: the pieces [0, 2M) and [0x211_0000, 4G) with blocks and CONT, the alias with
    /// blocks only. [0, 2M): 1 block. Alias: 15 blocks [2M, 32M), 272 PTEs [32M, 0x211_0000).
    /// Second piece: 240 CONT PTEs to 34M; 15 blocks [34M, 64M), whose 32M group it does not
    /// cover whole; 30 CONT groups [64M, 1G) = 480 CONT PMDs; 3 PUD blocks. Tables: one each
    /// of PUD and PMD, one PTE table (at 32M).
    /// Overlay: the alias first, with CONT: 15 blocks, 17 CONT groups (272 PTEs). Data/bss:
    /// 24 CONT groups [42.5M, 44M), a block at 44M, 19 CONT groups [46M, 0x2f3_0000). The
    /// banks: [0, 1G) holds a table, so 3 PUD blocks; the groups [0, 32M) and [32M, 64M)
    /// hold non-CONT blocks and tables, so their blocks stay non-CONT: 0, 34-40M, 48-62M
    /// are new (1 + 4 + 8) beside the 15 + 1 there; [64M, 1G) 480 CONT PMDs. The three PTE
    /// tables (32M, 42M, 46M) fill up with CONT groups around the CONT groups already
    /// there: 3 × 512 CONT PTEs. Tables: PUD, PMD, 3 PTE.
    @Test func fourGiBBlockMapped() throws {
        let (classic, _) = try Self.boot(.classic)
        #expect(classic.leafHistogram() == Self.histogram(3, 31, 480, 272, 240))
        #expect(classic.allocator.tableBytes == 3 * 4096)
        for variant in [MapMemVariant.overlay, .overlayUnmap] {
            let (mapMem, _) = try Self.boot(variant, stage: .mapMem)
            #expect(mapMem.leafHistogram() == Self.histogram(3, 29, 480, 0, 1536))
            #expect(mapMem.allocator.tableBytes == 5 * 4096)
        }
        // The remaps keep every leaf: update_mapping_prot may now set CONT, and the
        // groups it covers hold no non-CONT entry.
        let (overlay, layout) = try Self.boot(.overlay)
        #expect(overlay.leafHistogram() == Self.histogram(3, 29, 480, 0, 1536))
        let data = layout.va(ofPA: layout.dataAlias.start)
        #expect(overlay.translate(data).map { $0.attributes & Descriptor.rdonly != 0 } == true)
        #expect(overlay.translate(data)?.cont == true)
        // Unmapped: no split (both ends are leaf edges), the data/bss leaves go invalid:
        // 688 CONT PTEs and the block at 44M.
        let (unmapped, _) = try Self.boot(.overlayUnmap)
        #expect(unmapped.leafHistogram() == Self.histogram(3, 28, 480, 0, 1536 - 688))
        #expect(unmapped.allocator.tableBytes == 5 * 4096)
        #expect(unmapped.translate(data) == nil)
        #expect(unmapped.translate(data - 4096) != nil)
        #expect(unmapped.translate(layout.va(ofPA: layout.dataAlias.end)) != nil)
    }

    /// With the early kfence pool [0xffdf_0000, 0xffff_0000): classic maps the pieces around
    /// it, the overlay maps it first. Classic: [3G, 4G) has 31 CONT groups (496), then 14
    /// blocks [4G - 32M, 4G - 4M), 496 CONT PTEs to the pool, the pool's 512 PTEs, 16 CONT
    /// PTEs after it; 2 PUD blocks. Tables: PUD, 2 PMD, 3 PTE.
    /// Overlay: as the 4 GiB case below 3G; in [3G, 4G) the last 32M group holds the pool's
    /// two PTE tables, so its 14 blocks lose CONT just as in classic; the PTE tables keep
    /// the pool's 512 PTEs non-CONT and fill the rest (31 + 1 groups) with CONT.
    @Test func fourGiBWithEarlyKfencePool() throws {
        let (classic, _) = try Self.boot(.classic, kfence: true)
        #expect(classic.leafHistogram() == Self.histogram(2, 45, 976, 784, 752))
        #expect(classic.allocator.tableBytes == 6 * 4096)
        let (overlay, _) = try Self.boot(.overlay, kfence: true)
        #expect(overlay.leafHistogram() == Self.histogram(2, 43, 976, 512, 2048))
        #expect(overlay.allocator.tableBytes == 8 * 4096)
        let (unmapped, _) = try Self.boot(.overlayUnmap, kfence: true)
        #expect(unmapped.leafHistogram() == Self.histogram(2, 42, 976, 512, 2048 - 688))
    }

    /// force_pte_mapping: the overlay maps the alias with the linear map's flags too, so
    /// nothing is a block; classic keeps the alias's 15 blocks. 4G / 4K = 1,048,576 pages;
    /// 2048 PTE tables, 4 PMD tables, 1 PUD table, less the 15 the classic alias's blocks
    /// spare.
    @Test func fourGiBPTEMapped() throws {
        let (classic, _) = try Self.boot(.classic, .pte)
        #expect(classic.leafHistogram() == Self.histogram(0, 15, 0, 1_048_576 - 15 * 512, 0))
        #expect(classic.allocator.tableBytes == (1 + 4 + 2048 - 15) * 4096)
        let (overlay, _) = try Self.boot(.overlay, .pte)
        #expect(overlay.leafHistogram() == Self.histogram(0, 0, 0, 1_048_576, 0))
        #expect(overlay.allocator.tableBytes == (1 + 4 + 2048) * 4096)
    }
}
