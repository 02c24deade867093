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
    func batchSetCountsAsSingleSets(level: Level, lazy: Bool) throws {
        let n = 512, step: UInt64 = 4096
        let (single, a, first) = try setUp(level, lazy: lazy)
        for k in 0..<n { single.set(level, a, k, first.with(outputAddress: first.outputAddress + UInt64(k) * step)) }
        let (batch, b, _) = try setUp(level, lazy: lazy)
        batch.set(level, b, from: 0, count: n, first: first, step: step)

        #expect(batch.counters == single.counters)
        #expect(batch.lazyMMU == single.lazyMMU)
        #expect((0..<n).allSatisfy { a[$0] == b[$0] })
        // Level 0 always emits; otherwise one pair per store eagerly, none (pending) lazily.
        let pairs = level == .pgd || !lazy ? n : 0
        #expect(batch.counters.dsbIshst == pairs && batch.counters.isb == pairs)
        #expect(batch.counters.entriesWritten[level.rawValue] == n && batch.counters.totalEntriesWritten == n)
    }

    @Test func batchOfInvalidPTEsQueuesNothing() throws {
        let (pt, table, first) = try setUp(.pte, lazy: false)
        pt.set(.pte, table, from: 0, count: 16, first: first.clearing(Descriptor.valid), step: 4096)
        #expect(pt.counters.dsbIshst == 0 && pt.counters.isb == 0)
        #expect(pt.counters.entriesWritten == [0, 0, 0, 16])
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
