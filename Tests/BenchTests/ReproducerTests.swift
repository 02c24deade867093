import BenchHarness
import Foundation
import Reports
import Testing

/// The harness's reproducers, run as a user would run them.
@Suite struct ReproducerTests {
    /// `--min-time-ms` past every run: these tests compare counters, never timings.
    private let untimed = "1000000000"

    @Test func permRequestsLargerThanAnyBankAreAnError() throws {
        let r = try BenchProcess.run(["--scenario", "perm", "--memory", "64M", "--request-pages", "100000", "--requests", "3"])
        expectOneLineError(r, naming: "--request-pages")
    }

    @Test func debugPageallocOnATinyLastBankIsAnError() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let layout = try tmp.file(#"{"name": "tiny", "banks": [{"start": "0x40000000", "size": "1G"}, {"start": "0x100000000", "size": "4K"}]}"#,
                               "tiny.json")
        let r = try BenchProcess.run(["--scenario", "debug-pagealloc", "--layout", layout, "--requests", "10"])
        expectOneLineError(r, naming: "--layout")
    }

    @Test func anENOMEMRunSaysSoInTheTableAndOnStderr() throws {
        let r = try BenchProcess.run(["--scenario", "repaint", "--memory", "2G", "--fail-after", "3"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("returned ENOMEM or EINVAL"))
        // The errors cell sits right-aligned under its header.
        let lines = r.stdout.split(separator: "\n").map { Array($0) }
        let header = String(lines[1]), row = lines[3]
        let end = try #require(header.range(of: "errors")).upperBound.utf16Offset(in: header)
        #expect(String(row[(end - 6)..<end]).trimmingCharacters(in: .whitespaces) == "1")
    }

    @Test func emptyBaselineIsAnError() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = try tmp.file(CSVSchema.header + "\n", "empty.csv")
        expectOneLineError(try BenchProcess.run(["check", "--baseline", path, "--quiet"]), naming: "--baseline")
    }

    @Test func versionNamesTheSchema() throws {
        let r = try BenchProcess.run(["--version"])
        #expect(r.status == 0 && r.stdout.contains("CSV schema \(CSVSchema.version)"))
    }

    /// Replay rows record their trace's path and SHA-256; check re-runs them while the
    /// file is unchanged and refuses once it changed.
    @Test func replayRowsReRunUntilTheirTraceChanges() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let ops = try tmp.file("op,start,size,context\nset_memory_ro,0xffff000040400000,8192,task\n", "ops.csv")
        let baseline = tmp.path("replay-baseline.csv")
        #expect(try BenchProcess.run(["--scenario", "replay", "--memory", "2G", "--ops", ops, "--csv", baseline, "--quiet"]).status == 0)
        let table = try String(contentsOfFile: baseline, encoding: .utf8)
        #expect(table.contains(ops))
        let ok = try BenchProcess.run(["check", "--baseline", baseline, "--quiet", "--min-time-ms", untimed])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("compared 1 run(s)"))
        try "op,start,size,context\nset_memory_ro,0xffff000040400000,4096,task\n".write(toFile: ops, atomically: true, encoding: .utf8)
        let changed = try BenchProcess.run(["check", "--baseline", baseline, "--quiet", "--min-time-ms", untimed])
        expectOneLineError(changed, naming: "--baseline: line 2: --ops")
    }

    /// JSON-layout rows carry the layout's path, so check can re-run them.
    @Test func jsonLayoutRowsReRun() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let layout = try tmp.file(#"{"name": "two", "banks": [{"start": "0x40000000", "size": "1G"}, {"start": "0x100000000", "size": "1G"}]}"#,
                               "two.json")
        let baseline = tmp.path("json-baseline.csv")
        #expect(try BenchProcess.run(["--scenario", "boot", "--layout", layout, "--csv", baseline, "--quiet"]).status == 0)
        let r = try BenchProcess.run(["check", "--baseline", baseline, "--quiet", "--min-time-ms", untimed])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("compared 1 run(s)") && r.stdout.contains("0 regressed"))
    }

    // MARK: Files

    /// A bad input never touches an existing --csv file.
    @Test(arguments: [
        ["--memory", "64T", "--mode", "pte"], ["--layout", "/nonexistent/x.json"],
        ["--scenario", "tlb", "--trace", "/nonexistent/t.txt"], ["--scenario", "replay", "--ops", "BADTRACE"],
    ])
    func badInputLeavesAnEarlierCSV(arguments: [String]) throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = try tmp.file("EARLIER\n", "out.csv")
        let bad = try tmp.file("op,start,size,context\nset_memory_ro,zzz,4096,task\n", "bad.csv")
        let r = try BenchProcess.run(arguments.map { $0 == "BADTRACE" ? bad : $0 } + ["--csv", csv, "--quiet"])
        #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "EARLIER\n")
        #expect(!FileManager.default.fileExists(atPath: csv + ".partial"))
    }

    /// `--csv trace.csv --ops trace.csv` emptied and deleted the trace.
    @Test func anOutputThatIsAnInputIsRefused() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let text = "op,start,size,context\nset_memory_ro,0xffff000040400000,4096,task\n"
        let ops = try tmp.file(text, "ops.csv")
        let r = try BenchProcess.run(["--scenario", "replay", "--memory", "2G", "--ops", ops, "--csv", ops])
        expectOneLineError(r, naming: "--csv")
        #expect(try String(contentsOfFile: ops, encoding: .utf8) == text)
        let layout = try tmp.file(#"{"banks": [{"start": "0x40000000", "size": "1G"}]}"#, "l.json")
        expectOneLineError(try BenchProcess.run(["--layout", layout, "--csv", layout]), naming: "--csv")
        #expect(try String(contentsOfFile: layout, encoding: .utf8).hasPrefix("{"))
    }

    // MARK: Arithmetic and addresses

    @Test(arguments: [["--memory", "0xFFFFFFFFFFFFF000"], ["--memory", "0xFFFFFFFFFFFF0000", "--layout", "numa4"]])
    func hugeSizesAreOneLineErrors(arguments: [String]) throws {
        expectOneLineError(try BenchProcess.run(arguments), naming: "--memory")
    }

    @Test(arguments: [#"{"banks": [{"start": "0xffffffffffff0000", "size": "1G"}]}"#,
                      #"{"banks": [{"start": "0x40000000", "size": "1G"}], "kernel": {"start": "0xfffffffffff00000", "size": "16M"}}"#])
    func jsonPastTwoToTheSixtyFourIsAnError(json: String) throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        expectOneLineError(try BenchProcess.run(["--layout", try tmp.file(json, "big.json")]), naming: "--layout")
    }

    /// Op `set_memory_ro,0x0,4096,task` changed the page at PAGE_OFFSET and --verify passed.
    @Test func opsOutsideTheLinearMapNameFileLineAndColumn() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let ops = try tmp.file("op,start,size,context\nset_memory_ro,0x0,4096,task\n", "low.csv")
        let r = try BenchProcess.run(["--scenario", "replay", "--memory", "1G", "--ops", ops, "--verify"])
        expectOneLineError(r, naming: "--ops: \(ops):2:15: ")
        let walk = try tmp.file("op,start,size,context\nsplit,0x0,0xffff000000000000,task\n", "lowwalk.csv")
        expectOneLineError(try BenchProcess.run(["--scenario", "replay", "--memory", "1G", "--ops", walk, "--walker", "pagewalk"]),
                           naming: "--ops: \(walk):2:")
    }

    /// A TLB trace of low addresses walked the linear map; now each access faults.
    @Test func lowTraceAddressesFault() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let trace = try tmp.file("0x1000\n0x2000\n", "low.txt")
        let r = try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", trace, "--accesses", "10", "--format", "csv"])
        #expect(r.status == 0)
        let row = try #require(CSVTable(parsing: r.stdout).rows.first)
        #expect(row["tlb_faults"] == "10" && row["dtlb_walk"] == "0")
    }

    @Test func crlfAndABOMAreAccepted() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let ops = try tmp.file("\u{FEFF}op,start,size,context\r\nset_memory_ro,0xffff000040400000,4096,task\r\n", "crlf.csv")
        let r = try BenchProcess.run(["--scenario", "replay", "--memory", "2G", "--ops", ops, "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let trace = try tmp.file("\u{FEFF}0xffff000040400000\r\nnope\r\n", "crlf.txt")
        expectOneLineError(try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", trace]), naming: "--trace")
    }

    // MARK: CSV

    /// A layout name with a comma, or a trace path with one, shifted the columns.
    @Test func fieldsWithCommasAreQuotedAndReRun() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let layout = try tmp.file(#"{"name": "box, two \"banks\"", "banks": [{"start": "0x40000000", "size": "1G"}]}"#, "comma.json")
        let trace = try tmp.file("0xffff000000400000\n", "a,b.txt")
        let csv = tmp.path("quoted.csv")
        let r = try BenchProcess.run(["--scenario", "tlb", "--layout", layout, "--trace", trace, "--accesses", "5",
                                      "--csv", csv, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try CSVTable(contentsOfFile: csv).rows
        #expect(rows.count == 1 && rows[0]["layout_name"] == "box, two \"banks\"" && rows[0]["trace"] == trace)
        #expect(rows[0]["tlb_accesses"] == "5")
        let check = try BenchProcess.run(["check", "--baseline", csv, "--quiet", "--min-time-ms", untimed])
        #expect(check.status == 0 && check.stdout.contains("0 regressed"), "\(check.stderr)")
    }

    /// Fractions rounded to 4 decimals made check report false regressions.
    @Test func fullPrecisionParametersReRunExactly() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = tmp.path("fraction.csv")
        #expect(try BenchProcess.run(["--scenario", "mosaic", "--memory", "2G", "--split-fraction", "0.00005", "--accesses", "1000",
                                      "--csv", csv, "--quiet"]).status == 0)
        #expect(try CSVTable(contentsOfFile: csv).rows.first?["split_fraction_requested"] == "5e-05")
        let check = try BenchProcess.run(["check", "--baseline", csv, "--quiet", "--min-time-ms", untimed])
        #expect(check.status == 0 && check.stdout.contains("0 moved"), "\(check.stdout)")
    }

    // MARK: Memory

    /// Block-mode runs that may split everything are budgeted for a full PTE map.
    @Test func theGuardBudgetsTheWorstCaseTheScenarioReaches() throws {
        expectOneLineError(try BenchProcess.run(["--scenario", "perm", "--memory", "32T", "--requests", "1"]), naming: "--memory")
        let boot = try BenchProcess.run(["--scenario", "boot", "--memory", "32T", "--format", "csv"])
        #expect(boot.status == 0, "\(boot.stderr)")
    }

    // MARK: Review findings

    /// Every file a row read is fingerprinted, so a changed one is named, not reported as
    /// a regression, and an input that no longer parses is still "changed".
    @Test func changedCostModelsAndUnparseableTracesAreNamed() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let costs = #"{"tlbi": 1000, "dsb_ish": 0, "dsb_ishst": 8, "isb": 8, "store": 1.5, "table": 750}"#
        let model = try tmp.file(costs, "cm.json")
        let csv = tmp.path("cm-baseline.csv")
        #expect(try BenchProcess.run(["--scenario", "boot", "--memory", "1G", "--cost-model", model, "--csv", csv, "--quiet"]).status == 0)
        try costs.replacingOccurrences(of: "1000", with: "2000").write(toFile: model, atomically: true, encoding: .utf8)
        expectOneLineError(try BenchProcess.run(["check", "--baseline", csv, "--quiet", "--min-time-ms", untimed]), naming: "--baseline: line 2: --cost-model")
        let trace = try tmp.file("0xffff000000400000\n", "t.txt")
        let tcsv = tmp.path("t-baseline.csv")
        #expect(try BenchProcess.run(["--scenario", "tlb", "--memory", "1G", "--trace", trace, "--accesses", "5", "--csv", tcsv, "--quiet"]).status == 0)
        try "X\n".write(toFile: trace, atomically: true, encoding: .utf8)
        expectOneLineError(try BenchProcess.run(["check", "--baseline", tcsv, "--quiet"]), naming: "--baseline: line 2: --trace")
    }

    /// An injected ENOMEM at boot leaves a partial map by design: --verify checks its form,
    /// not translations a fresh map has, and the row is written.
    @Test func verifyAcceptsAFailedBootsPartialMap() throws {
        let r = try BenchProcess.run(["--scenario", "boot", "--memory", "64M", "--mode", "pte", "--fail-after", "0", "--verify", "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CSVTable(parsing: r.stdout).rows.first?["errors"] == "1")
    }

    @Test func aMissingBaselineIsOneLine() throws {
        expectOneLineError(try BenchProcess.run(["check", "--baseline", "/nonexistent/b.csv"]), naming: "--baseline: cannot read")
    }

    /// Counts that would keep a run going for hours are refused.
    @Test(arguments: [["--scenario", "perm", "--requests", "99999999999"], ["--scenario", "tlb", "--accesses", "9223372036854775807"]])
    func runawayCountsAreRefused(arguments: [String]) throws {
        expectOneLineError(try BenchProcess.run(arguments + ["--memory", "64M"]), naming: "--\(arguments[2].dropFirst(2))")
    }

    /// `--fail-after` near 2^63 trapped after the CSV was opened, leaving a header-only
    /// FILE.partial that then refused every later run. Now it never fails an allocation,
    /// and nothing is created before a run has a row.
    @Test func aHugeFailAfterRunsAndNothingIsLeftBehind() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = try tmp.file("EARLIER\n", "huge.csv")
        let r = try BenchProcess.run(["--scenario", "repaint", "--memory", "1G", "--fail-after", "9223372036854775807", "--csv", csv, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(CSVTable(contentsOfFile: csv).rows.first)
        #expect(row["errors"] == "0" && row["fail_after"] == "9223372036854775807")
        #expect(!FileManager.default.fileExists(atPath: csv + ".partial"))
    }

    /// A run that dies before its first row (here: killed while it builds a large map)
    /// leaves no FILE.partial to block the next run, and the earlier FILE as it was.
    @Test func aRunKilledBeforeItsFirstRowLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = try tmp.file("EARLIER\n", "killed.csv")
        let p = Process()
        p.executableURL = BenchProcess.executable
        p.arguments = ["--scenario", "boot", "--memory", "512G", "--mode", "pte", "--csv", csv, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(200_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == "EARLIER\n")
        #expect(!FileManager.default.fileExists(atPath: csv + ".partial"))
    }

    /// ArgumentParser's own errors are one line as well, naming the option.
    @Test(arguments: [["--bogus"], ["run", "--memory"], ["plot", "--where"]])
    func parserErrorsAreOneLine(arguments: [String]) throws {
        let r = try BenchProcess.run(arguments)
        #expect(r.status != 0 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("bench: ") && r.stderr.contains("'--") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
