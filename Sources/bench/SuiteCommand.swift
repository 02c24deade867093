import ArgumentParser
import BenchHarness
import Foundation

struct Suite: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the default suite (what `bench` with no arguments runs).",
        discussion: "Examples: bench suite --memory 16G --csv suite16.csv; bench suite --format csv")

    @OptionGroup var output: OutputOptions
    @Option(help: "RAM of every run (the default suite uses 256G; CI's baseline 16G).") var memory = "256G"

    func run() throws {
        try Bench.reportingErrors {
            _ = try RunSpec.parse([("memory", memory)])
            try Self.runDefault(output: output, memory: memory)
        }
    }

    /// The default suite writes Results/runs/latest.csv unless --csv says otherwise: the
    /// committed reference results are scripts/results' to write.
    static func runDefault(output: OutputOptions, memory: String = "256G") throws(RunError) {
        var output = output
        if output.csv == nil {
            try? FileManager.default.createDirectory(atPath: "Results/runs", withIntermediateDirectories: true)
            output.csv = "Results/runs/latest.csv"
        }
        let start = Date()
        let results = try output.execute(BenchHarness.Suite.specs(memory: memory))
        if output.format == "table" { print("\n" + Findings.lines(results).joined(separator: "\n")) }
        FileHandle.standardError.write(Data(String(format: "bench: %d runs in %.1f s; CSV in %@\n",
                                                   results.count, Date().timeIntervalSince(start), output.csv!).utf8))
    }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the cartesian product of comma-separated parameter lists.",
        discussion: """
            Every simulation option takes a comma-separated list (--memory 64G,256G --lazy on,off; \
            write \\, for a comma inside an item, such as a file name) and the sweep runs every \
            combination, the last option varying fastest. An option must apply to every \
            combination: --lazy with --scenario boot,perm is an error naming boot.

            Rows are streamed to --csv as each run finishes. --shard K/N runs the K-th of N \
            contiguous slices (header in slice 1 only), so `cat` of the slices' CSVs is the \
            whole sweep's CSV: spread a big sweep with Slurm job arrays or GNU parallel.

            Examples:
              bench sweep --scenario boot --memory 64G,256G,1T --mode block,pte
              bench sweep --scenario perm --walker leaf,range,create-path,pagewalk \\
                --lazy on,off --shard 2/4 --csv part2.csv
            """)

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Run slice K of N (1 ≤ K ≤ N).") var shard: String?

    func run() throws {
        try Bench.reportingErrors {
            let axes = simulation.given.map { (option: $0.0, values: BenchHarness.Sweep.listItems($0.1)) }
            let all = try BenchHarness.Sweep.product(axes)
            let (k, n) = try shard.map { s throws(RunError) in try BenchHarness.Sweep.parseShard(s) } ?? (1, 1)
            _ = try output.execute(Array(BenchHarness.Sweep.shard(all, k: k, n: n)), csvHeader: k == 1)
        }
    }
}
