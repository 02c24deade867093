import ArgumentParser
import BenchHarness
import Foundation

struct Suite: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the default suite (what `bench` with no arguments runs).",
        discussion: "Examples: bench suite --memory 16G --csv suite16.csv; bench suite --format csv")

    @OptionGroup var output: OutputOptions
    @Option(parsing: .unconditional, help: "RAM of every run (the default suite uses 256G; CI's baseline 16G).") var memory = "256G"
    @Option(parsing: .unconditional, help: "Runs at once, each in its own process (default 1: the committed timings are measured alone).") var jobs: String?

    func run() throws {
        try Bench.reportingErrors {
            _ = try RunSpec.parse([("memory", memory)])
            try Self.runDefault(output: output, memory: memory, jobs: try Jobs.count(jobs, default: 1))
        }
    }

    /// The default suite writes Results/runs/latest.csv unless --csv says otherwise: the
    /// committed reference results are scripts/results' to write.
    static func runDefault(output: OutputOptions, memory: String = "256G", jobs: Int = 1) throws(RunError) {
        var output = output
        if output.csv == nil {
            try? FileManager.default.createDirectory(atPath: "Results/runs", withIntermediateDirectories: true)
            output.csv = "Results/runs/latest.csv"
        }
        let start = Date()
        let results = try output.execute(BenchHarness.Suite.specs(memory: memory),
                                         options: BenchHarness.Suite.options(memory: memory), jobs: jobs)
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
            whole sweep's CSV: spread a big sweep with Slurm job arrays (scripts/slurm-sweep) \
            or GNU parallel.

            --jobs N runs up to N runs at once, each in its own process, starting one only \
            when its memory estimate fits in MemAvailable beside the running ones. Rows keep \
            the sweep's order and the counters are --jobs 1's; the timing columns are \
            measured beside the other jobs.

            Examples:
              bench sweep --scenario boot --memory 64G,256G,1T --mode block,pte
              bench sweep --scenario perm --walker leaf,range,create-path,pagewalk \\
                --lazy on,off --shard 2/4 --csv part2.csv
            """)

    @OptionGroup var simulation: SimulationOptions
    @OptionGroup var output: OutputOptions
    @Option(parsing: .unconditional, help: "Run slice K of N (1 ≤ K ≤ N).") var shard: String?
    @Option(parsing: .unconditional, help: "Runs at once, each in its own process (default: the number of cores, here \(Jobs.cores)).") var jobs: String?

    func run() throws {
        try Bench.reportingErrors {
            let axes = simulation.given.map { (option: $0.0, values: BenchHarness.Sweep.listItems($0.1)) }
            let (all, combinations) = try BenchHarness.Sweep.product(axes)
            let (k, n) = try shard.map { s throws(RunError) in try BenchHarness.Sweep.parseShard(s) } ?? (1, 1)
            let jobs = try Jobs.count(jobs, default: Jobs.cores)
            _ = try output.execute(Array(BenchHarness.Sweep.shard(all, k: k, n: n)), csvHeader: k == 1,
                                   options: Array(BenchHarness.Sweep.shard(combinations, k: k, n: n)), jobs: jobs)
        }
    }
}

/// `--jobs N` of sweep and suite.
enum Jobs {
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    static func count(_ text: String?, default fallback: Int) throws(RunError) -> Int {
        guard let text else { return fallback }
        guard let n = Int(text), n >= 1 else { throw RunError("--jobs: '\(text)' is not valid; use a whole number ≥ 1, e.g. 2") }
        return n
    }
}

/// One run of a `--jobs` sweep, in its own process: the measured half of its result as
/// JSON on stdout (see ParallelRuns), errors as every run's.
struct Job: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ParallelRuns.jobCommand, abstract: "One run of a --jobs sweep (internal).", shouldDisplay: false)

    @OptionGroup var simulation: SimulationOptions
    @Flag var verify = false

    func run() throws {
        try Bench.reportingErrors {
            var spec = try simulation.spec()
            spec.verify = verify
            print(ParallelRuns.report(try ScenarioRunner.run(spec)))
        }
    }
}
