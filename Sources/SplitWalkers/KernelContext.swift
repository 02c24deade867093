import LinearMap
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
    /// The REPEAT_TLBI erratum workaround's generation (off when the CPU needs none).
    public var repeatTLBI: RepeatTLBI = .off
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
    /// arch_kfence_init_pool's "already PTE-mapped" early exit (b7737c38e7cb dropped its
    /// BBML2_NOABORT test).
    public var kfenceInitCheck: KfenceInitCheck = .v6_18
    /// Which map_mem built the linear map every scenario starts from.
    public var mapMem: MapMemVariant = .classic

    public init() {}
}

/// split_kernel_leaf_mapping as merged in v6.18, or as it was before commit ce2b3a50ad92
/// (which added the force_pte_mapping() / kfence-pool early exit).
public enum LeafSplitVersion: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case beforeCE2B3A50AD92 = "before-ce2b3a50ad92"
}

/// arch_kfence_init_pool's early exit: as ce2b3a50ad92 added it (v6.18: no split without
/// BBML2_NOABORT or with force_pte_mapping()), or force_pte_mapping() alone (b7737c38e7cb,
/// an arm64 fix of the v6.19 cycle, also 6.18.y), which suffices because KFENCE without
/// BBML2_NOABORT forces PTEs.
public enum KfenceInitCheck: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case b7737c38e7cb
}
