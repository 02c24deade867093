import Foundation
import Reports

/// `bench check`: re-run a baseline CSV's configurations and compare. Counters must
/// match exactly unless a tolerance says otherwise; timings compare as ratios to the
/// reference (`calib_kind`) measured in the same run.
public enum Check {
    /// Columns that are measured, not counted.
    static let timingColumns: Set<String> = ["cpu_ns", "cpu_ns_median", "calib_ns", "calib_kind", "cpu_ratio"]

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
        /// cpu_ratio may grow by this fraction before it is a regression.
        public var timeTolerance = 1.0
        /// Runs shorter than this in the baseline are not timed. None by default: every
        /// timing already stands on 50 ms of repeats (see `Calibration.repeated`).
        public var minimumTimedNs: UInt64 = 0
        public init() {}
    }

    /// The run a CSV row was produced by, refused when an input file it read has changed.
    public static func spec(row: [String: String], line: Int) throws(RunError) -> RunSpec {
        do throws(RunError) {
            guard let version = row["schema_version"], version == String(CSVSchema.version) else {
                throw RunError("schema_version \(row["schema_version"] ?? "missing") is not \(CSVSchema.version); re-create the baseline with this bench")
            }
            return try RunSpec.parse(row: row)
        } catch {
            throw RunError("--baseline: line \(line): \(error.description)")
        }
    }

    /// The input files must be the ones the baseline ran: compared before the run is
    /// prepared, so a changed input is named even when it no longer parses.
    static func checkInputs(_ row: [String: String], _ spec: RunSpec, line: Int) throws(RunError) {
        for (option, path) in spec.inputs {
            guard let hash = CSVSchema.hashColumns[option].flatMap({ row[$0] }), !hash.isEmpty,
                  let now = SHA256.hexDigest(ofFile: path), now != hash else { continue }
            throw RunError("--baseline: line \(line): --\(option) '\(path)' changed since the baseline was written (SHA-256 \(now.prefix(12))…, baseline \(hash.prefix(12))…)")
        }
    }

    /// Changes between a baseline row and a fresh one (both as CSV fields by column).
    public static func compare(_ base: [String: String], _ now: [String: String], run: String, options: Options) -> [Change] {
        var changes: [Change] = []
        // A column the baseline file lacks altogether (a hand-trimmed baseline) has nothing
        // to compare; an empty field still compares.
        for column in CSVSchema.columns.map(\.name) where !timingColumns.contains(column) && base[column] != nil {
            let b = base[column] ?? "", n = now[column] ?? ""
            guard b != n else { continue }
            var regression = true
            if let tolerance = options.tolerances[column], let x = Double(b), let y = Double(n) {
                regression = abs(y - x) > tolerance * abs(x)
            }
            changes.append(Change(run: run, metric: column, baseline: b, now: n, regression: regression))
        }
        if isTimed(base, options), let b = Double(base["cpu_ratio"] ?? ""), let n = Double(now["cpu_ratio"] ?? ""), b > 0 {
            let tolerance = options.tolerances["cpu_ratio"] ?? options.timeTolerance
            if abs(n / b - 1) > 0.05 {
                changes.append(Change(run: run, metric: "cpu_ratio", baseline: base["cpu_ratio"]!, now: now["cpu_ratio"]!,
                                      regression: n > b * (1 + tolerance)))
            }
        }
        return changes
    }

    /// A baseline run long enough for its timing to be compared.
    static func isTimed(_ base: [String: String], _ options: Options) -> Bool {
        UInt64(base["cpu_ns"] ?? "").map { $0 >= options.minimumTimedNs } ?? false
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

    /// What a check compared.
    public struct Report: Sendable {
        public var changes: [Change] = []
        public var runs = 0
        public var metrics = 0
        public var regressions: Int { changes.filter(\.regression).count }

        /// The closing line: how much was compared and how much regressed.
        public var summary: String {
            "compared \(runs) run(s), \(metrics) metric(s): \(changes.count) moved, \(regressions) regressed"
        }
    }

    /// Re-runs every baseline row; returns what moved.
    public static func run(baseline path: String, options: Options, quiet: Bool = true) throws(RunError) -> Report {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw RunError("--baseline: cannot read '\(path)' (no such readable file)")
        }
        let table: CSVTable
        do { table = try CSVTable(contentsOfFile: path) } catch { throw RunError("--baseline: \(error)") }
        guard !table.rows.isEmpty else { throw RunError("--baseline: \(path) has no rows to check") }
        let specs = try table.rows.enumerated().map { i, row throws(RunError) in try spec(row: row, line: i + 2) }
        let progress = Progress(total: specs.count, quiet: quiet)
        var report = Report()
        for (i, (row, spec)) in zip(table.rows, specs).enumerated() {
            progress?.update(done: i, label: SummaryTable.label(spec))
            try checkInputs(row, spec, line: i + 2)
            let prepared: ScenarioRunner.Prepared
            do { prepared = try ScenarioRunner.prepare(spec) } catch {
                throw RunError("--baseline: line \(i + 2): \(error.description)")
            }
            let label = "line \(i + 2): \(SummaryTable.label(spec))"
            var changes = compare(row, fields(try ScenarioRunner.run(prepared)), run: label, options: options)
            // A slower timing must show twice: one run that another process disturbed
            // (this machine is shared) is not a regression; the faster run counts.
            if changes.contains(where: { $0.metric == "cpu_ratio" && $0.regression }) {
                let again = compare(row, fields(try ScenarioRunner.run(prepared)), run: label, options: options)
                // No cpu_ratio change: within 5 % of the baseline, so faster than the first.
                let ratio = { (c: [Change]) in c.first { $0.metric == "cpu_ratio" }.flatMap { Double($0.now) } ?? 0 }
                if ratio(again) < ratio(changes) {
                    changes = changes.filter { $0.metric != "cpu_ratio" } + again.filter { $0.metric == "cpu_ratio" }
                }
            }
            report.changes += changes
            report.runs += 1
            report.metrics += CSVSchema.columns.filter { row[$0.name] != nil && !timingColumns.contains($0.name) }.count
                + (isTimed(row, options) ? 1 : 0)
        }
        progress?.finish()
        return report
    }

    /// A result as CSV fields by column.
    static func fields(_ result: RunResult) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name), CSVSchema.fields(result)))
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
