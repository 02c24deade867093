import BenchHarness
import Testing

@Suite struct CheckTests {
    private func fields(_ r: RunResult) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(CSVSchema.columns.map(\.name),
            CSVSchema.row(r).split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
    }

    /// The rebuilt configuration describes itself with the same columns: it runs the same.
    @Test func everySuiteRowRebuildsItsConfiguration() throws {
        for config in Suite.configs(memory: 1 << 30) {
            let row = fields(RunResult(config: config, layoutName: config.layout, memoryBytes: config.memory))
            let rebuilt = try Check.config(row: row, line: 2)
            #expect(fields(RunResult(config: rebuilt, layoutName: rebuilt.layout, memoryBytes: rebuilt.memory)) == row,
                    "\(SummaryTable.label(config))")
        }
    }

    private var base: [String: String] {
        var r = RunResult(config: RunConfig(), layoutName: "single", memoryBytes: 1 << 30)
        r.counters.dsbIshst = 1000
        r.wallNs = 100_000_000
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

    @Test func timingComparesRatiosAgainstTheTolerance() {
        var slower = base, faster = base
        slower["wall_ratio"] = "4.5000"  // baseline 2.0: 2.25× worse
        faster["wall_ratio"] = "1.0000"
        #expect(Check.compare(base, slower, run: "r", options: .init()).map(\.regression) == [true])
        #expect(Check.compare(base, faster, run: "r", options: .init()).map(\.regression) == [false])
        var lenient = Check.Options()
        lenient.timeTolerance = 3
        #expect(Check.compare(base, slower, run: "r", options: lenient).map(\.regression) == [false])
        var short = base
        short["wall_ns"] = "1000"
        #expect(Check.compare(short, slower, run: "r", options: .init()).isEmpty)
    }

    @Test func checkAgainstAFreshBaselinePassesAndATamperedOneFails() throws {
        var config = RunConfig()
        for (o, v) in [("scenario", "perm"), ("memory", "1G"), ("requests", "40")] { try config.apply(option: o, value: v) }
        let row = CSVSchema.row(try ScenarioRunner.run(config))
        let path = BenchProcess.temporaryPath("baseline.csv")
        try (CSVSchema.header + "\n" + row + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Check.run(baseline: path, options: .init(), progress: nil).filter(\.regression).isEmpty)
        let dsb = CSVSchema.columns.firstIndex { $0.name == "dsb_ishst" }!
        var tampered = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        tampered[dsb] = String(Int(tampered[dsb])! + 1)
        try (CSVSchema.header + "\n" + tampered.joined(separator: ",") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let changes = try Check.run(baseline: path, options: .init(), progress: nil)
        #expect(changes.contains { $0.metric == "dsb_ishst" && $0.regression })
        let r = try BenchProcess.run(["check", "--baseline", path, "--quiet"])
        #expect(r.status == 1 && r.stdout.contains("REGRESSION") && r.stderr.hasPrefix("bench: check:"))
    }
}
