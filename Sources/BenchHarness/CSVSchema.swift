import Foundation
import PageTableModel
import Reports
import TLBModel

/// The CSV schema: stable column order, numbers and short identifiers only. Bump
/// `version` when a column changes meaning or position.
public enum CSVSchema {
    public static let version = 4

    public struct Column: Sendable {
        public let name: String
        public let unit: String
        public let meaning: String
        let value: @Sendable (RunResult) -> String
    }

    public static var header: String { columns.map(\.name).joined(separator: ",") }

    /// The row's fields, unquoted.
    public static func fields(_ r: RunResult) -> [String] { columns.map { $0.value(r) } }

    /// The row as RFC 4180 CSV text.
    public static func row(_ r: RunResult) -> String { CSVTable.record(fields(r)) }

    private static func c(_ name: String, _ unit: String, _ meaning: String, _ value: @escaping @Sendable (RunResult) -> String) -> Column {
        Column(name: name, unit: unit, meaning: meaning, value: value)
    }
    private static func n(_ name: String, _ unit: String, _ meaning: String, _ value: @escaping @Sendable (RunResult) -> Int) -> Column {
        Column(name: name, unit: unit, meaning: meaning, value: { String(value($0)) })
    }
    private static func tlb(_ name: String, _ meaning: String, _ value: @escaping @Sendable (TLBMetrics) -> Int) -> Column {
        Column(name: name, unit: "count", meaning: meaning, value: { $0.tlb.map { String(value($0)) } ?? "" })
    }

    /// The parameter columns: what the run used, in the canonical text its option takes,
    /// or empty where the scenario does not use the option.
    private static func parameter(_ name: String, _ unit: String = "id") -> Column {
        let p = Parameter.named(name)!
        return c(p.column, unit, "--\(name): \(p.help)", { $0.spec.values[name] ?? "" })
    }

    /// The column holding each input file's SHA-256, by option (a run reads --ops or
    /// --trace, never both).
    static let hashColumns = ["layout": "layout_sha256", "ops": "input_sha256", "trace": "input_sha256",
                              "cost-model": "cost_model_sha256", "initial-map": "initial_map_sha256", "iomem": "iomem_sha256"]

    private static func hash(_ name: String, _ meaning: String) -> Column {
        c(name, "hex", meaning, { r in hashColumns.compactMap { $0.value == name ? r.inputHashes[$0.key] : nil }.first ?? "" })
    }

