import LinearMap
import SplitWalkers
import PageTableModel

/// The default suite: the 256 GiB questions of the 2025 arm64 threads, every walker with
/// lazy MMU on and off.
public enum Suite {
    /// The suite's runs, each built from option texts by the one parser `run` uses.
    public static func specs(memory: String = "256G", seed: String = "1") -> [RunSpec] {
        var runs: [[(String, String)]] = []
        func add(_ scenario: Scenario, _ options: (String, String)...) {
            var given = [("scenario", scenario.rawValue), ("memory", memory)] + options
            if Parameter.named("seed")!.scenarios.contains(scenario) { given.append(("seed", seed)) }
            runs.append(given)
        }
        let onOff = ["on", "off"]
        add(.boot, ("mode", "block"))
        add(.boot, ("mode", "pte"))
        add(.boot, ("mode", "pte"), ("create-barriers", "per-entry"))
        for variant in Parameter.variants(of: .repaint) { for lazy in onOff { add(.repaint, ("variant", variant), ("lazy", lazy)) } }
        for walker in WalkerKind.allCases { for lazy in onOff { add(.perm, ("walker", walker.rawValue), ("lazy", lazy)) } }
        for variant in Parameter.variants(of: .kfence) { for lazy in onOff { add(.kfence, ("variant", variant), ("lazy", lazy)) } }
        for nesting in NestingPolicy.allCases {
            for variant in Parameter.variants(of: .debugPagealloc) {
                add(.debugPagealloc, ("nesting", nesting.rawValue), ("variant", variant), ("requests", "2000"))
            }
        }
        for mode in MappingMode.allCases { add(.tlb, ("mode", mode.rawValue)) }
        for mode in MappingMode.allCases {
            for fraction in ["0", "0.01", "0.1", "0.5", "1"] { add(.mosaic, ("mode", mode.rawValue), ("split-fraction", fraction)) }
        }
        // The suite's own option texts are valid by construction.
        return runs.map { try! RunSpec.parse($0) }
    }

    /// The suite's answers in one line each, as ratios of what the runs counted.
    public static func headlines(_ results: [RunResult]) -> [String] {
        func find(_ match: (RunSpec) -> Bool) -> RunResult? { results.first { match($0.spec) } }
        func value(_ name: String, _ text: String) -> (RunSpec) -> Bool { { $0.values[name] == text } }
        func all(_ tests: ((RunSpec) -> Bool)...) -> (RunSpec) -> Bool { { s in tests.allSatisfy { $0(s) } } }
        var lines: [String] = []
        let pairs: (RunResult) -> Double = { Double($0.counters.isb) }
        let repaint = value("scenario", "repaint"), v618 = value("variant", "v6.18")
        if let on = find(all(repaint, v618, value("lazy", "on"))), let off = find(all(repaint, v618, value("lazy", "off"))) {
            lines.append(String(format: "repaint (pagewalk): %@ emitted pairs lazy off vs %@ lazy on: %.0f× fewer with lazy MMU",
                                SummaryTable.grouped(off.counters.isb), SummaryTable.grouped(on.counters.isb), pairs(off) / max(pairs(on), 1)))
        }
        let boot = value("scenario", "boot")
        if let block = find(all(boot, value("mode", "block"))), let pte = find(all(boot, value("mode", "pte"), value("create-barriers", "batched"))) {
            lines.append(String(format: "boot: page tables %.1f MiB (pte) vs %.3f MiB (block); MemTotal +%@ kB with blocks",
                                Double(pte.tableBytes) / 1048576, Double(block.tableBytes) / 1048576,
                                SummaryTable.grouped(Int(block.memTotalKB) - Int(pte.memTotalKB))))
        }
        let tlb = value("scenario", "tlb")
        if let block = find(all(tlb, value("mode", "block")))?.tlb, let pte = find(all(tlb, value("mode", "pte")))?.tlb {
            lines.append(String(format: "tlb (n1, memcached-like): mpki_proxy %.3f (block) vs %.1f (pte): %.1f%% with blocks (kernel TLB MPKI on AmpereOne: -28.5%%; ours is a proxy)",
                                block.mpkiProxy, pte.mpkiProxy, (block.mpkiProxy / pte.mpkiProxy - 1) * 100))
        }
        let perm = all(value("scenario", "perm"), value("lazy", "on"))
        if let leaf = find(all(perm, value("walker", "leaf"))), let range = find(all(perm, value("walker", "range"))) {
            lines.append("perm storm: walks \(SummaryTable.grouped(leaf.counters.walks)) (leaf: split at start and end) vs \(SummaryTable.grouped(range.counters.walks)) (range); "
                + String(format: "wall %.1f vs %.1f ms", Double(leaf.wallNs) / 1e6, Double(range.wallNs) / 1e6))
        }
        return lines
    }
}
