import BenchHarness
import Foundation
import Testing

/// The harness's reproducers, run as a user would run them.
@Suite struct ReproducerTests {
    private func write(_ text: String, _ name: String) throws -> String {
        let path = BenchProcess.temporaryPath(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func expectOneLineError(_ r: BenchProcess.Output, naming parameter: String) {
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("bench: \(parameter)"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func permRequestsLargerThanAnyBankAreAnError() throws {
        let r = try BenchProcess.run(["--scenario", "perm", "--memory", "64M", "--request-pages", "100000", "--requests", "3"])
        expectOneLineError(r, naming: "--request-pages")
    }

    @Test func debugPageallocOnATinyLastBankIsAnError() throws {
        let layout = try write(#"{"name": "tiny", "banks": [{"start": "0x40000000", "size": "1G"}, {"start": "0x100000000", "size": "4K"}]}"#,
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
        let path = try write(CSVSchema.header + "\n", "empty.csv")
        expectOneLineError(try BenchProcess.run(["check", "--baseline", path, "--quiet"]), naming: "--baseline")
    }

    @Test func versionNamesTheSchema() throws {
        let r = try BenchProcess.run(["--version"])
        #expect(r.status == 0 && r.stdout.contains("CSV schema \(CSVSchema.version)"))
    }

    /// Replay rows record their trace's path and SHA-256; check re-runs them while the
    /// file is unchanged and refuses once it changed.
    @Test func replayRowsReRunUntilTheirTraceChanges() throws {
        let ops = try write("op,start,size,context\nset_memory_ro,0xffff000040400000,8192,task\n", "ops.csv")
        let baseline = BenchProcess.temporaryPath("replay-baseline.csv")
        #expect(try BenchProcess.run(["--scenario", "replay", "--memory", "2G", "--ops", ops, "--csv", baseline, "--quiet"]).status == 0)
        let table = try String(contentsOfFile: baseline, encoding: .utf8)
        #expect(table.contains(ops))
        let ok = try BenchProcess.run(["check", "--baseline", baseline, "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("compared 1 run(s)"))
        try "op,start,size,context\nset_memory_ro,0xffff000040400000,4096,task\n".write(toFile: ops, atomically: true, encoding: .utf8)
        let changed = try BenchProcess.run(["check", "--baseline", baseline, "--quiet"])
        expectOneLineError(changed, naming: "--baseline: line 2: --ops")
    }

    /// JSON-layout rows carry the layout's path, so check can re-run them.
    @Test func jsonLayoutRowsReRun() throws {
        let layout = try write(#"{"name": "two", "banks": [{"start": "0x40000000", "size": "1G"}, {"start": "0x100000000", "size": "1G"}]}"#,
                               "two.json")
        let baseline = BenchProcess.temporaryPath("json-baseline.csv")
        #expect(try BenchProcess.run(["--scenario", "boot", "--layout", layout, "--csv", baseline, "--quiet"]).status == 0)
        let r = try BenchProcess.run(["check", "--baseline", baseline, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("compared 1 run(s)") && r.stdout.contains("0 regressed"))
    }
}
