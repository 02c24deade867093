import Testing
import PageTableModel

/// Every primitive's barrier rule from spec §3, in and out of lazy mode.
@Suite struct PrimitiveTests {
    let pt: PageTable
    let table: TablePage
    init() throws {
        pt = try PageTable()
        table = pt.allocateTable(.pte, .kernel)!
    }

    private func pairs(_ c: Counters) -> (Int, Int) { (c.dsbIshst, c.isb) }

    @Test func nosyncWriteEmitsNothing() {
        pt.writePTENosync(table, 0, Prot.kernel)
        #expect(pairs(pt.counters) == (0, 0))
        #expect(pt.counters.entriesWritten == [0, 0, 0, 1])
    }

    @Test func normalPTEWriteEmitsOnlyForValidKernel() {
        pt.writePTE(table, 0, Prot.kernel)
        #expect(pairs(pt.counters) == (1, 1))
        pt.writePTE(table, 1, .zero)
        pt.writePTE(table, 2, Prot.kernel.clearing(Descriptor.valid))
        pt.writePTE(table, 3, Prot.kernel.setting(Descriptor.user))
        #expect(pairs(pt.counters) == (1, 1))
        #expect(pt.counters.entriesWritten[3] == 4)
    }

    @Test func lazyModeQueuesThenLeaveEmitsOnce() {
        pt.lazyMMUEnable()
        for i in 0..<10 { pt.writePTE(table, i, Prot.kernel) }
        pt.setPMD(table, 20, Prot.kernel.asBlock)
        #expect(pairs(pt.counters) == (0, 0))
        #expect(pt.lazyMMU.pending)
        pt.lazyMMUDisable()
        #expect(pairs(pt.counters) == (1, 1))
        #expect(!pt.lazyMMU.pending && !pt.lazyMMU.lazy)
    }

    @Test func leaveWithoutPendingEmitsNothing() {
        pt.lazyMMUEnable()
        pt.writePTE(table, 0, .zero)
        pt.lazyMMUDisable()
        #expect(pairs(pt.counters) == (0, 0))
    }

    @Test func flushEmitsPendingAndKeepsBatching() {
        pt.lazyMMUEnable()
        pt.writePTE(table, 0, Prot.kernel)
        pt.lazyMMUFlush()
        pt.lazyMMUFlush()
        #expect(pairs(pt.counters) == (1, 1))
        pt.writePTE(table, 1, Prot.kernel)
        #expect(pairs(pt.counters) == (1, 1))
        pt.lazyMMUDisable()
        #expect(pairs(pt.counters) == (2, 2))
    }

    @Test func interruptContextIsNeverLazy() {
        pt.lazyMMUEnable()
        pt.inSoftirq {
            pt.lazyMMUEnable()  // no-op in interrupt
            pt.writePTE(table, 0, Prot.kernel)
            pt.writePTE(table, 1, Prot.kernel)
            pt.lazyMMUDisable()  // no-op: must not end the task's section
        }
        #expect(pairs(pt.counters) == (2, 2))
        #expect(pt.lazyMMU.lazy && !pt.lazyMMU.pending)
        pt.writePTE(table, 2, Prot.kernel)
        pt.lazyMMUDisable()
        #expect(pairs(pt.counters) == (3, 3))
    }

    @Test func setPMDAndPUDQueueOnlyValidValues() {
        pt.setPMD(table, 0, Prot.kernel.asBlock)
        pt.setPUD(table, 1, .table(at: 0x1000, pxnTable: false))
        #expect(pairs(pt.counters) == (2, 2))
        pt.setPMD(table, 0, .zero)
        pt.setPUD(table, 1, .zero)
        #expect(pairs(pt.counters) == (2, 2))
        #expect(pt.counters.entriesWritten == [0, 2, 2, 0])
    }

    @Test func setPGDAlwaysEmitsEvenWhenLazyOrClearing() {
        pt.lazyMMUEnable()
        pt.setPGD(table, 0, .table(at: 0x1000, pxnTable: false))
        pt.setPGD(table, 0, .zero)
        #expect(pairs(pt.counters) == (2, 2))
        pt.lazyMMUDisable()
        #expect(pairs(pt.counters) == (2, 2))
    }

    @Test func setPTEsQueuesOnceOnTheLastValue() {
        pt.setPTEs(table, from: 0, count: 16, first: Prot.kernel.with(outputAddress: 0x10000), step: 4096)
        #expect(pairs(pt.counters) == (1, 1))
        #expect(pt.counters.entriesWritten[3] == 16)
        #expect(table[15].outputAddress == 0x10000 + 15 * 4096)
        pt.setPTEs(table, from: 16, count: 4, first: Prot.kernel.setting(Descriptor.user), step: 4096)
        #expect(pairs(pt.counters) == (1, 1))
    }

    @Test func explicitDsbIsNeverBatched() {
        pt.lazyMMUEnable()
        pt.dsbIshst()
        #expect(pairs(pt.counters) == (1, 0))
        pt.lazyMMUDisable()
        #expect(pairs(pt.counters) == (1, 0))
    }

    @Test func populateIsASetOfATableDescriptor() {
        let child = pt.allocateTable(.pte, .kernel)!
        pt.populate(.pmd, table, 3, child: child, pxnTable: true)
        #expect(table[3].isTable && TablePage(table[3]) == child)
        #expect(table[3].raw & Descriptor.pxnTable != 0)
        #expect(pairs(pt.counters) == (1, 1))
    }

    @Test func splitLockCountsAtomicContextOnly() {
        pt.takeSplitLock()
        pt.inSoftirq { pt.takeSplitLock() }
        #expect(pt.counters.splitLockAcquisitions == 2)
        #expect(pt.counters.sleepingLockInAtomic == 1)
    }

    @Test func tlbiCountsByKindAndReachesTheObserver() {
        var seen: [TLBInvalidation] = []
        pt.tlbObserver = { seen.append($0) }
        pt.tlbi(.page(va: 0x1000))
        pt.tlbi(.range(va: 0x2000, pages: 32))
        pt.tlbi(.all)
        #expect(pt.counters.tlbiPage == 1 && pt.counters.tlbiRange == 1 && pt.counters.tlbiAll == 1)
        #expect(seen == [.page(va: 0x1000), .range(va: 0x2000, pages: 32), .all])
    }
}
