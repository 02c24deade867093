import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import Testing

/// Hand-derived counts for a realm guest's early set_memory_decrypted calls on the 4 GiB
/// 'single' layout, block-mapped: [0, 1G) is a PUD table (the kernel image), [1G, 4G)
/// three 1 GiB PUD blocks. swiotlb (64M) sits top-down below PA 4 GiB, i.e. at VA
/// [+3G-64M, +3G): 32 CONT PMD blocks once the PUD block [2G, 3G) is split; one ITS table
/// at +1G+64K, inside the PUD block [1G, 2G). Lazy MMU on, no FEAT_TLBIRANGE.
@Suite struct RealmBootTests {
    static let swiotlb = (pageOffset + 3 * GiB - 64 * MiB)..<(pageOffset + 3 * GiB)
    static let its = (pageOffset + GiB + 64 * KiB)..<(pageOffset + GiB + 128 * KiB)
    static let buffers = RealmBoot.Buffers(swiotlb: swiotlb, its: [its])

    /// The map after the calls, their outcome, and the tables they allocated.
    func boot(_ configure: (inout KernelContext) -> Void) throws -> (PageTable, RealmBoot.Outcome, Int) {
        let layout = try singleLayout()
        let pt = try buildMap(layout)
        let tables = pt.allocator.pagesAllocated
        let done = RealmBoot(pt: pt, layout: layout, context: context(configure)).run(Self.buffers)
        return (pt, done, pt.allocator.pagesAllocated - tables)
    }

    @Test func swiotlbLandsBelowFourGiBAndITSTablesApart() throws {
        let layout = try singleLayout()
        let b = try RealmBoot.place(in: layout, swiotlbBytes: 64 * MiB, itsBytes: 256 * KiB, seed: 1)
        #expect(b.swiotlb == Self.swiotlb)
        #expect(b.its.count == 4)
        #expect(Set(b.its.map(\.lowerBound)).count == 4)
        for t in b.its {
            #expect(t.count == 64 * KiB && t.lowerBound % (64 * KiB) == 0 && !t.overlaps(Self.swiotlb))
        }
        #expect(try RealmBoot.place(in: layout, swiotlbBytes: 64 * MiB, itsBytes: 256 * KiB, seed: 1) == b)
    }

    /// f12b435de2f2 with present-invalid leaves: both calls split (page allocator up, one
    /// CPU: no window). swiotlb: split_pud (1 table, its dsb, the lazy section's one emit),
    /// 32 PMD blocks made invalid (no barrier), flush_tlb_all; then made valid (one emit,
    /// no flush). ITS: split_pud, split_contpmd, split_pmd (2 tables, 2 dsb, one emit),
    /// 16 PTEs invalid, a 16-page flush; then valid (one emit, no flush).
    @Test func presentInvalidBothPassesOnABlockMap() throws {
        let (pt, done, tables) = try boot { $0.leafSplit = .f12b435de2f2; $0.presentInvalid = true }
        #expect(done.calls == 2 && done.failed == 0)
        #expect(Barriers(pt.counters) == Barriers(dsbIshst: 4 + 5, isb: 3 + 3, dsbIsh: 2, tlbiPage: 16, tlbiAll: 1))
        #expect(tables == 3)
        #expect(pt.counters.warnings == 0 && pt.counters.ebusyReturns == 0)
        // Shared: the same page at its NS-shared IPA alias.
        let pa = Self.swiotlb.lowerBound - pageOffset + 0x4000_0000
        #expect(pt.translate(Self.swiotlb.lowerBound)?.pa == pa | Descriptor.nsShared)
        #expect(pt.translate(Self.its.lowerBound) != nil)
    }

    /// Without present-invalid (f12b435de2f2 alone, as in the 15bfba1ad77f report): pageattr
    /// takes only valid blocks, so the second pass skips the 32 invalid swiotlb blocks (no
    /// emit) and they stay invalid; the ITS table's PTEs are rewritten either way.
    @Test func withoutPresentInvalidTheSwiotlbBlocksStayInvalid() throws {
        let (pt, done, tables) = try boot { $0.leafSplit = .f12b435de2f2 }
        #expect(done.calls == 2 && done.failed == 0)
        #expect(Barriers(pt.counters) == Barriers(dsbIshst: 3 + 5, isb: 2 + 3, dsbIsh: 2, tlbiPage: 16, tlbiAll: 1))
        #expect(tables == 3)
        #expect(pt.translate(Self.swiotlb.lowerBound) == nil)
        #expect(pt.translate(Self.swiotlb.upperBound - 4096) == nil)
        #expect(pt.translate(Self.its.lowerBound) != nil)
    }

