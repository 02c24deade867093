import Testing
import PageTableModel
import LinearMap
import KernelCallers
import SplitWalkers

/// How the block map held the pool before late init: split_pud + split_pmd (2 tables) in
/// GiBs 1–3, split_pmd alone (1 table) in GiB 0, whose PMDs may carry CONT.
private func tablesToSplit(_ reference: PageTable, _ pool: Range<UInt64>) throws -> Int {
    try #require(reference.translate(pool.lowerBound)).level == .pud ? 2 : 1
}

@Test func poolPlacementIsSeededAlignedAndBlockMapped() throws {
    let layout = try singleLayout()
    let pt = try buildMap(layout)
    let alias = layout.kernelAliasVA
    var levels = Set<Level>()
    for seed in 0..<16 as Range<UInt64> {
        let pool = try #require(Kfence.placeLatePool(in: pt, layout: layout, seed: seed))
        #expect(pool == Kfence.placeLatePool(in: pt, layout: layout, seed: seed))
        #expect(pool.count == 2 << 20 && pool.lowerBound % (2 << 20) == 0)
        #expect(pool.upperBound <= alias.start || pool.lowerBound >= alias.end)
        let leaf = try #require(pt.translate(pool.lowerBound))
        #expect(leaf.level != .pte)
        levels.insert(leaf.level)
    }
    #expect(levels == [.pud, .pmd], "the seeds cover both kinds of block")
    #expect(pt.counters == Counters(), "placement reads the map through the uncounted oracle")
}

@Test func protectedPagesFollowKfenceInitPool() {
    let pool = pageOffset..<(pageOffset + Kfence.poolSize)
    let pages = Kfence.protectedPages(of: pool)
    #expect(Kfence.poolPages == 512 && Kfence.poolSize == 2 << 20)
    #expect(pages.count == 2 + Kfence.objects)  // pages 0 and 1, then one guard per object
    #expect(pages.prefix(3) == [pool.lowerBound, pool.lowerBound + 4096, pool.lowerBound + 3 * 4096])
    #expect(pages.last == pool.upperBound - 4096)
}

/// Seed 3 puts the pool in a CONT PMD block of GiB 0, seed 11 inside a PUD block.
@Test(arguments: [(3, Level.pmd), (11, .pud)] as [(UInt64, Level)])
func lateInitBothVariants(seed: UInt64, level: Level) throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pool = try #require(Kfence.placeLatePool(in: reference, layout: layout, seed: seed))
    #expect(reference.translate(pool.lowerBound)?.level == level)
    let tables = try tablesToSplit(reference, pool)
    let guards = Kfence.protectedPages(of: pool).count

    let after = try buildMap(layout)
    let a = try Kfence.lateInit(pt: after, pool: pool, variant: .splitPool)
    // W4 in lazy mode: the explicit dsb ishst of each new table and one pair; no TLBI.
    #expect(Barriers(a.split) == explicit(tables) + pairs(1))
    #expect(a.split.splitLockAcquisitions == 1 && a.split.sleepingLockInAtomic == 0)
    #expect(after.allocator.allocated(.kernel) - reference.allocator.allocated(.kernel) == tables)
    // Each guard: W1 returns early in the pool; the invalid PTE store queues nothing; a
    // 1-page flush follows.
    let oneFlush = flushBarriers(pages: 1)
    #expect(Barriers(a.protect) == Barriers(dsbIshst: guards, isb: guards, dsbIsh: guards, tlbiPage: guards))
    #expect(oneFlush == Barriers(dsbIshst: 1, isb: 1, dsbIsh: 1, tlbiPage: 1))
    #expect(a.protect.splitLockAcquisitions == 0)

    let before = try buildMap(layout)
    let b = try Kfence.lateInit(pt: before, pool: pool, variant: .perGuardPage)
    #expect(b.split == Counters())
    // W1 per guard: the first makes the tables (CONT_PTE on); then each of the pool's 32
    // CONT_PTE groups is split by the first guard in it (page 0, then page 16k + 1), one
    // queued pair per such W1 call; the other calls write nothing.
    #expect(Barriers(b.protect) == explicit(tables) + pairs(Kfence.poolPages / 16)
            + Barriers(dsbIshst: guards, isb: guards, dsbIsh: guards, tlbiPage: guards))
    #expect(b.protect.splitLockAcquisitions == guards)

    for pt in [after, before] {
        #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
        #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: pool.lowerBound) == nil)
        #expect(reference.firstMismatch(with: pt, from: pool.upperBound, to: layout.linearEnd) == nil)
        for i in 0..<Kfence.poolPages {
            let va = pool.lowerBound + UInt64(i) * 4096
            let guarded = i == 0 || i % 2 == 1
            #expect((pt.translate(va) == nil) == guarded)
            if !guarded { #expect(reference.firstMismatch(with: pt, from: va, to: va + 4096) == nil) }
        }
    }
    // Only the split variant leaves every pool page a plain PTE.
    #expect(after.leaves(from: pool.lowerBound, to: pool.upperBound).allSatisfy { $0.level == .pte && !$0.descriptor.isCont })
}

@Test func lateInitENOMEM() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pt = try buildMap(layout)
    let pool = try #require(Kfence.placeLatePool(in: pt, layout: layout, seed: 3))
    pt.allocator.failure = .after(pt.allocator.pagesAllocated)
    #expect(throws: KernelError.enomem) { try Kfence.lateInit(pt: pt, pool: pool, variant: .splitPool) }
    #expect(pt.verify(linearOffset: layout.linearOffset).isEmpty)
    #expect(reference.firstMismatch(with: pt, from: layout.linearStart, to: layout.linearEnd) == nil)
}

/// arch_kfence_init_pool's early exit, v6.18 (ce2b3a50ad92) vs b7737c38e7cb: the same on
/// every context a late pool can have (BBML2_NOABORT without force_pte_mapping splits,
/// force_pte_mapping skips); only the context the kernel rules out, neither BBML2_NOABORT
/// nor force_pte_mapping, tells them apart: v6.18 skips, b7737c38e7cb splits.
@Test func kfenceInitCheckGenerations() throws {
    let layout = try singleLayout()
    let reference = try buildMap(layout)
    let pool = try #require(Kfence.placeLatePool(in: reference, layout: layout, seed: 11))
    let tables = try tablesToSplit(reference, pool)
    for (bbml2, forcePTE, v6_18, b7737) in [(true, false, true, true), (false, true, false, false),
                                            (true, true, false, false), (false, false, false, true)] {
        for (check, splits) in [(KfenceInitCheck.v6_18, v6_18), (.b7737c38e7cb, b7737)] {
            var context = KernelContext()
            (context.bbml2, context.forcePTEMapping, context.kfenceInitCheck) = (bbml2, forcePTE, check)
            #expect(Kfence.splitsPool(context) == splits)
            let pt = try buildMap(layout)
            let phases = try Kfence.lateInit(pt: pt, pool: pool, variant: .splitPool, protectGuards: false, context: context)
            #expect(phases.split.splitLockAcquisitions == (splits ? 1 : 0))
            #expect(pt.allocator.allocated(.kernel) - reference.allocator.allocated(.kernel) == (splits ? tables : 0))
            #expect(splits || phases.split == Counters(), "an early exit touches nothing")
        }
    }
}
