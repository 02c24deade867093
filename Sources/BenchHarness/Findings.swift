import Foundation
import LinearMap

/// The default suite's answers, one line each in words, with the counts behind them.
/// A line appears only when the results hold the runs it compares.
public enum Findings {
    public static func lines(_ results: [RunResult]) -> [String] {
        let runs = Runs(results)
        return [lazyMMU(runs), repaint(runs), allocations(runs), kernelBugs(runs), createPath(runs), tableBytes(runs), tlbReach(runs),
                kfence(runs), errors(results)].compactMap { $0 } + VersionChanges.lines(results)
    }

    /// The results, found by parameter values.
    struct Runs {
        let all: [RunResult]
        init(_ all: [RunResult]) { self.all = all }

        /// The first run of `scenario` with `values`, on the default kernel and machine
        /// unless `values` names them.
        func first(_ scenario: Scenario, _ values: [String: String] = [:]) -> RunResult? {
            let machine = Preset.defaults(scenario).texts.filter { ["kernel", "cpu"].contains($0.key) }
            let wanted = machine.merging(values) { $1 }
            return all.first { r in r.spec.kind == scenario && wanted.allSatisfy { r.spec.values[$0.key] == $0.value } }
        }
    }

    /// Barriers per vmalloc-area lifecycle of the perm scenario, lazy MMU on and off, per
    /// walker, and what one area costs the linear map.
    static func lazyMMU(_ runs: Runs) -> String? {
        var parts: [String] = []
        var sample: RunResult?
        for walker in ["leaf", "range", "create-path", "pagewalk"] {
            let base = ["walker": walker, "change": "ro", "placement": "scattered"]
            guard let on = runs.first(.perm, base.merging(["lazy": "on"]) { $1 }),
                  let off = runs.first(.perm, base.merging(["lazy": "off"]) { $1 }), on.requestsIssued > 0 else { continue }
            if sample == nil { sample = on }
            let n = Double(on.requestsIssued)
            parts.append(String(format: "%@ %.1f → %.1f", walker, Double(off.counters.dsbIshst) / n, Double(on.counters.dsbIshst) / n))
        }
        guard let sample, !parts.isEmpty else { return nil }
        let n = Double(sample.requestsIssued)
        return "perm: dsb ishst per vmalloc area (vmalloc, set_memory_ro with rodata=full, vfree with VM_FLUSH_RESET_PERMS; "
            + "\(SummaryTable.grouped(sample.requestsIssued)) areas of \(sample.spec.values["request-pages"] ?? "") scattered pages), "
            + "lazy MMU off → on: " + parts.joined(separator: "; ")
            + String(format: "; per area (%@, lazy on) %.1f split-lock acquisitions and %.1f TLBIs: the linear alias changes page by page",
                     sample.spec.walkerLabel, Double(sample.counters.splitLockAcquisitions) / n, Double(sample.counters.tlbi) / n)
    }

    static func repaint(_ runs: Runs) -> String? {
        guard let on = runs.first(.repaint, ["variant": "v6.18", "lazy": "on"]),
              let off = runs.first(.repaint, ["variant": "v6.18", "lazy": "off"]) else { return nil }
        return "repaint to PTEs (v6.18, pagewalk), \(ByteSize.format(on.memoryBytes)): lazy MMU takes dsb ishst from "
            + "\(SummaryTable.grouped(off.counters.dsbIshst)) to \(SummaryTable.grouped(on.counters.dsbIshst)) "
            + ratio(off.counters.dsbIshst, on.counters.dsbIshst)
            + " and isb from \(SummaryTable.grouped(off.counters.isb)) to \(SummaryTable.grouped(on.counters.isb))"
    }

    static func allocations(_ runs: Runs) -> String? {
        let picks: [(String, RunResult?)] = [
            ("repaint", runs.first(.repaint, ["variant": "v6.18", "lazy": "on"])),
            ("perm leaf", runs.first(.perm, ["walker": "leaf", "lazy": "on", "change": "ro", "placement": "scattered"])),
            ("kfence late init", runs.first(.kfence, ["variant": "ce2b3a50ad92", "lazy": "on"])),
        ]
        let parts = picks.compactMap { name, r in
            r.map { "\(name) \(SummaryTable.grouped($0.pagesAllocated)) (\(SummaryTable.grouped($0.pagesAllocatedAtomic)) GFP_ATOMIC)" }
        }
        return parts.isEmpty ? nil : "page-table pages allocated: " + parts.joined(separator: "; ")
    }