    /// v6.18: swiotlb is shared in arch_mm_preinit and W1 returns 0 before the capabilities
    /// are final, so pageattr meets a partly covered PUD block each time: WARN, EINVAL, the
    /// flush still runs (flush_tlb_all for 64M, 16 TLBIs for 64K), no second pass, and
    /// realm_set_memory_decrypted WARNs: 2 WARNs per call.
    @Test func v618FailsOnEveryBlockMappedBuffer() throws {
        let (pt, done, tables) = try boot { $0.leafSplit = .v6_18 }
        #expect(done.calls == 2 && done.failed == 2)
        #expect(Barriers(pt.counters) == Barriers(dsbIshst: 2, isb: 2, dsbIsh: 2, tlbiPage: 16, tlbiAll: 1))
        #expect(tables == 0)
        #expect(pt.counters.warnings == 4 && pt.counters.ebusyReturns == 0)
    }

    /// A PTE-mapped realm (no BBML2 on the boot CPU: force_pte_mapping()): nothing to split,
    /// no window applies; per call one flush pair and one emit for the second pass.
    @Test func pteMappedRealmNeverSplits() throws {
        let layout = try singleLayout()
        let pt = try buildMap(layout, mode: .pte)
        let tables = pt.allocator.pagesAllocated
        let done = RealmBoot(pt: pt, layout: layout, context: context { $0.leafSplit = .f12b435de2f2; $0.forcePTEMapping = true })
            .run(Self.buffers)
        #expect(done.calls == 2 && done.failed == 0)
        #expect(Barriers(pt.counters) == Barriers(dsbIshst: 4, isb: 4, dsbIsh: 2, tlbiPage: 16, tlbiAll: 1))
        #expect(pt.allocator.pagesAllocated == tables && pt.counters.warnings == 0)
    }

    /// A mixed system: the same early splits (the windows do not depend on the system
    /// capability, which is unknown until finalization), then smp_cpus_done()'s repaint
    /// leaves no block outside the kernel alias.
    @Test func mixedSystemSplitsEarlyThenIsRepainted() throws {
        let (pt, done, _) = try boot { $0.leafSplit = .f12b435de2f2; $0.presentInvalid = true; $0.systemBBML2 = false }
        #expect(done.calls == 2 && done.failed == 0)
        #expect(pt.counters.warnings == 0 && pt.counters.ebusyReturns == 0)
        #expect(pt.counters.tlbiAll == 2)  // the swiotlb flush and the repaint's
        #expect(pt.leafHistogram().pud == 0)
    }
}

/// split_kernel_leaf_mapping's boot windows (f12b435de2f2), one page in the PUD block at
/// +1G of a block-mapped 4 GiB map, through set_memory_valid(enable: false).
@Suite struct LeafSplitBootWindowTests {
    /// The map after the call, and the tables the call allocated.
    func invalidate(_ phase: BootPhase, systemBBML2: Bool = true, pte: Bool = false) throws -> (PageTable, Int) {
        let layout = try singleLayout()
        let pt = try buildMap(layout, mode: pte ? .pte : .block)
        let tables = pt.allocator.pagesAllocated
        let perms = Permissions(pt: pt, context: context {
            $0.leafSplit = .f12b435de2f2
            $0.bootPhase = phase
            $0.systemBBML2 = systemBBML2
            $0.forcePTEMapping = pte
        })
        _ = try? perms.setMemoryValid(pageOffset + GiB + 4096, pages: 1, enable: false)
        return (pt, pt.allocator.pagesAllocated - tables)
    }

    /// Before the page allocator and while secondaries are coming up: WARN, -EBUSY, and
    /// update_range_prot WARNs and skips its walk; the one-page flush still runs. This holds
    /// with the system capability too: system_supports_bbml2_noabort() is false until the
    /// capabilities are finalized.
    @Test(arguments: [BootPhase.archMMPreinit, .bringingUpSMP(cpus: 2)])
    func windowsRefuseWithEBUSY(_ phase: BootPhase) throws {
        for system in [true, false] {
            let (pt, tables) = try invalidate(phase, systemBBML2: system)
            #expect(pt.counters.ebusyReturns == 1 && pt.counters.warnings == 2)
            #expect(tables == 0 && pt.counters.splitLockAcquisitions == 0)
            #expect(Barriers(pt.counters) == Barriers(dsbIshst: 1, isb: 1, dsbIsh: 1, tlbiPage: 1))
            #expect(pt.translate(pageOffset + GiB + 4096) != nil)
        }
    }

    /// Before SMP with the page allocator up, any system splits: split_pud and
    /// split_contpmd and split_pmd (2 tables).
    @Test func beforeSMPSplits() throws {
        let (pt, tables) = try invalidate(.beforeSMP, systemBBML2: false)
        #expect(pt.counters.ebusyReturns == 0 && pt.counters.warnings == 0)
        #expect(tables == 2)
        #expect(pt.translate(pageOffset + GiB + 4096) == nil && pt.translate(pageOffset + GiB) != nil)
    }

    /// Capabilities final: with the system capability W1 splits; without it W1 returns 0
    /// and pageattr WARNs on the block it would have to split (EINVAL).
    @Test func afterFinalization() throws {
        let (split, splitTables) = try invalidate(.running)
        #expect(splitTables == 2 && split.counters.warnings == 0)
        let (refused, refusedTables) = try invalidate(.running, systemBBML2: false)
        #expect(refusedTables == 0 && refused.counters.warnings == 1 && refused.counters.ebusyReturns == 0)
        #expect(refused.translate(pageOffset + GiB + 4096) != nil)
    }

