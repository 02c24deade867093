/// The lazy-MMU hooks: arm64's arch_{enter,flush,leave}_lazy_mmu_mode as of v6.16–v6.19
/// (tolerant, never-nest) or v7.0 (counted: the generic lazy_mmu_mode_* helpers of
/// 5ab246749569 over the arm64 hooks of 4dd9b4d7a8d5), spec §3.

/// Where the simulated code runs: lazy MMU mode is never active in interrupt/softirq.
public enum ExecutionContext: String, Sendable, CaseIterable {
    case task, softirq
}

/// How nested lazy-MMU sections behave (spec §3).
public enum NestingPolicy: String, Sendable, CaseIterable {
    /// Commit 1ef3095b1405 (v6.16): the inner leave ends batching for the outer section.
    case tolerant
    /// Proposed: code reachable inside a lazy section pauses it around its work.
    case neverNest = "never-nest"
    /// Commits 5ab246749569 + 4dd9b4d7a8d5 (v7.0): enable/disable counted, pause/resume,
    /// and no TIF_LAZY_MMU: "active" is the generic test on the counts.
    case counted
}

/// Per-task lazy-MMU state: the arm64 thread flags plus task_struct's lazy_mmu_state.
public struct LazyMMUState: Equatable, Sendable {
    public var policy: NestingPolicy
    /// TIF_LAZY_MMU (v6.16–v6.19 only: v7.0 removed it, so counted never sets it).
    public internal(set) var lazy = false
    /// TIF_LAZY_MMU_PENDING: a barrier was queued and not yet emitted.
    public var pending = false
    /// lazy_mmu_state.enable_count and .pause_count (counted).
    public internal(set) var enableCount = 0
    public internal(set) var pauseCount = 0
    /// never-nest: the section a pause left, to re-enter on resume.
    var leftForPause = 0

    public init(policy: NestingPolicy = .tolerant) { self.policy = policy }

    /// The task's own state says lazy: TIF_LAZY_MMU, or since v7.0
    /// __task_lazy_mmu_mode_active (enabled and not paused).
    @inlinable public var taskActive: Bool {
        policy == .counted ? enableCount > 0 && pauseCount == 0 : lazy
    }
}

extension PageTable {
    /// arch_enter_lazy_mmu_mode: v6.16–v6.19 set TIF_LAZY_MMU (no-op in interrupt
    /// context); v7.0's does nothing.
    func archEnter() {
        guard lazyMMU.policy != .counted, context == .task else { return }
        lazyMMU.lazy = true
    }

    /// arch_flush_lazy_mmu_mode: emit the pending barrier pair, if any. The in-interrupt
    /// check is v6.16–v6.19's; v7.0's callers (the generic helpers) never get here then.
    public func lazyMMUFlush() {
        guard context == .task, lazyMMU.pending else { return }
        lazyMMU.pending = false
        emit()
    }

    /// arch_leave_lazy_mmu_mode: flush, then clear TIF_LAZY_MMU (no-op in interrupt
    /// context); v7.0's is the flush alone.
    func archLeave() {
        guard context == .task else { return }
        lazyMMUFlush()
        if lazyMMU.policy != .counted { lazyMMU.lazy = false }
    }

    /// `body` between lazyMMUEnable and lazyMMUDisable when `enabled` (a walker's lazy
    /// section), else plainly.
    @inlinable public func inLazyMMU<E: Error>(_ enabled: Bool, _ body: () throws(E) -> Void) throws(E) {
        if enabled { lazyMMUEnable() }
        defer { if enabled { lazyMMUDisable() } }
        try body()
    }

    /// lazy_mmu_mode_enable (arch_enter_lazy_mmu_mode before v7.0). Counted: nothing in
    /// interrupt context or while paused, else count++ and arch-enter on 0 → 1.
    public func lazyMMUEnable() {
        guard context == .task else { return }
        switch lazyMMU.policy {
        case .tolerant, .neverNest:
            archEnter()
        case .counted:
            guard lazyMMU.pauseCount == 0 else { return }
            lazyMMU.enableCount += 1
            if lazyMMU.enableCount == 1 { archEnter() }
        }
    }

    /// lazy_mmu_mode_disable (arch_leave_lazy_mmu_mode before v7.0). Counted: the same
    /// early returns, else count--; the outermost disable leaves, a nested one flushes.
    public func lazyMMUDisable() {
        guard context == .task else { return }
        switch lazyMMU.policy {
        case .tolerant, .neverNest:
            archLeave()
        case .counted:
            guard lazyMMU.pauseCount == 0 else { return }
            precondition(lazyMMU.enableCount > 0, "unbalanced lazy_mmu_mode_disable")
            lazyMMU.enableCount -= 1
            if lazyMMU.enableCount == 0 { archLeave() } else { lazyMMUFlush() }
        }
    }

    /// Suspends batching around work that may be reached inside a lazy section
    /// (counted: lazy_mmu_mode_pause; never-nest: leave if active). No-op for tolerant.
    /// Counted counts a pause outside any section too, so an enable inside it is ignored.
    public func lazyMMUPause() {
        guard context == .task else { return }
        switch lazyMMU.policy {
        case .tolerant:
            return
        case .neverNest:
            lazyMMU.leftForPause = lazyMMU.lazy ? 1 : 0
            if lazyMMU.lazy { archLeave() }
        case .counted:
            lazyMMU.pauseCount += 1
            if lazyMMU.pauseCount == 1 && lazyMMU.enableCount > 0 { archLeave() }
        }
    }

    /// Undoes `lazyMMUPause`.
    public func lazyMMUResume() {
        guard context == .task else { return }
        switch lazyMMU.policy {
        case .tolerant:
            return
        case .neverNest:
            if lazyMMU.leftForPause == 1 { archEnter() }
            lazyMMU.leftForPause = 0
        case .counted:
            precondition(lazyMMU.pauseCount > 0, "unbalanced lazy_mmu_mode_resume")
            lazyMMU.pauseCount -= 1
            if lazyMMU.pauseCount == 0 && lazyMMU.enableCount > 0 { archEnter() }
        }
    }
}
