import Testing
import PageTableModel

/// The three nesting policies of spec §3 at the level of the hooks.
@Suite struct LazyNestingTests {
    /// Outer section writes `before` PTEs, an inner section writes `inner`, then the outer
    /// section writes `after` more. Returns emitted pairs.
    private func run(_ policy: NestingPolicy, before: Int, inner: Int, after: Int, pauseInner: Bool) throws -> Int {
        let pt = try PageTable(nesting: policy)
        let t = pt.allocateTable(.pte, .kernel)!
        pt.lazyMMUEnable()
        for i in 0..<before { pt.writePTE(t, i, Prot.kernel) }
        if pauseInner { pt.lazyMMUPause() }
        pt.lazyMMUEnable()
        for i in 0..<inner { pt.writePTE(t, 100 + i, Prot.kernel) }
        pt.lazyMMUDisable()
        if pauseInner { pt.lazyMMUResume() }
        for i in 0..<after { pt.writePTE(t, 200 + i, Prot.kernel) }
        pt.lazyMMUDisable()
        #expect(!pt.lazyMMU.lazy && !pt.lazyMMU.pending)
        #expect(pt.counters.dsbIshst == pt.counters.isb)
        return pt.counters.isb
    }

    @Test func tolerantInnerLeaveUnbatchesTheRestOfTheOuterSection() throws {
        // inner leave flushes the outer's pending pair with the inner's; then each write emits.
        #expect(try run(.tolerant, before: 5, inner: 3, after: 7, pauseInner: false) == 1 + 7)
    }

    @Test func countedNestedDisableOnlyFlushes() throws {
        // inner disable flushes (1), the outer leave flushes the rest (1).
        #expect(try run(.counted, before: 5, inner: 3, after: 7, pauseInner: false) == 2)
        #expect(try run(.counted, before: 5, inner: 3, after: 0, pauseInner: false) == 1)
    }

    @Test func neverNestPausesAndReenters() throws {
        // pause leaves (flushes the outer's 1), the inner section batches to 1, resume re-enters.
        #expect(try run(.neverNest, before: 5, inner: 3, after: 7, pauseInner: true) == 3)
    }

    @Test func countedPauseUnbatchesTheWorkInside() throws {
        let pt = try PageTable(nesting: .counted)
        let t = pt.allocateTable(.pte, .kernel)!
        pt.lazyMMUEnable()
        pt.writePTE(t, 0, Prot.kernel)
        pt.lazyMMUPause()
        #expect(!pt.isLazyActive)
        pt.lazyMMUEnable()  // ignored while paused
        pt.writePTE(t, 1, Prot.kernel)
        pt.writePTE(t, 2, Prot.kernel)
        pt.lazyMMUDisable()
        pt.lazyMMUResume()
        #expect(pt.isLazyActive && pt.lazyMMU.enableCount == 1)
        pt.writePTE(t, 3, Prot.kernel)
        pt.lazyMMUDisable()
        #expect(pt.counters.isb == 1 + 2 + 1)
    }

    @Test func tolerantPauseIsANoOp() throws {
        let pt = try PageTable(nesting: .tolerant)
        pt.lazyMMUEnable()
        pt.lazyMMUPause()
        #expect(pt.isLazyActive)
        pt.lazyMMUResume()
        pt.lazyMMUDisable()
        #expect(!pt.isLazyActive)
    }
}
