import Foundation
import Reports

/// `bench check`: re-run a baseline CSV's configurations and compare. Counters must
/// match exactly unless a tolerance says otherwise; timings compare as ratios to the
/// memset calibration measured in the same run.
public enum Check {
    /// Columns that are measured, not counted.
    static let timingColumns: Set<String> = ["wall_ns", "wall_ns_median", "calib_ns", "calib_kind", "wall_ratio"]

    /// One metric that moved.
    public struct Change: Sendable {
        public var run: String
        public var metric: String
        public var baseline: String
        public var now: String
        public var regression: Bool
    }

    public struct Options: Sendable {
        /// Allowed relative change per column; absent columns must match exactly.
        public var tolerances: [String: Double] = [:]
        /// wall_ratio may grow by this fraction before it is a regression.
        public var timeTolerance = 1.0
        /// Runs shorter than this in the baseline are too noisy to time.
        public var minimumTimedNs: UInt64 = 50_000_000
        public init() {}
    }

    /// The parameter columns a configuration is rebuilt from, as (column, option).
    static let parameters: [(String, String)] = [
        ("scenario", "scenario"), ("lazy", "lazy"), ("nesting", "nesting"), ("layout", "layout"),
        ("memory_bytes", "memory"), ("mode", "mode"), ("tlbi_range_support", "tlbi-range"), ("seed", "seed"),
        ("requests", "requests"), ("request_pages", "request-pages"), ("placement", "placement"),
        ("kfence_pool", "kfence"), ("repeat_tlbi", "repeat-tlbi"), ("softirq_share", "softirq-share"),
        ("nested_share", "nested-share"), ("fail_after", "fail-after"), ("accesses", "accesses"), ("zipf", "zipf"),
        ("working_set_bytes", "working-set"), ("split_fraction_requested", "split-fraction"), ("tlb", "tlb"), ("trace", "trace"),
    ]

    /// The configuration a CSV row was produced by.
    public static func config(row: [String: String], line: Int) throws(RunError) -> RunConfig {
        var c = RunConfig()
        do throws(RunError) {
            for (column, option) in parameters {
                guard let value = row[column] else { throw RunError("missing column \(column)") }
                if !value.isEmpty { try c.apply(option: option, value: value) }
            }
            let variant = row["variant"] ?? ""
            if c.scenario == .boot { try c.apply(option: "create-barriers", value: variant) } else { try c.apply(option: "variant", value: variant) }
            if [.perm, .replay, .mosaic].contains(c.scenario), let walker = row["walker"] { try c.apply(option: "walker", value: walker) }
            guard c.scenario != .replay else { throw RunError("replay rows cannot be re-run (the trace file is not in the CSV)") }
        } catch {
            throw RunError("--baseline: line \(line): \(error.description)")
        }
        return c
    }

    /// Changes between a baseline row and a fresh one (both as CSV fields by column).
    public static func compare(_ base: [String: String], _ now: [String: String], run: String, options: Options) -> [Change] {
        var changes: [Change] = []
        for column in CSVSchema.columns.map(\.name) where !timingColumns.contains(column) {
            let b = base[column] ?? "", n = now[column] ?? ""
            guard b != n else { continue }
            var regression = true
            if let tolerance = options.tolerances[column], let x = Double(b), let y = Double(n) {
                regression = abs(y - x) > tolerance * abs(x)
            }
            changes.append(Change(run: run, metric: column, baseline: b, now: n, regression: regression))
        }
        if let bt = UInt64(base["wall_ns"] ?? ""), bt >= options.minimumTimedNs,
           let b = Double(base["wall_ratio"] ?? ""), let n = Double(now["wall_ratio"] ?? ""), b > 0 {
            let tolerance = options.tolerances["wall_ratio"] ?? options.timeTolerance
            if abs(n / b - 1) > 0.05 {
                changes.append(Change(run: run, metric: "wall_ratio", baseline: base["wall_ratio"]!, now: now["wall_ratio"]!,
                                      regression: n > b * (1 + tolerance)))
            }
        }
        return changes
    }

    /// Reads a tolerance file: lines `column,relative_tolerance` (a header line is allowed).
    public static func tolerances(path: String) throws(RunError) -> [String: Double] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunError("--tolerances: cannot read '\(path)'")
        }
        var result: [String: Double] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if i == 0 && fields.first == "column" { continue }
            guard fields.count == 2, let t = Double(fields[1]), t >= 0 else {
                throw RunError("--tolerances: line \(i + 1): expected 'column,relative_tolerance'")
            }
            result[fields[0]] = t
        }
        return result
    }

    /// Re-runs every baseline row; returns the changes found.
    public static func run(baseline path: String, options: Options, progress: Progress?) throws(RunError) -> [Change] {
        let table: CSVTable
        do { table = try CSVTable(contentsOfFile: path) } catch { throw RunError("--baseline: \(path): \(error)") }
        let configs = try table.rows.enumerated().map { i, row throws(RunError) in try config(row: row, line: i + 2) }
        var changes: [Change] = []
        for (i, (row, config)) in zip(table.rows, configs).enumerated() {
            progress?.update(done: i, label: SummaryTable.label(config))
            let result = try ScenarioRunner.run(config)
            let now = Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name),
                CSVSchema.row(result).split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
            changes += compare(row, now, run: "line \(i + 2): \(SummaryTable.label(config))", options: options)
        }
        progress?.finish()
        return changes
    }

    public static func render(_ changes: [Change]) -> String {
        guard !changes.isEmpty else { return "no metric moved" }
        let rows = [["run", "metric", "baseline", "now", "verdict"]]
            + changes.map { [$0.run, $0.metric, $0.baseline, $0.now, $0.regression ? "REGRESSION" : "ok"] }
        let widths = (0..<5).map { i in rows.map { $0[i].count }.max()! }
        return rows.map { row in row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            .joined(separator: "  ") }.joined(separator: "\n")
    }
}
