import ArgumentParser
import BenchHarness
import Foundation

/// The simulation parameters, as text: `RunConfig.apply` parses them, so `run` and
/// `sweep` (where each may be a comma-separated list) share one parser and its errors.
struct SimulationOptions: ParsableArguments {
    @Option(help: "boot | perm | repaint | kfence | debug-pagealloc | replay | tlb | mosaic") var scenario: String?
    @Option(help: "Split walker: leaf | range | create-path | pagewalk (perm, replay).") var walker: String?
    @Option(help: "Lazy-MMU batching: on | off.") var lazy: String?
    @Option(help: "Nested lazy-MMU policy: tolerant | never-nest | counted.") var nesting: String?
    @Option(help: "single | numa2 | numa4 | ampereone-256g | FILE.json") var layout: String?
    @Option(help: "Simulated RAM, e.g. 64M, 256G, 4T.") var memory: String?
    @Option(help: "map_mem mapping: block (BBML2) | pte (force_pte_mapping).") var mode: String?
    @Option(help: "Seed of every random choice.") var seed: String?
    @Option(help: "perm requests / debug-pagealloc events.") var requests: String?
    @Option(name: .customLong("request-pages"), help: "perm request size in pages: N, A-B or pow2:K.") var requestPages: String?
    @Option(help: "perm request placement: uniform | clustered.") var placement: String?
    @Option(name: .customLong("create-barriers"), help: "map_mem barriers: batched (v6.10+) | per-entry.") var createBarriers: String?
    @Option(help: "kfence pool: late | early (an early pool is carved out of the linear map).") var kfence: String?
    @Option(name: .customLong("tlbi-range"), help: "FEAT_TLBIRANGE: on | off.") var tlbiRange: String?
    @Option(name: .customLong("repeat-tlbi"), help: "REPEAT_TLBI erratum: on | off.") var repeatTLBI: String?
    @Option(help: "repaint: v6.18 | yang-v5; kfence: ce2b3a50ad92 | before-ce2b3a50ad92; perm, debug-pagealloc: v6.18 | before-ce2b3a50ad92.") var variant: String?
    @Option(name: .customLong("softirq-share"), help: "debug-pagealloc: fraction of events in softirq.") var softirqShare: String?
    @Option(name: .customLong("nested-share"), help: "debug-pagealloc: fraction nested in an outer lazy section.") var nestedShare: String?
    @Option(help: "replay: CSV trace with columns op,start,size,context.") var ops: String?
    @Option(name: .customLong("fail-after"), help: "Inject ENOMEM after N more table allocations.") var failAfter: String?
    @Option(help: "Time the operation N times; report min and median.") var `repeat`: String?
    @Option(help: "tlb, mosaic: simulated TLB preset n1 | v2.") var tlb: String?
    @Option(help: "tlb, mosaic: uniform | sequential | zipf | hotset | memcached | FILE of hex VAs.") var trace: String?
    @Option(help: "tlb, mosaic: accesses to simulate.") var accesses: String?
    @Option(help: "zipf trace: exponent s > 0.") var zipf: String?
    @Option(name: .customLong("working-set"), help: "hotset trace: working-set size, e.g. 64M.") var workingSet: String?
    @Option(name: .customLong("split-fraction"), help: "mosaic: fraction 0…1 of the block map split to PTEs.") var splitFraction: String?

    /// (option, value) for every option given.
    var given: [(String, String)] {
        let all: [(String, String?)] = [
            ("scenario", scenario), ("walker", walker), ("lazy", lazy), ("nesting", nesting), ("layout", layout),
            ("memory", memory), ("mode", mode), ("seed", seed), ("requests", requests), ("request-pages", requestPages),
            ("placement", placement), ("create-barriers", createBarriers), ("kfence", kfence), ("tlbi-range", tlbiRange),
            ("repeat-tlbi", repeatTLBI), ("variant", variant), ("softirq-share", softirqShare),
            ("nested-share", nestedShare), ("ops", ops), ("fail-after", failAfter), ("repeat", `repeat`),
            ("tlb", tlb), ("trace", trace), ("accesses", accesses), ("zipf", zipf), ("working-set", workingSet),
            ("split-fraction", splitFraction),
        ]
        return all.compactMap { name, value in value.map { (name, $0) } }
    }

    func config() throws(RunError) -> RunConfig {
        var c = RunConfig()
        for (name, value) in given { try c.apply(option: name, value: value) }
        return c
    }
}

struct OutputOptions: ParsableArguments {
    @Option(help: "Write one CSV row per run to FILE.") var csv: String?
    @Option(help: "stdout format: table | csv | json.") var format: String = "table"
    @Flag(help: "No progress bar.") var quiet = false
    @Flag(help: "Check the final map with the verifier and the translation oracle.") var verify = false

    func checkFormat() throws(RunError) {
        guard ["table", "csv", "json"].contains(format) else {
            throw RunError("--format: '\(format)' is not valid; use table | csv | json")
        }
    }

    /// Runs `configs`, streaming rows to --csv, and prints them in --format.
    func execute(_ configs: [RunConfig], csvHeader: Bool = true) throws(RunError) -> [RunResult] {
        try checkFormat()
        let configs = configs.map { c in var c = c; c.verify = verify; return c }
        let csvFile = try csv.map { path throws(RunError) in try CSVOutput(path: path, header: csvHeader) }
        let results: [RunResult]
        do { results = try runAll(configs, csv: csvFile, progress: Progress(total: configs.count, quiet: quiet)) } catch {
            if let note = csvFile?.abandonNote { FileHandle.standardError.write(Data("bench: \(note)\n".utf8)) }
            throw error
        }
        switch format {
        case "csv": print(([CSVSchema.header] + results.map(CSVSchema.row)).joined(separator: "\n"))
        case "json": print(SummaryTable.json(results))
        default: print(SummaryTable.render(results))
        }
        return results
    }
}
