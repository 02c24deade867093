import Reports

/// The churn scenario's time series (`--series FILE`): one CSV row per sample, its own
/// header. The run's row in --csv is the final map (what `bench check` re-runs and
/// compares); the series only adds the samples before it. Bump `version` when a column
/// changes meaning or position.
public enum ChurnSeries {
    public static let version = 1

    /// The parameters that tell runs apart, as their --csv columns.
    static let parameters = ["kernel", "cpu", "memory", "mode", "variant", "seed", "events", "sample-every",
                             "live-areas", "request-pages", "pack-share", "text-share", "drain", "tlb", "trace", "accesses"]

    static let samples: [(String, @Sendable (ChurnSample) -> String)] = [
        ("event", { String($0.event) }), ("areas_live", { String($0.liveAreas) }),
        ("leaf_pud", { String($0.histogram.pud) }), ("leaf_pmd", { String($0.histogram.pmd) }),
        ("leaf_pmd_cont", { String($0.histogram.pmdCont) }), ("leaf_pte", { String($0.histogram.pte) }),
        ("leaf_pte_cont", { String($0.histogram.pteCont) }), ("tlb_reach_entries", { String($0.histogram.tlbReachEntries) }),
        ("pt_bytes", { String($0.tableBytes) }), ("dsb_ishst", { String($0.counters.dsbIshst) }),
        ("dsb_ish", { String($0.counters.dsbIsh) }), ("isb", { String($0.counters.isb) }), ("tlbi", { String($0.counters.tlbi) }),
        ("pt_pages_alloc", { String($0.pagesAllocated) }), ("pt_pages_free", { String($0.pagesFreed) }),
        ("set_memory_calls", { String($0.setMemoryCalls) }), ("cache_blocks", { String($0.cacheBlocks) }),
        ("walks_per_1k_accesses", { $0.walksPer1k.map(format4) ?? "" }),
    ]

    public static var header: String {
        CSVTable.record(["churn_series_version"] + parameters.map { Parameter.named($0)!.column } + samples.map(\.0))
    }

    /// The rows of every churn result's samples, in order.
    public static func rows(_ results: [RunResult]) -> [String] {
        results.flatMap { r in
            let run = [String(version)] + parameters.map { r.spec.values[$0] ?? "" }
            return r.series.map { s in CSVTable.record(run + samples.map { $0.1(s) }) }
        }
    }
}
