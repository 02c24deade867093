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
    /// Commit 5ab246749569 (v7.0): enable/disable counted, pause/resume.
    case counted
}

/// Per-task lazy-MMU state: the arch flags plus the generic counts of the v7.0 scheme.
public struct LazyMMUState: Equatable, Sendable {
    public var policy: NestingPolicy
    /// TIF_LAZY_MMU.
    public internal(set) var lazy = false
    /// TIF_LAZY_MMU_PENDING: a barrier was queued and not yet emitted.
    public var pending = false
    public internal(set) var enableCount = 0
    public internal(set) var pauseCount = 0
    /// never-nest: the section a pause left, to re-enter on resume.
    var leftForPause = 0

    public init(policy: NestingPolicy = .tolerant) { self.policy = policy }
}

/// The lazy-MMU hooks. The arch hooks (enter, flush, leave) are those of v6.16–v6.19;
/// `lazyMMUEnable`/`Disable`/`Pause`/`Resume` are what walkers call, and the nesting
/// policy decides how they map onto the arch hooks.
extension PageTable {
    /// arch_enter_lazy_mmu_mode: set LAZY (no-op in interrupt context).
    func archEnter() {
        guard context == .task else { return }
        lazyMMU.lazy = true
    }

    /// arch_flush_lazy_mmu_mode: emit the pending barrier pair, if any.
    public func lazyMMUFlush() {
        guard context == .task, lazyMMU.pending else { return }
        lazyMMU.pending = false
        emit()
    }

    /// arch_leave_lazy_mmu_mode: flush, then clear LAZY (no-op in interrupt context).
    func archLeave() {
        guard context == .task else { return }
        lazyMMUFlush()
        lazyMMU.lazy = false
    }

    /// `body` between lazyMMUEnable and lazyMMUDisable when `enabled` (a walker's lazy
    /// section), else plainly.
    @inlinable public func inLazyMMU<E: Error>(_ enabled: Bool, _ body: () throws(E) -> Void) throws(E) {
        if enabled { lazyMMUEnable() }
        defer { if enabled { lazyMMUDisable() } }
        try body()
    }

    /// lazy_mmu_mode_enable (arch_enter_lazy_mmu_mode before v7.0).
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

    /// lazy_mmu_mode_disable (arch_leave_lazy_mmu_mode before v7.0).
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
