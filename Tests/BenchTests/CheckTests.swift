import BenchHarness
import Testing

@Suite struct CheckTests {
    private func fields(_ r: RunResult) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name), CSVSchema.fields(r)))
    }

    /// The rebuilt run describes itself with the same columns: it runs the same.
    @Test func everySuiteRowRebuildsItsRun() throws {
        for s in Suite.specs(memory: "1G") {
            let row = fields(RunResult(spec: s, layoutName: "single", memoryBytes: 1 << 30))
            let rebuilt = try Check.spec(row: row, line: 2)
            #expect(fields(RunResult(spec: rebuilt, layoutName: "single", memoryBytes: 1 << 30)) == row, "\(SummaryTable.label(s))")
        }
    }

    private var base: [String: String] {
        var r = RunResult(spec: try! spec([]), layoutName: "single", memoryBytes: 1 << 30)
        r.counters.dsbIshst = 1000
        r.cpuNs = 100_000_000
        r.calibrationNs = 50_000_000
        return fields(r)
    }

    @Test func countersMustMatchExactlyUnlessTolerated() {
        var now = base
        now["dsb_ishst"] = "1001"
        let strict = Check.compare(base, now, run: "r", options: .init())
        #expect(strict.count == 1 && strict[0].metric == "dsb_ishst" && strict[0].regression)
        var options = Check.Options()
        options.tolerances = ["dsb_ishst": 0.01]
        #expect(Check.compare(base, now, run: "r", options: options).allSatisfy { !$0.regression })
        #expect(Check.compare(base, base, run: "r", options: .init()).isEmpty)
    }

    /// A column appended after the baseline was written (kpti) is not in the baseline's
    /// header: nothing to compare. A column present but empty still compares.
    @Test func columnsTheBaselineLacksAreNotCompared() {
        var old = base
        old["kpti"] = nil
        var now = base
        now["kpti"] = "on"
        #expect(Check.compare(old, now, run: "r", options: .init()).isEmpty)
        old["kpti"] = ""
        #expect(Check.compare(old, now, run: "r", options: .init()).map(\.metric) == ["kpti"])
    }

    @Test func timingComparesRatiosAgainstTheTolerance() {
        var slower = base, faster = base
        slower["cpu_ratio"] = "4.5000"  // baseline 2.0: 2.25× worse
        faster["cpu_ratio"] = "1.0000"
        #expect(Check.compare(base, slower, run: "r", options: .init()).map(\.regression) == [true])
        #expect(Check.compare(base, faster, run: "r", options: .init()).map(\.regression) == [false])
        var lenient = Check.Options()
        lenient.timeTolerance = 3
        #expect(Check.compare(base, slower, run: "r", options: lenient).map(\.regression) == [false])
        // Every row is timed by default (its cpu_ns is a mean over 50 ms); --min-time-ms skips.
        var short = base, floor = Check.Options()
        short["cpu_ns"] = "1000"
        floor.minimumTimedNs = 50_000_000
        #expect(Check.compare(short, slower, run: "r", options: .init()).map(\.regression) == [true])
        #expect(Check.compare(short, slower, run: "r", options: floor).isEmpty)
    }

    @Test func checkAgainstAFreshBaselinePassesAndATamperedOneFails() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let row = CSVSchema.fields(try ScenarioRunner.run(spec([("scenario", "perm"), ("memory", "1G"), ("requests", "40")])))
        let path = tmp.path("baseline.csv")
        func write(_ fields: [String]) throws {
            try (CSVSchema.header + "\n" + fields.joined(separator: ",") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write(row)
        // Counters only: a unit test asserts no timing.
        var untimed = Check.Options()
        untimed.minimumTimedNs = .max
        let clean = try Check.run(baseline: path, options: untimed)
        #expect(clean.regressions == 0 && clean.runs == 1)
        #expect(clean.summary.hasPrefix("compared 1 run(s), \(CSVSchema.columns.count - 5) metric(s)"))
        let dsb = CSVSchema.columns.firstIndex { $0.name == "dsb_ishst" }!
        var tampered = row
        tampered[dsb] = String(Int(tampered[dsb])! + 1)
        try write(tampered)
        let report = try Check.run(baseline: path, options: untimed)
        #expect(report.changes.contains { $0.metric == "dsb_ishst" && $0.regression })
        let r = try BenchProcess.run(["check", "--baseline", path, "--quiet", "--min-time-ms", "1000000000"])
        #expect(r.status == 1 && r.stdout.contains("REGRESSION") && r.stderr.hasPrefix("bench: check:"))
        #expect(r.stdout.split(separator: "\n").last?.hasSuffix("1 moved, 1 regressed") == true)
    }
}
