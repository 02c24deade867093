import KernelCallers
import LinearMap
import PageTableModel
import SplitWalkers
import TLBModel

/// What one run simulates.
public enum Scenario: String, Sendable, CaseIterable {
    /// map_mem (then, by default, mark_linear_text_alias_ro): build the linear map.
    case boot
    /// Module/BPF-style vmalloc area lifecycles: vmalloc, set_memory_ro or _rox (each backing
    /// page's linear alias changed one page at a time under rodata_full), then vfree with
    /// VM_FLUSH_RESET_PERMS.
    case perm
    /// linear_map_split_to_ptes of a block-mapped linear map.
    case repaint
    /// Late-init kfence pool split vs the older per-guard-page protection.
    case kfence
    /// debug_pagealloc page churn, nested lazy sections and softirq context.
    case debugPagealloc = "debug-pagealloc"
    /// Replay of an op trace (`--ops FILE`).
    case replay
    /// An access trace through the simulated TLB over the booted map.
    case tlb
    /// Split a fraction of a block map to PTEs, then the access trace.
    case mosaic
    /// A realm guest's early set_memory_decrypted calls (swiotlb, GIC ITS), two passes each.
    case realmBoot = "realm-boot"
    /// Memory hotplug: hot-add a bank above RAM (linear map and vmemmap), churn vmalloc
    /// areas backed by its pages (set_memory_ro, vfree), hot-remove it.
    case hotplug
    /// Aging: a seeded lifecycle of module / BPF-like vmalloc areas (vmalloc, set_memory_ro
    /// or _rox, vfree with VM_FLUSH_RESET_PERMS), the map sampled every K events.
    case churn
}

/// What the perm scenario makes of each area.
public enum PermChange: String, Sendable, CaseIterable {
    /// set_memory_ro (module rodata, a BPF prog pack's linear alias).
    case ro
    /// set_memory_rox: set_memory_ro, then set_memory_x (module text, JITed code).
    case rox
}

/// One simulation parameter: its option, CSV column, accepted form, default, and the runs
/// it applies to. The table below drives parsing, `--help`, `bench schema`, the CSV's
/// parameter columns and `bench check`'s re-runs, so they cannot disagree.
public struct Parameter: Sendable {
    /// The option, without `--`.
    public let name: String
    public let column: String
    /// The accepted form, as errors and help show it.
    public let form: String
    public let help: String
    /// The scenarios that use it.
    public let scenarios: Set<Scenario>
    /// Why a run with these values does not use it, or nil when it does.
    let excluded: @Sendable (ParameterValues) -> String?
    /// The value a scenario runs with when the option is not given (nil: none).
    let fallback: @Sendable (Scenario) -> String?
    /// The canonical text of a valid value: it re-parses to itself. nil when not valid.
    let canonical: @Sendable (String) -> String?

    init(name: String, column: String, form: String, help: String, scenarios: Set<Scenario>,
         excluded: @escaping @Sendable (ParameterValues) -> String? = { _ in nil },
         fallback: @escaping @Sendable (Scenario) -> String?, canonical: @escaping @Sendable (String) -> String?) {
        (self.name, self.column, self.form, self.help, self.scenarios) = (name, column, form, help, scenarios)
        (self.excluded, self.fallback, self.canonical) = (excluded, fallback, canonical)
    }

    /// The value `scenario` runs with when neither the option nor a preset names it, else
    /// what the default kernel and machine select.
    public func defaultText(for scenario: Scenario) -> String? {
        fallback(scenario) ?? Preset.value(name, Preset.defaults(scenario))
    }
}

/// The option texts of one run, canonical, with defaults filled in where they apply.
public struct ParameterValues: Sendable {
    public let scenario: Scenario
    /// Given and defaulted values of every parameter the run uses, by option name.
    public private(set) var texts: [String: String]

    init(scenario: Scenario, texts: [String: String]) {
        self.scenario = scenario
        self.texts = texts
    }