    static func kernelBugs(_ runs: Runs) -> String? {
        let debug = runs.all.filter { $0.spec.kind == .debugPagealloc }
        guard let old = debug.first(where: { $0.spec.values["variant"] == "before-ce2b3a50ad92" }),
              let new = debug.first(where: { $0.spec.values["variant"] == "v6.18" }) else { return nil }
        return "debug_pagealloc: \(SummaryTable.grouped(old.counters.sleepingLockInAtomic)) sleeping-mutex acquisitions and "
            + "\(SummaryTable.grouped(old.counters.sleepingAllocInAtomic)) sleeping (GFP_PGTABLE_KERNEL) table allocations in softirq "
            + "(kernel BUGs) in \(SummaryTable.grouped(old.requestsIssued)) page events before ce2b3a50ad92, "
            + "\(SummaryTable.grouped(new.counters.sleepingLockInAtomic)) and \(SummaryTable.grouped(new.counters.sleepingAllocInAtomic)) with it"
    }

    /// The PTE-mapped boot in each of Ryan Roberts' four create-path states: the fixmap
    /// unmaps' TLBIs and the barrier pairs each step of the v6.10 series removed.
    static func createPath(_ runs: Runs) -> String? {
        let states = CreatePath.allCases.compactMap { state in
            runs.first(.boot, ["mode": "pte", "create-path": state.rawValue]).map { (state, $0) }
        }
        guard states.count == CreatePath.allCases.count else { return nil }
        let parts = states.map { state, r in
            "\(state.rawValue) \(SummaryTable.grouped(r.counters.tlbi)) / \(SummaryTable.grouped(r.counters.isb))"
        }
        return "boot, pte, \(ByteSize.format(states[0].1.memoryBytes)): TLBIs / isb by create path (fixmap unmaps, v6.9 → v6.10): "
            + parts.joined(separator: "; ")
    }

    static func tableBytes(_ runs: Runs) -> String? {
        guard let block = runs.first(.boot, ["mode": "block"]),
              let pte = runs.first(.boot, ["mode": "pte", "create-path": CreatePath.current.rawValue]) else { return nil }
        return String(format: "boot, %@: page tables %.1f MiB PTE-mapped vs %.3f MiB with blocks; blocks leave %@ kB more MemTotal",
                      ByteSize.format(block.memoryBytes), Double(pte.tableBytes) / 1_048_576, Double(block.tableBytes) / 1_048_576,
                      SummaryTable.grouped(Int(block.memTotalKB) - Int(pte.memTotalKB)))
    }

    static func tlbReach(_ runs: Runs) -> String? {
        guard let block = runs.first(.tlb, ["mode": "block"]), let pte = runs.first(.tlb, ["mode": "pte"]),
              let b = block.tlb, let p = pte.tlb else { return nil }
        return "TLB reach: \(SummaryTable.grouped(block.histogram.tlbReachEntries)) entries cover the block map, "
            + "\(SummaryTable.grouped(pte.histogram.tlbReachEntries)) the PTE map; on the \(block.spec.values["tlb"] ?? "") model, "
            + String(format: "dTLB walks per 1,000 simulated accesses %.2f vs %.2f", b.walksPer1kAccesses, p.walksPer1kAccesses)
            + " (a \(block.spec.values["trace"] ?? "") trace over the linear map only: not a measured MPKI)"
    }

    static func kfence(_ runs: Runs) -> String? {
        guard let new = runs.first(.kfence, ["variant": "ce2b3a50ad92", "lazy": "on"]),
              let old = runs.first(.kfence, ["variant": "before-ce2b3a50ad92", "lazy": "on"]) else { return nil }
        return "kfence late init: \(SummaryTable.grouped(new.counters.dsbIshst)) dsb ishst and "
            + "\(acquisitions(new.counters.splitLockAcquisitions)) with ce2b3a50ad92, "
            + "\(SummaryTable.grouped(old.counters.dsbIshst)) and \(acquisitions(old.counters.splitLockAcquisitions)) before it"
    }

    static func errors(_ results: [RunResult]) -> String {
        let failed = results.filter { $0.errors > 0 }
        guard !failed.isEmpty else { return "errors: none of the \(results.count) runs returned ENOMEM or EINVAL" }
        return "errors: \(failed.count) of \(results.count) runs returned ENOMEM or EINVAL: "
            + failed.map { "\(SummaryTable.label($0.spec)) (\($0.errors))" }.joined(separator: "; ")
    }

    static func acquisitions(_ n: Int) -> String { "\(SummaryTable.grouped(n)) split-lock acquisition\(n == 1 ? "" : "s")" }

    /// "(514× fewer)", or nothing when there is nothing to divide by.
    static func ratio(_ before: Int, _ after: Int) -> String {
        after > 0 ? String(format: "(%.0f× fewer)", Double(before) / Double(after)) : ""
    }
}
