import Testing
import PageTableModel

/// The batch primitives the hot paths use stand for a run of single primitives: same
/// stores, same counts (spec §3: each normal write queues), same lazy state, same TLBIs.
@Suite struct BatchPrimitiveTests {
    static let levels: [Level] = [.pgd, .pud, .pmd, .pte]

    /// A fresh table and the value a split would write at `level` for the first entry.
    private func setUp(_ level: Level, lazy: Bool) throws -> (PageTable, TablePage, Descriptor) {
        let pt = try PageTable()
        if lazy { pt.lazyMMUEnable() }
        let first = (level == .pte ? Prot.kernel : Prot.kernel.asBlock).with(outputAddress: 0x4000_0000)
        return (pt, pt.allocateTable(.pte, .kernel)!, first)
    }

    @Test(arguments: levels, [false, true])
    func setAllCountsAsSingleSets(level: Level, lazy: Bool) throws {
        let n = 512, step: UInt64 = 4096
        let (single, a, first) = try setUp(level, lazy: lazy)
        for k in 0..<n { single.set(level, a, k, first.with(outputAddress: first.outputAddress + UInt64(k) * step)) }
        let (batch, b, _) = try setUp(level, lazy: lazy)
        batch.setAll(level, b, first: first, step: step, fill: .cached)

        #expect(batch.counters == single.counters)
        #expect(batch.lazyMMU == single.lazyMMU)
        #expect((0..<n).allSatisfy { a[$0] == b[$0] })
        // Level 0 always emits; otherwise one pair per store eagerly, none (pending) lazily.
        let pairs = level == .pgd || !lazy ? n : 0
        #expect(batch.counters.dsbIshst == pairs && batch.counters.isb == pairs)
        #expect(batch.counters.entriesWritten[level.rawValue] == n && batch.counters.totalEntriesWritten == n)
    }

    /// Streaming stores are a host choice: the same entries, the same counts.
    @Test(arguments: levels)
    func streamedFillMatchesCached(level: Level) throws {
        let (cached, a, first) = try setUp(level, lazy: false)
        cached.setAll(level, a, first: first, step: 1 << 21, fill: .cached)
        let (streamed, b, _) = try setUp(level, lazy: false)
        streamed.setAll(level, b, first: first, step: 1 << 21, fill: .streamed)
        #expect((0..<512).allSatisfy { a[$0] == b[$0] } && a[511].outputAddress == first.outputAddress + 511 << 21)
        #expect(streamed.counters == cached.counters)
    }

    @Test func batchOfInvalidPTEsQueuesNothing() throws {
        let (pt, table, first) = try setUp(.pte, lazy: false)
        pt.setAll(.pte, table, first: first.clearing(Descriptor.valid), step: 4096, fill: .streamed)
        #expect(pt.counters.dsbIshst == 0 && pt.counters.isb == 0)
        #expect(pt.counters.entriesWritten == [0, 0, 0, 512])
    }

    /// updatePTEs stands for a read and a writePTE of each entry, absent ones included
    /// (pageattr_pte_entry stores `(old & ~clear) | set` into a pte_none entry too); only
    /// valid kernel results queue a barrier.
    static let changes: [ProtMasks] = [ProtMasks(set: Descriptor.rdonly, clear: Descriptor.write),
                                        ProtMasks(set: 0, clear: Descriptor.valid)]
    struct ProtMasks: Sendable { let set: UInt64, clear: UInt64 }

    @Test(arguments: [false, true], changes)
    func updatePTEsCountsAsReadsAndWrites(lazy: Bool, masks: ProtMasks) throws {
        func table(_ pt: PageTable) -> TablePage {
            let t = pt.allocateTable(.pte, .kernel)!
            for k in 0..<512 {
                let page = Prot.kernel.with(outputAddress: UInt64(k) << 12)
                t[k] = k % 5 == 0 ? Descriptor(raw: 0) : k % 7 == 0 ? page.clearing(Descriptor.valid) : page
            }
            return t
        }
        let (single, _, _) = try setUp(.pte, lazy: lazy)
        let a = table(single)
        for k in 100..<400 {
            let old = single.read(a, k)
            single.writePTE(a, k, Descriptor(raw: (old.raw & ~masks.clear) | masks.set))
        }
        let (batch, _, _) = try setUp(.pte, lazy: lazy)
        let b = table(batch)
        batch.updatePTEs(b, from: 100, count: 300, set: masks.set, clear: masks.clear)

        #expect(batch.counters == single.counters && batch.lazyMMU == single.lazyMMU)
        #expect((0..<512).allSatisfy { a[$0] == b[$0] })
        #expect(batch.counters.entriesVisited == 300 && batch.counters.pteWritten == 300)
        #expect(b[100].raw == masks.set && !b[100].isValid && b[398].raw == (Prot.kernel.with(outputAddress: 398 << 12).raw & ~masks.clear) | masks.set)
    }

    @Test func tlbiPagesCountsAndObservesEachPage() throws {
        let pt = try PageTable()
        var seen: [TLBInvalidation] = []
        pt.tlbObserver = { seen.append($0) }
        pt.tlbiPages(from: 0xffff_0000_0000_0000, count: 3, pageSize: 4096)
        #expect(pt.counters.tlbiPage == 3 && pt.counters.tlbi == 3)
        #expect(seen == (0..<3).map { .page(va: 0xffff_0000_0000_0000 + UInt64($0) * 4096) })
    }
}
