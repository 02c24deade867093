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
    /// Present-invalid kernel leaves, commit 15bfba1ad77f ("Handle invalid large leaf
    /// mappings correctly"; arm64 for-next/core April 2026, in 7.0.1 stable): an entry made
    /// invalid keeps PTE_PRESENT_INVALID so pXd_present()/pXd_leaf() stay true, the walkers
    /// and pageattr take invalid blocks as leaves, split_pmd/split_pud give an invalid
    /// block invalid children, and set_memory_valid's masks move nG and PRESENT_INVALID.
    /// Off (v6.18): invalid kernel entries are not present, so W1 and pageattr skip them.
    public var presentInvalid = false
    /// Every CPU has BBML2_NOABORT, so system_supports_bbml2_noabort() holds once the
    /// capabilities are final; false on a mixed system (a secondary lacks it), where
    /// setup_system_features() repaints the map to PTEs. `bbml2` is the boot CPU's.
    public var systemBBML2 = true
    /// How far boot has come, for W1's boot windows (f12b435de2f2).
    public var bootPhase = BootPhase.running
    /// Memory hot-remove: the leaf check and the teardown's TLB flushes.
    public var hotplug: HotplugRules = .v6_18

    public init() {}

    /// linear_map_requires_bbml2, set by map_mem on the boot CPU: the map has blocks or
    /// CONT entries (no force_pte_mapping()) and can change (can_set_direct_map()).
    public var linearMapRequiresBBML2: Bool { bbml2 && !forcePTEMapping }
}

/// The boot state split_kernel_leaf_mapping consults since f12b435de2f2.
public struct BootPhase: Sendable, Equatable {
    /// page_alloc_available: set at the start of mem_init().
    public var pageAllocatorUp: Bool
    /// num_online_cpus().
    public var onlineCPUs: Int
    /// system_capabilities_finalized(): setup_system_features() has run (smp_cpus_done).
    public var capabilitiesFinal: Bool

    public init(pageAllocatorUp: Bool, onlineCPUs: Int, capabilitiesFinal: Bool) {
        (self.pageAllocatorUp, self.onlineCPUs, self.capabilitiesFinal) = (pageAllocatorUp, onlineCPUs, capabilitiesFinal)
    }

    /// arch_mm_preinit(): memblock only, the boot CPU alone.
    public static let archMMPreinit = BootPhase(pageAllocatorUp: false, onlineCPUs: 1, capabilitiesFinal: false)
    /// mem_init() onwards, up to smp_init(): page allocator up, one CPU (init_IRQ runs here).
    public static let beforeSMP = BootPhase(pageAllocatorUp: true, onlineCPUs: 1, capabilitiesFinal: false)
    /// smp_init() has onlined `cpus` CPUs; smp_cpus_done() has not finalized the capabilities.
    public static func bringingUpSMP(cpus: Int) -> BootPhase {
        BootPhase(pageAllocatorUp: true, onlineCPUs: cpus, capabilitiesFinal: false)
    }
    /// After smp_cpus_done(): the booted system.
    public static let running = BootPhase(pageAllocatorUp: true, onlineCPUs: 2, capabilitiesFinal: true)
}

/// arm64 memory hot-remove as v6.18 has it, or as v7.1 changed it: 95a58852b0e5 refuses
/// (NOTIFY_BAD) to offline memory whose range edges fall inside a linear-map or vmemmap
/// leaf; 48478b9f7913 flushes the linear map once at the end of its teardown instead of
/// once per leaf, and the vmemmap per leaf over the whole leaf instead of its first page.
public enum HotplugRules: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case v7_1 = "v7.1"
}

/// split_kernel_leaf_mapping as merged in v6.18, as it was before commit ce2b3a50ad92
/// (which added the force_pte_mapping() / kfence-pool early exit), or with f12b435de2f2's
/// boot windows (arm64 for-next/core April 2026; 6.18.y and 7.0.y stable).
public enum LeafSplitVersion: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case beforeCE2B3A50AD92 = "before-ce2b3a50ad92"
    case f12b435de2f2 = "f12b435de2f2"
}

/// arch_kfence_init_pool's early exit: as ce2b3a50ad92 added it (v6.18: no split without
/// BBML2_NOABORT or with force_pte_mapping()), or force_pte_mapping() alone (b7737c38e7cb,
/// an arm64 fix of the v6.19 cycle, also 6.18.y), which suffices because KFENCE without
/// BBML2_NOABORT forces PTEs.
public enum KfenceInitCheck: String, Sendable, CaseIterable {
    case v6_18 = "v6.18"
    case b7737c38e7cb
}
