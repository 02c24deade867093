import PageTableModel

/// The kernel and machine a simulation runs on: every switch the modelled kernel code
/// consults, in one value that walkers and callers receive, so no caller can run its
/// walker with one lazy-MMU setting and its own rewrite with another.
public struct KernelContext: Sendable, Equatable {
    /// CPU feature BBML2_NOABORT: live block mappings may be split.
    public var bbml2 = true
    /// force_pte_mapping(): debug_pagealloc, or rodata_full / kfence without BBML2.
    public var forcePTEMapping = false
    /// Lazy-MMU batching in the walkers and in pageattr (arm64, v6.16+).
    public var lazyMMU = true
    /// How nested lazy sections behave; the page table is created with it.
    public var nesting: NestingPolicy = .tolerant
    /// FEAT_TLBIRANGE.
    public var tlbiRange = false
    /// The REPEAT_TLBI erratum workaround.
    public var repeatTLBI = false
    /// The early-init kfence pool, as linear-map VAs [start, end), if any.
    public var kfencePool: Range<UInt64>?
    /// Which split_kernel_leaf_mapping W1 is.
    public var leafSplit: LeafSplitVersion = .v6_18
    /// arm64_use_ng_mappings: KPTI is in use (forced by KASLR on a CPU without E0PD), so
    /// every kernel leaf carries nG (PTE_MAYBE_NG). Changes descriptor bits only, no count.
    public var ngMappings = false
    /// rodata_full (rodata=full, arm64's default): set_memory_ro/rw on a vmalloc area also
    /// change the linear alias of every page backing it, and can_set_direct_map() holds.
    public var rodataFull = true
    /// Memory hot-remove: the leaf check and the teardown's TLB flushes.
    public var hotplug: HotplugRules = .v6_18

    public init() {}
}

/// arm64 memory hot-remove as v6.18 has it, or as v7.1 changed it: 95a58852b0e5 refuses
/// (NOTIFY_BAD) to offline memory whose range edges fall inside a linear-map or vmemmap
/// leaf; 48478b9f7913 flushes the linear map once at the end of its teardown instead of
/// once per leaf, and the vmemmap per leaf over the whole leaf instead of its first page.
public enum HotplugRules: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case v7_1 = "v7.1"
}

/// split_kernel_leaf_mapping as merged in v6.18, or as it was before commit ce2b3a50ad92
/// (which added the force_pte_mapping() / kfence-pool early exit).
public enum LeafSplitVersion: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case beforeCE2B3A50AD92 = "before-ce2b3a50ad92"
}
