import LinearMap
import SplitWalkers
import PageTableModel

/// The default suite: the 256 GiB questions of the 2025 arm64 threads, every walker with
/// lazy MMU on and off.
public enum Suite {
    public static func configs(memory: UInt64 = 256 << 30, seed: UInt64 = 1) -> [RunConfig] {
        var base = RunConfig()
        base.memory = memory
        base.seed = seed
        func with(_ edit: (inout RunConfig) -> Void) -> RunConfig {
            var c = base
            edit(&c)
            return c
        }
        var configs: [RunConfig] = []
        for mode in [MappingMode.block, .pte] {
            configs.append(with { $0.scenario = .boot; $0.mode = mode })
        }
        configs.append(with { $0.scenario = .boot; $0.mode = .pte; $0.createBarriers = .perEntry })
        for variant in ["v6.18", "yang-v5"] {
            for lazy in [true, false] {
                configs.append(with { $0.scenario = .repaint; $0.variant = variant; $0.lazy = lazy })
            }
        }
        for walker in WalkerKind.allCases {
            for lazy in [true, false] {
                configs.append(with { $0.scenario = .perm; $0.walker = walker; $0.lazy = lazy })
            }
        }
        for variant in ["ce2b3a50ad92", "before-ce2b3a50ad92"] {
            for lazy in [true, false] {
                configs.append(with { $0.scenario = .kfence; $0.variant = variant; $0.lazy = lazy })
            }
        }
        for nesting in NestingPolicy.allCases {
            for before in [false, true] {
                configs.append(with {
                    $0.scenario = .debugPagealloc; $0.nesting = nesting; $0.beforeCE2B3A50AD92 = before
                    $0.requests = 2000
                })
            }
        }
        for mode in [MappingMode.block, .pte] {
            configs.append(with { $0.scenario = .tlb; $0.mode = mode })
        }
        for mode in [MappingMode.block, .pte] {
            for fraction in ["0", "0.01", "0.1", "0.5", "1"] {
                configs.append(with { $0.scenario = .mosaic; $0.mode = mode; $0.splitFraction = Double(fraction)! })
            }
        }
        return configs
    }

    /// The suite's answers in one line each, as ratios of what the runs counted.
    public static func headlines(_ results: [RunResult]) -> [String] {
        func find(_ match: (RunConfig) -> Bool) -> RunResult? { results.first { match($0.config) } }
        var lines: [String] = []
        let pairs: (RunResult) -> Double = { Double($0.counters.isb) }
        if let on = find({ $0.scenario == .repaint && $0.effectiveVariant == "v6.18" && $0.lazy }),
           let off = find({ $0.scenario == .repaint && $0.effectiveVariant == "v6.18" && !$0.lazy }) {
            lines.append(String(format: "repaint (pagewalk): %@ emitted pairs lazy off vs %@ lazy on: %.0f× fewer with lazy MMU",
                                SummaryTable.grouped(off.counters.isb), SummaryTable.grouped(on.counters.isb), pairs(off) / max(pairs(on), 1)))
        }
        if let block = find({ $0.scenario == .boot && $0.mode == .block }), let pte = find({ $0.scenario == .boot && $0.mode == .pte && $0.createBarriers == .batched }) {
            lines.append(String(format: "boot: page tables %.1f MiB (pte) vs %.3f MiB (block); MemTotal +%@ kB with blocks",
                                Double(pte.tableBytes) / 1048576, Double(block.tableBytes) / 1048576,
                                SummaryTable.grouped(Int(block.memTotalKB) - Int(pte.memTotalKB))))
        }
        if let block = find({ $0.scenario == .tlb && $0.mode == .block })?.tlb, let pte = find({ $0.scenario == .tlb && $0.mode == .pte })?.tlb {
            lines.append(String(format: "tlb (n1, memcached-like): mpki_proxy %.3f (block) vs %.1f (pte): %.1f%% with blocks (kernel TLB MPKI on AmpereOne: -28.5%%; ours is a proxy)",
                                block.mpkiProxy, pte.mpkiProxy, (block.mpkiProxy / pte.mpkiProxy - 1) * 100))
        }
        let perm = results.filter { $0.config.scenario == .perm }
        if let leaf = perm.first(where: { $0.config.walker == .leaf && $0.config.lazy }),
           let range = perm.first(where: { $0.config.walker == .range && $0.config.lazy }) {
            lines.append("perm storm: walks \(SummaryTable.grouped(leaf.counters.walks)) (leaf: split at start and end) vs \(SummaryTable.grouped(range.counters.walks)) (range); "
                + String(format: "wall %.1f vs %.1f ms", Double(leaf.wallNs) / 1e6, Double(range.wallNs) / 1e6))
        }
        return lines
    }
}
