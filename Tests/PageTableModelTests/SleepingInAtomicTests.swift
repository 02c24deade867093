import Testing
import PageTableModel

/// spec §3: on arm64 sleeping inside a lazy-MMU section is allowed (split_kernel_leaf_mapping
/// takes pgtable_split_lock and allocates with GFP_PGTABLE_KERNEL inside one); the BUG is
/// a sleeping lock or a sleeping allocation in softirq/irq context, lazy section or not.
@Suite struct SleepingInAtomicTests {
    @Test(arguments: NestingPolicy.allCases)
    func sleepingInALazySectionIsFineOnlyInTaskContext(policy: NestingPolicy) throws {
        let pt = try PageTable(nesting: policy)
        pt.lazyMMUEnable()
        pt.takeSplitLock()
        #expect(pt.allocateTable(.pmd, .kernel) != nil)
        pt.lazyMMUEnable()  // nested, as debug_pagealloc reaches W1 inside another section
        #expect(pt.allocateTable(.pte, .kernel) != nil)
        pt.lazyMMUDisable()
        #expect(pt.isLazyActive == (policy == .counted), "tolerant and never-nest: the inner leave ended it")
        #expect(pt.counters.sleepingLockInAtomic == 0 && pt.counters.sleepingAllocInAtomic == 0)
        // A softirq interrupting the section: the same sleeping calls are the BUG, one each.
        pt.inSoftirq {
            pt.takeSplitLock()
            _ = pt.allocateTable(.pte, .kernel)
        }
        #expect(pt.counters.sleepingLockInAtomic == 1 && pt.counters.sleepingAllocInAtomic == 1)
        // GFP_ATOMIC never sleeps, in softirq or not.
        pt.inSoftirq { _ = pt.allocateTable(.pte, .atomic) }
        _ = pt.allocateTable(.pte, .atomic)
        #expect(pt.counters.sleepingAllocInAtomic == 1)
        pt.lazyMMUDisable()
        #expect(pt.counters.splitLockAcquisitions == 2 && pt.allocator.pagesAllocated == 5)
    }

    @Test func softirqOutsideAnySectionCountsToo() throws {
        let pt = try PageTable(nesting: .counted)
        pt.inSoftirq {
            _ = pt.allocateTable(.pmd, .kernel)
            _ = pt.allocateZeroedTable(.pte, .kernel)
            _ = pt.allocateTable(.pte, .atomic)
        }
        #expect(pt.counters.sleepingAllocInAtomic == 2 && pt.counters.sleepingLockInAtomic == 0)
    }
}