    /// A PTE-mapped map (linear_map_requires_bbml2 false) returns 0 in every phase: no WARN.
    @Test func pteMappedNeverWarns() throws {
        let (pt, _) = try invalidate(.archMMPreinit, pte: true)
        #expect(pt.counters.warnings == 0 && pt.counters.ebusyReturns == 0)
        #expect(pt.translate(pageOffset + GiB + 4096) == nil)
    }
}

/// 15bfba1ad77f: set_memory_valid's masks, and splitting an invalid block.
@Suite struct PresentInvalidTests {
    /// [+1G, +1G+2M) made invalid (W1 splits the PUD block and the CONT group; one plain
    /// PMD block is left), then one page in it made valid again.
    func reviveOnePage(presentInvalid: Bool, kpti: Bool = false) throws -> (PageTable, Counters) {
        let layout = try singleLayout()
        let pt = try buildMap(layout)
        let perms = Permissions(pt: pt, context: context { $0.presentInvalid = presentInvalid; $0.ngMappings = kpti })
        try perms.setMemoryValid(pageOffset + GiB, pages: 512, enable: false)
        let before = pt.counters
        try perms.setMemoryValid(pageOffset + GiB + 4096, pages: 1, enable: true)
        return (pt, pt.counters.since(before))
    }

    /// The invalid block is split like a valid one (a PTE table of present-invalid CONT
    /// pages, then that CONT group split): only the page asked for becomes valid, and the
    /// exact make-valid masks skip the TLBI.
    @Test func invalidBlockSplitsIntoInvalidChildren() throws {
        let (pt, d) = try reviveOnePage(presentInvalid: true)
        #expect(pt.translate(pageOffset + GiB + 4096) != nil)
        #expect(pt.translate(pageOffset + GiB) == nil && pt.translate(pageOffset + GiB + 8192) == nil)
        #expect(d.tlbi == 0 && d.dsbIsh == 0)
        let pmd = TablePage(TablePage(pt.root[0])[1])
        let pte = TablePage(pmd[0])
        #expect(!pte[0].isValid && pte[0].raw & Descriptor.presentInvalid != 0 && !pte[0].isCont)
        #expect(!pte[16].isValid && pte[16].isCont && pte[16].raw & Descriptor.presentInvalid != 0)
        // Without KPTI PTE_MAYBE_NG is 0: the revived page has no nG.
        #expect(pte[1].isValid && pte[1].raw & Descriptor.nG == 0)
    }

    /// Under KPTI PTE_MAYBE_NG is nG: make-valid clears PRESENT_INVALID, then sets it back
    /// as nG (clear first, then set).
    @Test func kptiKeepsNGOnTheRevivedPage() throws {
        let (pt, _) = try reviveOnePage(presentInvalid: true, kpti: true)
        let pte = TablePage(TablePage(TablePage(pt.root[0])[1])[0])
        #expect(pte[1].isValid && pte[1].raw & Descriptor.nG != 0)
    }

    /// Before it, the invalid block is not present: W1 stops there, pageattr skips it, and
    /// the page stays invalid with no table allocated.
    @Test func beforePresentInvalidTheBlockIsSkipped() throws {
        let (pt, d) = try reviveOnePage(presentInvalid: false)
        #expect(pt.translate(pageOffset + GiB + 4096) == nil)
        #expect(d.pmdWritten == 0 && d.pteWritten == 0 && d.tlbi == 0)
        let pmd = TablePage(TablePage(pt.root[0])[1])[0]
        #expect(!pmd.isValid && !pmd.isTable && pmd.raw & Descriptor.presentInvalid == 0)
    }
}

/// __set_memory_enc_dec's masks on a PTE-mapped realm, one page.
@Suite struct SetMemoryEncDecTests {
    /// Decrypt sets PROT_NS_SHARED, encrypt clears it; the first pass flushes (one page),
    /// the second does not. An address outside the linear map is EINVAL, and the realm
    /// wrapper WARNs.
    @Test func sharedBitAndFlushes() throws {
        let layout = try singleLayout()
        let pt = try buildMap(layout, mode: .pte)
        let perms = Permissions(pt: pt, context: context { $0.forcePTEMapping = true; $0.presentInvalid = true })
        let va = pageOffset + GiB
        try perms.setMemoryDecrypted(va, pages: 1)
        #expect(pt.translate(va)!.pa & Descriptor.nsShared != 0)
        #expect(Barriers(pt.counters) == flushBarriers(pages: 1) + pairs(1))
        try perms.setMemoryEncrypted(va, pages: 1)
        #expect(pt.translate(va)!.pa & Descriptor.nsShared == 0)
        #expect(pt.counters.warnings == 0)
        #expect(throws: KernelError.einval) { try perms.setMemoryDecrypted(0xffff_8000_0000_0000, pages: 1) }
        #expect(pt.counters.warnings == 1)
    }
}
