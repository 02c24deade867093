import ArgumentParser
import BenchHarness
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-run a baseline CSV and fail on regressions.",
        discussion: """
            Counters (barriers, TLBIs, allocations, leaves, walks, walks_per_1k_accesses, …) must match \
            the baseline exactly unless the tolerance file allows a relative change. Timings \
            compare as cpu_ratio (the operation's CPU time over a reference doing the same kind of work, calib_kind, same process) and \
            only for runs of at least --min-time-ms in the baseline. Prints every metric that \
            moved; exits 1 on a regression.

            Examples:
              bench check --baseline Results/baseline.csv
              ./scripts/results     # regenerates Results/, the baseline included
            """)

    @Option(parsing: .unconditional, help: "Baseline CSV written by bench.") var baseline = "Results/baseline.csv"
    @Option(parsing: .unconditional, help: "CSV of column,relative_tolerance lines.") var tolerances: String?
    @Option(name: .customLong("time-tolerance"), parsing: .unconditional, help: "Allowed growth of cpu_ratio (1.0 = twice as slow).") var timeTolerance = 1.0
    @Option(name: .customLong("min-time-ms"), parsing: .unconditional, help: "Only time runs at least this long in the baseline (cpu_ns, per run over >= 50 ms of repeats).") var minTimeMs = 0
    @Flag(help: "No progress bar.") var quiet = false

    func run() throws {
        try Bench.reportingErrors {
            guard timeTolerance.isFinite, timeTolerance >= 0 else {
                throw RunError("--time-tolerance: '\(timeTolerance)' is not valid; use a ratio ≥ 0 such as 1.0")
            }
            guard minTimeMs >= 0 else { throw RunError("--min-time-ms: '\(minTimeMs)' is not valid; use a whole number ≥ 0") }
            var options = Check.Options()
            options.timeTolerance = timeTolerance
            options.minimumTimedNs = UInt64(minTimeMs) * 1_000_000
            if let tolerances { options.tolerances = try Check.tolerances(path: tolerances) }
            let report = try Check.run(baseline: baseline, options: options, quiet: quiet)
            print(Check.render(report.changes))
            print(report.summary)
            if report.regressions > 0 { throw RunError("check: \(report.regressions) regression(s) against \(baseline)") }
        }
    }
}