    public subscript(_ name: String) -> String? { texts[name] }
}

extension Parameter {
    /// Every parameter, in the order they are resolved: an exclusion rule may look only
    /// at parameters above it.
    public static let all: [Parameter] = [
        Parameter(name: "scenario", column: "scenario", form: words(Scenario.allCases),
                  help: "What to simulate.", scenarios: everywhere, fallback: { _ in "boot" }, canonical: word(Scenario.allCases)),
        Parameter(name: "kernel", column: "kernel", form: KernelVersion.names.joined(separator: "|") + "|latest",
                  help: "Kernel version: selects every version-dependent behaviour (create path, lazy MMU and nesting, W1, REPEAT_TLBI generation, …; `bench kernels`). The individual options override it.",
                  scenarios: everywhere, fallback: { _ in KernelVersion.latest.name }, canonical: { KernelVersion.named($0)?.name }),
        Parameter(name: "cpu", column: "cpu", form: CPUSystem.names.joined(separator: "|"),
                  help: "Machine: BBML2_NOABORT of the boot CPU and the secondaries, FEAT_TLBIRANGE, REPEAT_TLBI, TLB geometry (`bench cpus`). The individual options override it.",
                  scenarios: everywhere, fallback: defaultMachine, canonical: { CPUSystem.named($0)?.name }),
        Parameter(name: "bbml2", column: "bbml2", form: words(BBML2Support.allCases),
                  help: "Which CPUs may split live blocks (BBML2_NOABORT on the kernel's allowlist): all, the boot CPU only (map_mem uses blocks, the repaint runs at SMP bring-up), or none (PTE-mapped at boot).",
                  scenarios: everywhere, excluded: { v in KernelVersion.named(v["kernel"] ?? "")?.linearMapSplit == false ? "\(v["kernel"]!) has no BBML2_NOABORT support (v6.18+)" : nil },
                  fallback: { _ in nil }, canonical: word(BBML2Support.allCases)),
        // Above the layout rows, whose exclusions look at it.
        Parameter(name: "initial-map", column: "initial_map", form: "a ptdump of the linear map (kernel_page_tables text)",
                  help: "Start from this map (48-bit VA, 4K granule), with --iomem for the banks, instead of booting one; with the boot scenario the run measures nothing and describes the map.",
                  scenarios: everywhere, fallback: { _ in nil }, canonical: path),
        Parameter(name: "iomem", column: "iomem", form: "a copy of /proc/iomem",
                  help: "The banks of an --initial-map (top-level System RAM, touching ranges merged) and its kernel image (Kernel code).",
                  scenarios: everywhere, excluded: { v in v["initial-map"] == nil ? "only an --initial-map takes --iomem" : nil },
                  fallback: { _ in nil }, canonical: path),
        Parameter(name: "layout", column: "layout", form: MachineLayout.builtinNames.joined(separator: "|") + "|FILE.json",
                  help: "Memory banks: a built-in layout or a JSON file.", scenarios: everywhere, excluded: imported,
                  fallback: { _ in "single" }, canonical: { MachineLayout.builtinNames.contains($0) || $0.hasSuffix(".json") ? $0 : nil }),
        Parameter(name: "memory", column: "memory_bytes", form: "a size such as 64M, 256G or 4T (a multiple of 4K)",
                  help: "Simulated RAM (single, numa2, numa4).", scenarios: everywhere,
                  excluded: { v in imported(v) ?? (sizedLayouts.contains(v["layout"] ?? "") ? nil : "the \(v["layout"] ?? "") layout fixes its own size") },
                  fallback: { _ in "256G" }, canonical: { ByteSize.parse($0).flatMap { $0 > 0 && $0 % 4096 == 0 ? String($0) : nil } }),
        Parameter(name: "kfence", column: "kfence_pool", form: "late|early",
                  help: "kfence pool: late, or early (carved out of the linear map at boot).",
                  scenarios: everywhere.subtracting([.kfence]),
                  excluded: { v in v["initial-map"] != nil ? "an --initial-map shows its own kfence pool"
                      : MachineLayout.builtinNames.contains(v["layout"] ?? "") ? nil : "a JSON layout names its own \"kfence\" pool" },
                  fallback: { _ in "late" }, canonical: word(["late", "early"])),
        Parameter(name: "mode", column: "mode", form: words(MappingMode.allCases),
                  help: "map_mem mapping: block (BBML2) or pte (force_pte_mapping); from --bbml2 unless given.", scenarios: [.boot, .perm, .replay, .tlb, .mosaic, .realmBoot, .hotplug, .churn],
                  excluded: { v in v.scenario == .boot ? notBuilt(v) : nil }, fallback: { _ in nil }, canonical: word(MappingMode.allCases)),
        Parameter(name: "walker", column: "walker", form: words(WalkerKind.allCases),
                  help: "Split walker.", scenarios: [.perm, .replay, .mosaic], excluded: noSplitCode,
                  fallback: { _ in WalkerKind.leaf.rawValue }, canonical: word(WalkerKind.allCases)),
        Parameter(name: "variant", column: "variant",
                  form: "repaint: v6.18|yang-v5; kfence: ce2b3a50ad92|before-ce2b3a50ad92; perm, replay, mosaic (leaf walker), debug-pagealloc: v6.18|before-ce2b3a50ad92|f12b435de2f2; realm-boot: f12b435de2f2|v6.18|before-ce2b3a50ad92; hotplug: v6.18|v7.1; churn: arm64|collapse|rox-cache",
                  help: "Kernel code: the repaint, the kfence late init, W1 before/after ce2b3a50ad92 or with f12b435de2f2's boot windows, the hot-remove rules, or the churn's: arm64 (never re-merges), collapse (x86-style re-merge after each free) or rox-cache (module text from PMD-sized ROX blocks).",
                  scenarios: [.repaint, .kfence, .debugPagealloc, .perm, .replay, .mosaic, .realmBoot, .hotplug, .churn],
                  excluded: { v in v.scenario == .hotplug || v.scenario == .churn ? nil : noSplitCode(v) ?? (v["walker"] == nil || v["walker"] == WalkerKind.leaf.rawValue ? nil : "only the leaf walker has versions") },
                  fallback: { variants(of: $0).first }, canonical: { $0 }),
        Parameter(name: "lazy", column: "lazy", form: "on|off",
                  help: "Lazy-MMU batching in the walkers and pageattr (arm64 v6.16+).",
                  scenarios: [.perm, .repaint, .kfence, .debugPagealloc, .replay, .mosaic, .realmBoot, .hotplug, .churn], fallback: { _ in "on" }, canonical: onOff),
        Parameter(name: "nesting", column: "nesting", form: words(NestingPolicy.allCases),
                  help: "Nested lazy-MMU sections: tolerant, never-nest or counted.", scenarios: [.debugPagealloc],
                  excluded: { v in v["lazy"] == "off" ? "with --lazy off there are no lazy sections to nest" : nil },
                  fallback: { _ in NestingPolicy.tolerant.rawValue }, canonical: word(NestingPolicy.allCases)),
        Parameter(name: "create-path", column: "create_path", form: words(CreatePath.allCases),
                  help: "The boot create path, by Ryan Roberts' v6.10 rows: base (v6.9), no-cont-remap, batch-barriers, no-alloc-remap (v6.10+).",
                  scenarios: [.boot], excluded: notBuilt, fallback: { _ in CreatePath.current.rawValue }, canonical: word(CreatePath.allCases)),
        Parameter(name: "kfence-init", column: "kfence_init_check", form: words(KfenceInitCheck.allCases),
                  help: "arch_kfence_init_pool's early exit: v6.18's (no BBML2_NOABORT, or force_pte_mapping) or b7737c38e7cb's (force_pte_mapping alone).",
                  scenarios: [.kfence], excluded: { v in v["variant"] == Kfence.Variant.splitPool.rawValue ? nil : "only ce2b3a50ad92 has arch_kfence_init_pool" },
                  fallback: { _ in KfenceInitCheck.v6_18.rawValue }, canonical: word(KfenceInitCheck.allCases)),
        Parameter(name: "boot", column: "boot", form: words(BootStage.allCases),
                  help: "What boot runs: map-mem alone, or full (map_mem, then mark_linear_text_alias_ro).",
                  scenarios: [.boot], excluded: notBuilt, fallback: { _ in BootStage.full.rawValue }, canonical: word(BootStage.allCases)),
        Parameter(name: "map-mem", column: "map_mem", form: words(MapMemVariant.allCases),
                  help: "map_mem: classic (to v7.1), overlay (v7.2: kfence pool, image text and data/bss mapped before the banks; data/bss made read-only) or overlay-unmap (linux-next: data/bss made invalid).",
                  scenarios: everywhere, fallback: { _ in MapMemVariant.classic.rawValue }, canonical: word(MapMemVariant.allCases)),
        Parameter(name: "kpti", column: "kpti", form: "on|off",
                  help: "KPTI (arm64_use_ng_mappings): nG on every kernel leaf. Descriptor bits only: no count changes; ptdump shows NG.",
                  scenarios: everywhere, fallback: { _ in "off" }, canonical: onOff),
        Parameter(name: "tlbi-range", column: "tlbi_range_support", form: "on|off",
                  help: "FEAT_TLBIRANGE.", scenarios: flushing, fallback: { _ in "off" }, canonical: onOff),
        Parameter(name: "repeat-tlbi", column: "repeat_tlbi", form: words(RepeatTLBI.allCases),
                  help: "The REPEAT_TLBI erratum workaround: off, per-tlbi (each TLBI + dsb ish + the TLBI again) or per-sync (a8f78680ee6b: one tlbi + dsb ish after each completing dsb ish).",
                  scenarios: flushing, fallback: { _ in RepeatTLBI.off.rawValue }, canonical: word(RepeatTLBI.allCases)),
        Parameter(name: "requests", column: "requests", form: "a whole number 0…10,000,000",
                  help: "perm (hotplug: in the hot bank) vmalloc areas / debug-pagealloc page events.",
                  scenarios: [.perm, .debugPagealloc, .hotplug],
                  fallback: { $0 == .hotplug ? "64" : "10000" }, canonical: whole(min: 0, max: 10_000_000)),
        Parameter(name: "request-pages", column: "request_pages", form: "N, A-B or pow2:K (K ≤ 18)",
                  help: "perm (and hotplug) area size in pages; churn: a module area's.", scenarios: [.perm, .hotplug, .churn],
                  fallback: { $0 == .churn ? "2-64" : "1-16" }, canonical: { RequestPagesSpec(text: $0)?.text }),
        Parameter(name: "placement", column: "placement", form: words(BackingPlacement.allCases),
                  help: "perm: the pages backing each area, scattered order-0 pages or one contiguous run.", scenarios: [.perm],
                  fallback: { _ in BackingPlacement.scattered.rawValue }, canonical: word(BackingPlacement.allCases)),
        Parameter(name: "change", column: "change", form: words(PermChange.allCases),
                  help: "perm: the permission each area gets, set_memory_ro or set_memory_rox.", scenarios: [.perm],
                  fallback: { _ in PermChange.ro.rawValue }, canonical: word(PermChange.allCases)),
        Parameter(name: "rodata-full", column: "rodata_full", form: "on|off",
                  help: "rodata=full: set_memory_ro/rw on a vmalloc area also change its pages' linear aliases.",
                  scenarios: [.perm, .replay, .hotplug, .churn], fallback: { _ in "on" }, canonical: onOff),
        Parameter(name: "softirq-share", column: "softirq_share", form: "a fraction 0…1",
                  help: "Share of page events in softirq context.", scenarios: [.debugPagealloc],
                  fallback: { _ in "0.5" }, canonical: fraction),
        Parameter(name: "nested-share", column: "nested_share", form: "a fraction 0…1",
                  help: "Share of page events nested in an outer lazy section.", scenarios: [.debugPagealloc],
                  fallback: { _ in "0.25" }, canonical: fraction),
        Parameter(name: "ops", column: "ops", form: "a CSV file with the header op,start,size,context[,backing], or an ftrace kprobe trace",
                  help: "The op trace to replay.", scenarios: [.replay], fallback: { _ in nil }, canonical: path),
        Parameter(name: "fail-after", column: "fail_after", form: "a whole number ≥ 0",
                  help: "Inject ENOMEM after N more table allocations.", scenarios: [.boot, .perm, .repaint, .kfence, .replay, .mosaic, .realmBoot],
                  fallback: { _ in nil }, canonical: whole(min: 0)),
        Parameter(name: "tlb", column: "tlb", form: "n1|v2", help: "Simulated TLB geometry; from --cpu unless given.", scenarios: tracing,
                  fallback: { _ in nil }, canonical: word(["n1", "v2"])),
        Parameter(name: "trace", column: "trace", form: traceKinds.joined(separator: "|") + "|FILE (one hex VA per line)|perf:FILE (perf script -F addr or perf mem report -D output)",
                  help: "Access trace (of the linear map, with a mix).", scenarios: tracing, fallback: { _ in "memcached" }, canonical: path),
        Parameter(name: "accesses", column: "accesses", form: "a whole number 1…1,000,000,000", help: "Accesses to simulate (churn: per sample).",
                  scenarios: tracing, fallback: { $0 == .churn ? "200000" : "2000000" }, canonical: whole(min: 1, max: 1_000_000_000)),
        Parameter(name: "zipf", column: "zipf", form: "an exponent s > 0", help: "Zipf exponent of the zipf trace.",
                  scenarios: tracing, excluded: { v in v["trace"] == "zipf" ? nil : "only the zipf trace has an exponent" },
                  fallback: { _ in "0.99" }, canonical: { Double($0).flatMap { $0 > 0 && $0.isFinite ? "\($0)" : nil } }),
        Parameter(name: "working-set", column: "working_set_bytes", form: "a size such as 128K or 64M",
                  help: "Working set of the hotset trace.", scenarios: tracing,
                  excluded: { v in v["trace"] == "hotset" ? nil : "only the hotset trace has a working set" },
                  fallback: { _ in "64M" }, canonical: { ByteSize.parse($0).flatMap { $0 > 0 ? String($0) : nil } }),
        Parameter(name: "split-fraction", column: "split_fraction_requested", form: "a fraction 0…1",
                  help: "Share of the block map to split to PTEs.", scenarios: [.mosaic], fallback: { _ in "0" }, canonical: fraction),
        Parameter(name: "image-share", column: "image_share", form: "a fraction 0…1",
                  help: "Share of the trace's accesses to the kernel image's data/bss, mapped at KIMAGE_VADDR by its own blocks and CONT PTEs whatever --mode.",
                  scenarios: mixing, fallback: { _ in "0" }, canonical: fraction),
        Parameter(name: "vmalloc-share", column: "vmalloc_share", form: "a fraction 0…1",
                  help: "Share of the trace's accesses to vmalloc'd task stacks (--stacks of 16K under 4K PTEs).",
                  scenarios: mixing, fallback: { _ in "0" }, canonical: fraction),
        Parameter(name: "user-share", column: "user_share", form: "a fraction 0…1 (with --image-share and --vmalloc-share at most 1; the linear map gets the rest)",
                  help: "Share of the trace's accesses to user pages through TTBR0 (--user-bytes in --user-page pages).",
                  scenarios: mixing, fallback: { _ in "0" }, canonical: fraction),
        Parameter(name: "seed", column: "seed", form: "a whole number 0…2^64-1",
                  help: "Seed of every random choice.", scenarios: [.perm, .kfence, .debugPagealloc, .tlb, .mosaic, .realmBoot, .hotplug, .churn],
                  excluded: { v in v.scenario == .tlb && !traceKinds.contains(v["trace"] ?? "") && !mixes(v) ? "a trace file without a mix has no random choices" : nil },
                  fallback: { _ in "1" }, canonical: { UInt64($0).map(String.init) }),
        Parameter(name: "cost-model", column: "cost_model", form: CostModel.form,
                  help: "Estimate the operation's time from its counts (est_ns): a fitted preset or a JSON file of ns per event.",
                  scenarios: everywhere, fallback: { _ in nil }, canonical: path),
        Parameter(name: "repeat", column: "repeat", form: "a whole number 1…1000",
                  help: "Time the operation N times; report min and median.", scenarios: everywhere,
                  fallback: { _ in "1" }, canonical: { Int($0).flatMap { (1...1000).contains($0) ? String($0) : nil } }),
        Parameter(name: "present-invalid", column: "present_invalid", form: "on|off",
                  help: "Present-invalid kernel leaves (15bfba1ad77f): invalid blocks stay leaves, so pageattr and the walkers take them and ptdump shows them.",
                  scenarios: [.boot, .perm, .kfence, .debugPagealloc, .replay, .realmBoot, .hotplug, .churn],
                  // An imported map may hold present-invalid blocks, which ptdump shows only so.
                  excluded: { v in v.scenario == .boot && v["initial-map"] == nil ? "map_mem writes no invalid entries" : nil },
                  fallback: { _ in "off" }, canonical: onOff),
        Parameter(name: "swiotlb-bytes", column: "swiotlb_bytes", form: "a size such as 64M (a multiple of 4K)",
                  help: "realm-boot: the swiotlb buffer swiotlb_update_mem_attributes shares (IO_TLB_DEFAULT_SIZE is 64M).",
                  scenarios: [.realmBoot], fallback: { _ in "64M" }, canonical: pageMultiple),
        Parameter(name: "its-bytes", column: "its_bytes", form: "a size such as 256K (a multiple of 64K)",
                  help: "realm-boot: the GIC ITS tables shared at irqchip init, one set_memory_decrypted per 64K table.",
                  scenarios: [.realmBoot], fallback: { _ in "256K" },
                  canonical: { ByteSize.parse($0).flatMap { $0 % (64 << 10) == 0 && $0 <= 1 << 30 ? String($0) : nil } }),
        Parameter(name: "hotplug-bytes", column: "hotplug_bytes", form: "a size such as 512M or 1G (a multiple of 128M)",
                  help: "hotplug: the bank hot-added right above RAM (whole 128M memory blocks).", scenarios: [.hotplug],
                  fallback: { _ in "1G" }, canonical: memoryBlocks),
        Parameter(name: "hotplug-remove", column: "hotplug_remove_bytes", form: "all, or a size such as 512M (a multiple of 128M)",
                  help: "hotplug: how much of the bank, from its start, is hot-removed.", scenarios: [.hotplug],
                  fallback: { _ in "all" }, canonical: { $0 == "all" ? $0 : memoryBlocks($0) }),
        Parameter(name: "stacks", column: "stacks", form: "a whole number 1…65,536",
                  help: "vmalloc'd task stacks the --vmalloc-share accesses spread over.", scenarios: mixing,
                  excluded: { v in share(v, "vmalloc-share") ? nil : "only a --vmalloc-share above 0 touches stacks" },
                  fallback: { _ in "64" }, canonical: whole(min: 1, max: 65_536)),
        Parameter(name: "user-page", column: "user_page", form: words(UserPageSize.allCases),
                  help: "Page size of the user memory: base pages, 64K mTHP (contpte) or 2M THP.", scenarios: mixing,
                  excluded: { v in share(v, "user-share") ? nil : "only a --user-share above 0 touches user pages" },
                  fallback: { _ in UserPageSize.k4.rawValue }, canonical: word(UserPageSize.allCases)),
        Parameter(name: "user-bytes", column: "user_bytes", form: "a size such as 1G (a multiple of --user-page, at most 64G)",
                  help: "User memory the --user-share accesses spread over.", scenarios: mixing,
                  excluded: { v in share(v, "user-share") ? nil : "only a --user-share above 0 touches user pages" },
                  fallback: { _ in "1G" }, canonical: { ByteSize.parse($0).flatMap { $0 > 0 && $0 % 4096 == 0 && $0 <= MixRegions.maxUserBytes ? String($0) : nil } }),
        Parameter(name: "events", column: "events", form: "a whole number 1…10,000,000",
                  help: "churn: allocations and frees of vmalloc areas to simulate.", scenarios: [.churn],
                  fallback: { _ in "2000" }, canonical: whole(min: 1, max: 10_000_000)),
        Parameter(name: "sample-every", column: "sample_every", form: "a whole number 1…10,000,000",
                  help: "churn: sample the map (and run the trace) every K events (--series).", scenarios: [.churn],
                  fallback: { _ in "100" }, canonical: whole(min: 1, max: 10_000_000)),
        Parameter(name: "live-areas", column: "live_areas", form: "a whole number 1…100,000",
                  help: "churn: the number of live areas the allocate/free mix drifts towards.", scenarios: [.churn],
                  fallback: { _ in "64" }, canonical: whole(min: 1, max: 100_000)),
        Parameter(name: "pack-share", column: "pack_share", form: "a fraction 0…1",
                  help: "churn: share of allocations that are 2 MiB BPF prog packs (set_memory_rox).", scenarios: [.churn],
                  fallback: { _ in "0.1" }, canonical: fraction),
        Parameter(name: "text-share", column: "text_share", form: "a fraction 0…1",
                  help: "churn: share of module areas that are text (set_memory_rox; the rest set_memory_ro).", scenarios: [.churn],
                  fallback: { _ in "0.5" }, canonical: fraction),
        Parameter(name: "drain", column: "drain", form: "on|off",
                  help: "churn: free every live area after the events.", scenarios: [.churn],
                  fallback: { _ in "off" }, canonical: onOff),
    ]

