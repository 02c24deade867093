import Testing
import PageTableModel
import LinearMap
import KernelCallers

/// What the repaint of the 4 GiB 'single' block map must split, read off spec §5's create
/// path for this layout (kernel image [2 MiB, 2 MiB + 0x1F1_0000) = [0x20_0000, 0x211_0000)):
/// - [0, 2 MiB): one PMD block, no CONT (its 32 MiB chunk is not covered whole);
/// - [2, 4) MiB: the alias's first PMD block, which holds [_text, _stext) (_stext = _text +
///   64 KiB): the repaint keeps only [lm_alias(_stext), lm_alias(__init_begin)), so it is split;
/// - [0x211_0000, 0x220_0000): 240 CONT PTEs = 15 groups (the chunk is 64 KiB aligned);
/// - [0x220_0000, 64 MiB): 15 PMD blocks, no CONT (chunk [32, 64) MiB not covered whole);
/// - [64 MiB, 1 GiB): 480 CONT PMD blocks = 30 groups;
/// - [1, 4) GiB: 3 PUD blocks = 3 · 512 PMD blocks after split_pud.
private enum Single4G {
    static let splitPMDs = 1 + 1 + 15 + 480 + 3 * 512
    static let splitPUDs = 3
    static let contPTEGroups = 15
    static let contPMDGroups = 30
    /// Valid entries written: 512 + the populate per split_pmd/split_pud, 16 per CONT group.
    static let validWrites = (splitPMDs + splitPUDs) * (512 + 1) + 16 * (contPTEGroups + contPMDGroups)
    /// The kernel alias keeps 14 PMD blocks [4, 32) MiB; everything else is 4 KiB pages.
    static let finalPTEs = Int((4 * GiB - 14 * 2 * MiB) / (4 * KiB))
}

private func expectRepainted(_ pt: PageTable, _ reference: PageTable, _ layout: MachineLayout, ptes: Int) {
    let h = pt.leafHistogram()
    #expect(h.pud == 0 && h.pmd == 14 && h.pmdCont == 0 && h.pteCont == 0 && h.pte == ptes, "\(h)")
    let alias = layout.kernelAliasVA, text = layout.textAliasVA
    #expect(text.start == alias.start + 64 * KiB)
    #expect(pt.translate(alias.start)?.level == .pte && pt.translate(text.start)?.level == .pte)
    #expect(pt.translate(alias.start + 2 * MiB)?.level == .pmd)
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    #expect(reference.firstMismatch(with: pt, from: LinearMapRange.start, to: layout.linearEnd) == nil)
}

@Test(arguments: [true, false])
func pagewalkRepaintOfABlockMap(lazy: Bool) throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    try Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk, context: context { $0.lazyMMU = lazy })

    let splits = Single4G.splitPMDs + Single4G.splitPUDs
    // The whole linear map is 2^20 pages ≥ MAX_DVM_OPS: flush_tlb_all.
    let flushAll = flushBarriers(pages: 1 << 20)
    #expect(flushAll.tlbiAll == 1)
    // Lazy: one pair per range walked (two ranges); else one per valid entry written.
    let emitted = lazy ? 2 : Single4G.validWrites
    #expect(Barriers(pt.counters) == pairs(emitted) + explicit(splits) + flushAll)
    #expect(pt.allocator.allocated(.atomic) == splits && pt.allocator.allocated(.kernel) == reference.allocator.allocated(.kernel))
    #expect(pt.allocator.allocated(.pte) - reference.allocator.allocated(.pte) == Single4G.splitPMDs)
    #expect(pt.allocator.allocated(.pmd) - reference.allocator.allocated(.pmd) == Single4G.splitPUDs)
    expectRepainted(pt, reference, layout, ptes: Single4G.finalPTEs)
}

@Test func yangV5RepaintOfABlockMap() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    try Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .yangV5)
    // Two pieces around [_stext, __init_begin): [0, 2 MiB + 64 KiB) (528 pages) and the
    // rest: each walk leaves lazy mode once and flushes everything (≥ 512 pages without
    // range ops).
    let splits = Single4G.splitPMDs + Single4G.splitPUDs
    #expect(Barriers(pt.counters) == pairs(2) + explicit(splits) + flushBarriers(pages: 528) + flushBarriers(pages: 1 << 20))
    #expect(pt.counters.splitLockAcquisitions == 2)
    #expect(pt.allocator.allocated(.atomic) == splits)
    expectRepainted(pt, reference, layout, ptes: Single4G.finalPTEs)
}

@Test func pagewalkRepaintWalksTheHoleBetweenBanks() throws {
    // numa2, 8 GiB: banks of 4 GiB at PA 2 GiB and 1 TiB + 2 GiB; memstart = 2 GiB, so
    // bank 1 sits 1 TiB above bank 0 in the linear map. Bank 1 is 4 PUD blocks.
    let layout = try MachineLayout.builtin("numa2", memory: 8 * GiB)
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    try Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk)
    let splits = Single4G.splitPMDs + Single4G.splitPUDs + 4 * 512 + 4
    // Still two ranges, the second spanning the hole; 2^21 + 2^20 pages → flush_tlb_all.
    #expect(Barriers(pt.counters) == pairs(2) + explicit(splits) + flushBarriers(pages: 3 << 20))
    expectRepainted(pt, reference, layout, ptes: Single4G.finalPTEs + Int(4 * GiB / (4 * KiB)))
}

@Test func repaintENOMEMLeavesAConsistentMap() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    pt.allocator.failure = .after(pt.allocator.pagesAllocated + 100)
    #expect(throws: KernelError.enomem) {
        try Repaint.linearMapSplitToPTEs(pt: pt, layout: layout, variant: .pagewalk)
    }
    #expect(pt.allocator.allocated(.atomic) == 100)
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    #expect(reference.firstMismatch(with: pt, from: LinearMapRange.start, to: layout.linearEnd) == nil)
    // The kernel panics here; the simulator reports the error and does not flush.
    #expect(pt.counters.tlbi == 0)
}