    public static let columns: [Column] = [
        c("schema_version", "-", "version of this column layout", { _ in String(version) }),
        parameter("scenario"),
        parameter("kernel"),
        parameter("cpu"),
        parameter("bbml2"),
        c("preset_overrides", "id", "options given that differ from what --kernel and --cpu select, ';'-separated", { $0.spec.presetOverrides.joined(separator: ";") }),
        c("walker", "id", "split walker that ran (leaf, range, create-path, pagewalk), create for map_mem, none for a trace", { $0.spec.walkerLabel }),
        parameter("lazy"),
        parameter("nesting"),
        c("granule", "id", "translation granule", { _ in Geometry.fourK.granuleName }),
        parameter("layout"),
        c("layout_name", "id", "the layout's name (a JSON layout's \"name\")", { $0.layoutName }),
        hash("layout_sha256", "SHA-256 of a JSON layout file"),
        c("memory_bytes", "bytes", "--memory, or the RAM a layout that fixes its size has", { $0.spec.values["memory"] ?? String($0.memoryBytes) }),
        c("mode", "id", "map_mem mapping that ran: block (BBML2) or pte (force_pte_mapping)", { $0.spec.mode.rawValue }),
        parameter("variant"),
        parameter("kfence-init"),
        parameter("create-path"),
        parameter("map-mem"),
        parameter("boot"),
        parameter("kpti", "on/off"),
        parameter("kfence"),
        parameter("tlbi-range", "on/off"),
        parameter("repeat-tlbi"),
        parameter("seed", "-"),
        parameter("requests", "count"),
        parameter("request-pages"),
        parameter("placement"),
        parameter("change"),
        parameter("rodata-full", "on/off"),
        parameter("softirq-share", "ratio"),
        parameter("nested-share", "ratio"),
        parameter("ops", "path"),
        hash("input_sha256", "SHA-256 of the --ops or --trace file"),
        parameter("fail-after", "count"),
        parameter("split-fraction", "ratio"),
        parameter("tlb"),
        parameter("trace"),
        parameter("accesses", "count"),
        parameter("zipf", "s"),
        parameter("working-set", "bytes"),
        parameter("repeat", "count"),
        parameter("cost-model"),
        hash("cost_model_sha256", "SHA-256 of a --cost-model file"),
        n("issued", "count", "requests, events, trace ops or mosaic chunks actually issued", { $0.requestsIssued }),
        n("dsb_ishst", "count", "dsb ishst emitted", { $0.counters.dsbIshst }),
        n("dsb_ish", "count", "dsb ish emitted", { $0.counters.dsbIsh }),
        n("isb", "count", "isb emitted", { $0.counters.isb }),
        n("tlbi", "count", "TLBI instructions of every kind", { $0.counters.tlbi }),
        n("tlbi_range", "count", "tlbi rvaale1is (range)", { $0.counters.tlbiRange }),
        n("tlbi_all", "count", "tlbi vmalle1is (flush_tlb_all)", { $0.counters.tlbiAll }),
        n("tlbi_sync_repeat", "count", "tlbi vale1is, xzr (REPEAT_TLBI per-sync completion)", { $0.counters.tlbiSyncRepeat }),
        n("pt_pages_alloc", "pages", "page-table pages allocated by the operation", { $0.pagesAllocated }),
        n("pt_pages_alloc_atomic", "pages", "of which GFP_ATOMIC", { $0.pagesAllocatedAtomic }),
        n("pt_pages_free", "pages", "page-table pages freed by the operation", { $0.pagesFreed }),
        n("pt_bytes", "bytes", "page-table bytes held by the map at the end (PageTables)", { $0.tableBytes }),
        n("leaf_pud", "entries", "1 GiB block leaves at the end", { $0.histogram.pud }),
        n("leaf_pmd", "entries", "2 MiB block leaves without CONT", { $0.histogram.pmd }),
        n("leaf_pmd_cont", "entries", "2 MiB block leaves with CONT (entries, not groups)", { $0.histogram.pmdCont }),
        n("leaf_pte", "entries", "4 KiB page leaves without CONT", { $0.histogram.pte }),
        n("leaf_pte_cont", "entries", "4 KiB page leaves with CONT (entries, not groups)", { $0.histogram.pteCont }),
        n("tlb_reach_entries", "entries", "TLB entries to cover the map when a CONT group takes one", { $0.histogram.tlbReachEntries }),
        n("entries_written", "entries", "descriptor stores at every level", { $0.counters.totalEntriesWritten }),
        n("entries_visited", "entries", "descriptors read by the walkers", { $0.counters.entriesVisited }),
        n("walks", "count", "descents from the root", { $0.counters.walks }),
        n("split_lock", "count", "pgtable_split_lock acquisitions", { $0.counters.splitLockAcquisitions }),
        n("sleeping_lock_atomic", "count", "of which in atomic (softirq) context: a kernel BUG", { $0.counters.sleepingLockInAtomic }),
        n("sleeping_alloc_atomic", "count", "GFP_KERNEL/GFP_PGTABLE_KERNEL table allocations in atomic (softirq) context: a kernel BUG", { $0.counters.sleepingAllocInAtomic }),
        c("memtotal_kb", "kB", "MemTotal: RAM less kernel image, struct pages and page tables", { String($0.memTotalKB) }),
        n("errors", "count", "operations that returned ENOMEM/EINVAL", { $0.errors }),
        c("split_fraction", "ratio", "mosaic: share of the block-mapped linear map actually split to PTEs", { $0.spec.kind == .mosaic ? "\($0.splitFraction)" : "" }),
        tlb("tlb_accesses", "simulated data accesses") { $0.tlbAccesses },
        tlb("l1d_tlb_refill", "L1D_TLB_REFILL: L1 dTLB misses") { $0.l1dTLBRefill },
        tlb("l2d_tlb_refill", "L2D_TLB_REFILL: L2 TLB misses") { $0.l2dTLBRefill },
        tlb("dtlb_walk", "DTLB_WALK: table walks") { $0.dtlbWalk },
        tlb("walk_refs", "memory references made by the walks") { $0.walkRefs },
        tlb("tlb_faults", "accesses no valid leaf maps (bank holes, addresses outside the linear map)") { $0.faults },
        c("walks_per_1k_accesses", "per 1000", "dtlb_walk per 1,000 simulated accesses (not perf's MPKI, which is per 1,000 instructions; named mpki_proxy in schema 1)", { $0.tlb.map { format4($0.walksPer1kAccesses) } ?? "" }),
        c("cpu_ns", "ns", "the operation's time on its thread's CPU clock (CLOCK_THREAD_CPUTIME_ID: time this shared machine spent elsewhere is not in it): per run, over as many runs (each on a fresh map) as take >= 50 ms, the median of the means of five 10 ms blocks of them; the minimum over --repeat", { String($0.cpuNs) }),
        c("cpu_ns_median", "ns", "the median of those over --repeat", { String($0.cpuNsMedian) }),
        c("calib_bytes", "bytes", "bytes the reference writes (memset: 8 per descriptor written) or loads (bare-walk, walk-rewrite: 8 per descriptor); empty without a reference", { $0.calibrationKind == .none ? "" : String($0.calibrationBytes) }),
        c("calib_kind", "id", "the reference: first-touch (a memset of the bytes written into fresh pages, when the tables the operation allocated can hold at least a quarter of them), walk-rewrite (after each run, over its own tables, as many root-to-leaf descents at uniformly drawn RAM pages as it made, its descriptors written shared among them as runs of consecutive entries stored back: the operation rewrote descriptors in place or only walked), bare-walk (a TLB run: its trace walked through the same tables without a TLB), or none (the operation made no descent and wrote nothing)", { $0.calibrationKind.rawValue }),
        c("calib_ns", "ns", "the reference's CPU time in the same process, per run as cpu_ns (walk-rewrite, and first-touch up to 16 MiB: after each of the same runs); empty without a reference", { $0.calibrationKind == .none ? "" : String($0.calibrationNs) }),
        c("cpu_ratio", "ratio", "cpu_ns / calib_ns; empty without a reference", { $0.calibrationKind == .none ? "" : format4($0.cpuRatio) }),
        c("est_ns", "ns", "time the counts cost under --cost-model: Σ events × ns per event, rounded", { $0.estimatedNs.map { String(format: "%.0f", $0) } ?? "" }),
        parameter("present-invalid", "on/off"),
        parameter("swiotlb-bytes", "bytes"),
        parameter("its-bytes", "bytes"),
        n("warnings", "count", "WARN_ON splats: W1's boot windows, a failed split in update_range_prot, a block pageattr cannot cover", { $0.counters.warnings }),
        n("ebusy", "count", "split_kernel_leaf_mapping -EBUSY returns in a boot window (f12b435de2f2)", { $0.counters.ebusyReturns }),
        parameter("hotplug-bytes", "bytes"),
        parameter("hotplug-remove", "bytes"),
        n("tlbi_pgtable", "count", "tlbi vaae1is (__flush_tlb_kernel_pgtable: one per freed table)", { $0.counters.tlbiPageAllLevels }),
        c("hotplug_refused", "count", "hotplug: hot-removes the memory notifier refused (NOTIFY_BAD: an edge splits a leaf)", { $0.spec.kind == .hotplug ? String($0.hotplugRefusals) : "" }),
        parameter("initial-map", "path"),
        hash("initial_map_sha256", "SHA-256 of the --initial-map ptdump"),
        parameter("iomem", "path"),
        hash("iomem_sha256", "SHA-256 of the --iomem file"),
        parameter("image-share", "ratio"),
        parameter("vmalloc-share", "ratio"),
        parameter("user-share", "ratio"),
        parameter("stacks", "count"),
        parameter("user-page"),
        parameter("user-bytes", "bytes"),
        c("perf_user_addrs", "count", "--trace perf:FILE: user (TTBR0) data addresses, not replayed", { $0.perfCensus.map { String($0.user) } ?? "" }),
        c("perf_kernel_other_addrs", "count", "--trace perf:FILE: kernel addresses outside the linear map (image, modules, vmalloc, vmemmap), not replayed", { $0.perfCensus.map { String($0.kernelOther) } ?? "" }),
        parameter("events", "count"),
        parameter("sample-every", "count"),
        parameter("live-areas", "count"),
        parameter("pack-share", "ratio"),
        parameter("text-share", "ratio"),
        parameter("drain", "on/off"),
    ]
}

func format4(_ x: Double) -> String { String(format: "%.4f", x) }