    public static func named(_ name: String) -> Parameter? { all.first { $0.name == name } }

    /// The generated access traces (anything else names a file).
    public static let traceKinds = ["uniform", "sequential", "zipf", "hotset", "memcached"]

    /// The variant words a scenario accepts, its default first.
    public static func variants(of scenario: Scenario) -> [String] {
        switch scenario {
        case .repaint: Repaint.Variant.allCases.map(\.variantWord)
        case .kfence: ["ce2b3a50ad92", "before-ce2b3a50ad92"]
        case .realmBoot: [LeafSplitVersion.f12b435de2f2, .v6_18, .beforeCE2B3A50AD92].map(\.rawValue)
        case .hotplug: HotplugRules.allCases.map(\.rawValue)
        case .churn: ChurnVariant.allCases.map(\.rawValue)
        default: LeafSplitVersion.allCases.map(\.rawValue)
        }
    }

    static let everywhere = Set(Scenario.allCases)
    /// AmpereOne (the spec's reference machine), but the mixed machine the repaint runs
    /// on, and a CCA-capable core (Neoverse V3, Armv9.2 with RME) for a realm guest.
    static let defaultMachine: @Sendable (Scenario) -> String? = { s in
        switch s {
        case .repaint: "ampereone+n1"
        case .realmBoot: "v3"
        default: "ampereone"
        }
    }
    /// Before v6.18 no split walker exists: set_memory_* rewrite a PTE-mapped map in place.
    static let noSplitCode: @Sendable (ParameterValues) -> String? = { v in
        KernelVersion.named(v["kernel"] ?? "")?.linearMapSplit == false ? "\(v["kernel"]!) has no linear-map split walkers (v6.18+)" : nil
    }
    /// The scenarios whose measured operation flushes the TLB (boot: the fixmap's unmaps
    /// and the alias's flush).
    /// With --initial-map the banks come from its --iomem file.
    static let imported: @Sendable (ParameterValues) -> String? = { v in
        v["initial-map"] != nil ? "with --initial-map the banks come from --iomem" : nil
    }
    /// An imported map is the boot: map_mem's options have nothing to build.
    static let notBuilt: @Sendable (ParameterValues) -> String? = { v in
        v["initial-map"] != nil ? "an --initial-map is not built by map_mem" : nil
    }
    static let flushing: Set<Scenario> = [.boot, .perm, .repaint, .kfence, .debugPagealloc, .replay, .realmBoot, .hotplug, .churn]
    static let tracing: Set<Scenario> = [.tlb, .mosaic, .churn]
    /// The scenarios whose trace takes a mix (churn samples the linear map only).
    static let mixing: Set<Scenario> = [.tlb, .mosaic]
    /// A share above 0 of the trace mix's class `name` (the rest goes to the linear map).
    static func share(_ v: ParameterValues, _ name: String) -> Bool { (v[name].flatMap(Double.init) ?? 0) > 0 }
    /// Any non-linear share: the mix then draws seeded choices, even over a trace file.
    static func mixes(_ v: ParameterValues) -> Bool { ["image-share", "vmalloc-share", "user-share"].contains { share(v, $0) } }
    static let sizedLayouts: Set<String> = ["single", "numa2", "numa4"]
}

