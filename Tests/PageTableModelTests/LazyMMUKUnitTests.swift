import Testing
import PageTableModel

/// The merged KUnit test mm/tests/lazy_mmu_mode_kunit.c (ee628d9cc8d5, v7.0), on the
/// `counted` policy: the same calls in the same order, each followed by its
/// is_lazy_mmu_mode_active() expectation. After every step one valid kernel PTE is
/// written through __set_pte, so each step also has a barrier count: the pairs the call
/// itself emits (a flush of what earlier writes queued) plus that write's own pair when
/// lazy mode is not active. Derived by hand below.
@Suite struct LazyMMUKUnitTests {
    enum Call { case none, enable, disable, pause, resume }

    /// (call, active afterwards, pairs emitted by the call and the write after it, PENDING afterwards)
    static let steps: [(Call, Bool, Int, Bool)] = [
        (.none, false, 1, false),    // not active: the write emits
        (.enable, true, 0, true),    // enable_count 0 → 1: the write queues
        (.enable, true, 0, true),    // nested, 1 → 2: nothing; the write queues
        (.disable, true, 1, true),   // 2 → 1: arch_flush emits the queued pair; the write queues again
        (.pause, false, 2, false),   // pause_count 0 → 1 with enable_count 1: arch_leave flushes (1); the write emits (1)
        (.enable, false, 1, false),  // paused: no effect; the write emits
        (.disable, false, 1, false), // paused: no effect
        (.pause, false, 1, false),   // pause_count 1 → 2: nothing else
        (.resume, false, 1, false),  // 2 → 1: still paused
        (.resume, true, 0, true),    // 1 → 0 with enable_count 1: arch_enter (nothing on v7.0 arm64); the write queues
        (.disable, false, 2, false), // 1 → 0: arch_leave flushes (1); the write emits (1)
    ]

    private func apply(_ call: Call, _ pt: PageTable) {
        switch call {
        case .none: break
        case .enable: pt.lazyMMUEnable()
        case .disable: pt.lazyMMUDisable()
        case .pause: pt.lazyMMUPause()
        case .resume: pt.lazyMMUResume()
        }
    }

    @Test func lazyMMUModeActive() throws {
        let pt = try PageTable(nesting: .counted)
        let table = pt.allocateTable(.pte, .kernel)!
        for (i, (call, active, pairs, pending)) in Self.steps.enumerated() {
            let before = pt.counters
            apply(call, pt)
            #expect(pt.isLazyActive == active, "step \(i): \(call)")
            pt.writePTE(table, i, Prot.kernel)
            let d = pt.counters.since(before)
            #expect(d.dsbIshst == pairs && d.isb == pairs, "step \(i): \(call)")
            #expect(pt.lazyMMU.pending == pending, "step \(i): \(call)")
            #expect(!pt.lazyMMU.lazy, "v7.0 has no TIF_LAZY_MMU")
        }
        #expect(pt.counters.isb == 10 && pt.lazyMMU.enableCount == 0 && pt.lazyMMU.pauseCount == 0)
    }

    /// The same sequence in interrupt context: every call returns at once, nothing is ever
    /// active, every write emits, and the task's counts are untouched.
    @Test func interruptContextIgnoresEveryCall() throws {
        let pt = try PageTable(nesting: .counted)
        let table = pt.allocateTable(.pte, .kernel)!
        pt.inSoftirq {
            for (i, (call, _, _, _)) in Self.steps.enumerated() {
                apply(call, pt)
                #expect(!pt.isLazyActive)
                pt.writePTE(table, i, Prot.kernel)
            }
        }
        #expect(pt.counters.isb == Self.steps.count && pt.counters.dsbIshst == Self.steps.count)
        #expect(pt.lazyMMU.enableCount == 0 && pt.lazyMMU.pauseCount == 0 && !pt.lazyMMU.pending)
    }

    /// A pause outside any section counts: an enable inside it is ignored, and the
    /// section it would have opened batches nothing.
    @Test func pauseOutsideASectionCounts() throws {
        let pt = try PageTable(nesting: .counted)
        let table = pt.allocateTable(.pte, .kernel)!
        pt.lazyMMUPause()
        #expect(pt.lazyMMU.pauseCount == 1 && pt.lazyMMU.enableCount == 0)
        pt.lazyMMUEnable()
        #expect(!pt.isLazyActive && pt.lazyMMU.enableCount == 0)
        pt.writePTE(table, 0, Prot.kernel)
        pt.writePTE(table, 1, Prot.kernel)
        pt.lazyMMUDisable()
        pt.lazyMMUResume()
        #expect(!pt.isLazyActive && pt.counters.isb == 2)
        // Unpaused, a section batches again.
        pt.lazyMMUEnable()
        pt.writePTE(table, 2, Prot.kernel)
        pt.writePTE(table, 3, Prot.kernel)
        pt.lazyMMUDisable()
        #expect(pt.counters.isb == 3)
    }
}