// MARK: Canonical forms

private func words<T: RawRepresentable>(_ cases: [T]) -> String where T.RawValue == String {
    cases.map(\.rawValue).joined(separator: "|")
}

private func word<T: RawRepresentable>(_ cases: [T]) -> @Sendable (String) -> String? where T.RawValue == String {
    let names = cases.map(\.rawValue)
    return { names.contains($0) ? $0 : nil }
}

private func word(_ names: [String]) -> @Sendable (String) -> String? { { names.contains($0) ? $0 : nil } }

/// A positive whole number of 128M memory blocks, in bytes.
private let memoryBlocks: @Sendable (String) -> String? = {
    ByteSize.parse($0).flatMap { $0 > 0 && $0 % MemoryHotplug.memoryBlockBytes == 0 ? String($0) : nil }
}

private let onOff: @Sendable (String) -> String? = { boolean($0).map { $0 ? "on" : "off" } }
private let path: @Sendable (String) -> String? = { $0.isEmpty ? nil : $0 }
/// A non-zero multiple of 4K, at most 1T.
private let pageMultiple: @Sendable (String) -> String? = {
    ByteSize.parse($0).flatMap { $0 > 0 && $0 % 4096 == 0 && $0 <= 1 << 40 ? String($0) : nil }
}

/// Written at full precision: Swift prints the shortest text that parses back to the
/// same Double.
private let fraction: @Sendable (String) -> String? = { Double($0).flatMap { (0...1).contains($0) ? "\($0)" : nil } }

private func boolean(_ text: String) -> Bool? {
    switch text {
    case "on", "true", "1": true
    case "off", "false", "0": false
    default: nil
    }
}

/// Bounded above so no count makes a run that never ends.
private func whole(min: Int, max: Int = .max) -> @Sendable (String) -> String? {
    { Int($0).flatMap { (min...max).contains($0) ? String($0) : nil } }
}

extension Repaint.Variant {
    /// The word `--variant` takes: v6.18's W4, or Yang Shi's v5.
    public var variantWord: String { self == .pagewalk ? "v6.18" : rawValue }
}
