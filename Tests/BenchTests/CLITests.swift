import BenchHarness
import Foundation
import Testing

/// Runs the built `bench` executable as a user would.
struct BenchProcess {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bench")
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Output {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

}

/// A fresh folder under the temporary directory for one test's files:
/// `let tmp = try TemporaryFolder(); defer { tmp.remove() }` leaves nothing behind.
struct TemporaryFolder {
    /// Its real path (the output writer resolves symlinks of existing files).
    let folder: String
    var url: URL { URL(fileURLWithPath: folder) }

    init() throws {
        let made = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID())")
        try FileManager.default.createDirectory(at: made, withIntermediateDirectories: false)
        folder = made.resolvingSymlinksInPath().path
    }

    /// The path of `name` in the folder (nothing is created).
    func path(_ name: String) -> String { folder + "/" + name }

    /// Writes `text` to `name` in the folder; its path.
    func file(_ text: String, _ name: String) throws -> String {
        let path = path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The folder and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// A bad input's answer: exit 1, one line on stderr naming `parameter`, nothing on stdout.
func expectOneLineError(_ r: BenchProcess.Output, naming parameter: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 1, sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("bench: \(parameter)"), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
}

/// CSV text as rows of fields, timing columns dropped (they are measured, not counted).
func countedColumns(_ csv: String) -> [[String]] {
    let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = lines[0]
    let timing: Set<String> = ["cpu_ns", "cpu_ns_median", "calib_ns", "cpu_ratio"]
    let keep = header.indices.filter { !timing.contains(header[$0]) }
    return lines.map { row in keep.map { row[$0] } }
}

@Suite struct CLITests {
    @Test(arguments: [
        (["--memory", "12Q"], "--memory"),
        (["--layout", "nope"], "--layout"),
        (["--scenario", "bogus"], "--scenario"),
        (["--lazy", "maybe"], "--lazy"),
        (["--memory", "64T", "--mode", "pte"], "--memory"),
        (["--scenario", "replay"], "--ops"),
        (["--memory", "4G", "--format", "xml"], "--format"),
    ])
    func badInputIsOneLineNamingTheParameterAndNoFile(arguments: [String], parameter: String) throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = tmp.path("bad.csv")
        let r = try BenchProcess.run(arguments + ["--csv", csv])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("bench: \(parameter)"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: csv))
    }

    /// A value that starts with '-' is the option's, checked like any other: a negative
    /// number gets the option's one-line error, not ArgumentParser's "Missing value".
    @Test(arguments: [
        (["run", "--scenario", "perm", "--seed", "-1"], "--seed: '-1' is not valid; use a whole number 0…2^64-1"),
        (["--memory", "-64M"], "--memory: '-64M' is not valid; use a size such as 64M, 256G or 4T (a multiple of 4K)"),
        (["run", "--scenario", "debug-pagealloc", "--softirq-share", "-0.5"], "--softirq-share: '-0.5' is not valid; use a fraction 0…1"),
        (["sweep", "--scenario", "perm", "--requests", "-5,10"], "--requests: '-5' is not valid; use a whole number 0…10,000,000"),
        (["sweep", "--memory", "1G", "--jobs", "-2"], "--jobs: '-2' is not valid; use a whole number ≥ 1, e.g. 2"),
        (["sweep", "--memory", "1G", "--shard", "-1/4"], "--shard: '-1/4' is not valid; use K/N with 1 ≤ K ≤ N, e.g. 2/8"),
        (["run", "--memory", "64M", "--format", "-x"], "--format: '-x' is not valid; use table | csv | json | directmap"),
        (["check", "--time-tolerance", "-1"], "--time-tolerance: '-1.0' is not valid; use a ratio ≥ 0 such as 1.0"),
        (["check", "--min-time-ms", "-5"], "--min-time-ms: '-5' is not valid; use a whole number ≥ 0"),
        (["perfcheck", "--max-change", "-2"], "--max-change: '-2.0' is not valid; use a percentage ≥ 0 such as 2"),
    ])
    func aDashLeadingValueGetsTheOptionsOneLineError(arguments: [String], message: String) throws {
        let r = try BenchProcess.run(arguments)
        #expect(r.status == 1)
        #expect(r.stderr == "bench: \(message)\n")
        #expect(r.stdout.isEmpty)
    }

    /// A CSV input that is missing, not text, or not CSV: one line naming the option and
    /// the file, not Foundation's error dump.
    @Test func unreadableCSVInputsAreOneLineErrors() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let binary = tmp.path("binary.csv")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: URL(fileURLWithPath: binary))
        let ragged = try tmp.file("a,b\n1\n", "ragged.csv"), headerOnly = try tmp.file("a,b\n", "header.csv")
        let missing = tmp.path("missing.csv")
        let cases: [([String], String)] = [
            (["plot", "--input", missing, "--output", tmp.path("plots")], "--input: cannot read '\(missing)' (no such readable file)"),
            (["plot", "--input", binary, "--output", tmp.path("plots")], "--input: '\(binary)' is not UTF-8 text; use a CSV file written by bench"),
            (["check", "--baseline", binary], "--baseline: '\(binary)' is not UTF-8 text; use a CSV file written by bench"),
            (["plot", "--input", headerOnly, "--output", tmp.path("plots")], "--input: no rows in \(headerOnly); use CSVs written by bench"),
            (["check", "--baseline", ragged], "--baseline: '\(ragged)' line 2: 1 fields, but the header names 2"),
            (["costfit", "--table", ragged], "--table: '\(ragged)' line 2: 1 fields, but the header names 2"),
        ]
        for (arguments, message) in cases {
            let r = try BenchProcess.run(arguments)
            #expect(r.status == 1, "\(arguments)")
            #expect(r.stderr == "bench: \(message)\n", "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.path("plots")))
    }

    @Test func overlappingJSONBanksAreRejected() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let json = tmp.path("overlap.json")
        try #"{"banks": [{"start": "0x80000000", "size": "4G"}, {"start": "0x100000000", "size": "1G"}]}"#
            .write(toFile: json, atomically: true, encoding: .utf8)
        let csv = tmp.path("o.csv")
        let r = try BenchProcess.run(["--layout", json, "--csv", csv])
        #expect(r.status == 1 && r.stderr.hasPrefix("bench: --layout:") && r.stderr.contains("overlap"))
        #expect(!FileManager.default.fileExists(atPath: csv))
    }

    @Test func unknownOptionIsAUsageError() throws {
        let r = try BenchProcess.run(["--frobnicate"])
        #expect(r.status != 0 && r.stderr.contains("frobnicate"))
    }

    @Test func bootWritesTheHeaderAndOneRow() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let csv = tmp.path("boot.csv")
        let r = try BenchProcess.run(["--scenario", "boot", "--memory", "4G", "--mode", "pte", "--csv", csv])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("boot (4G)\n") && r.stdout.range(of: "pte +no-alloc-remap +full", options: .regularExpression) != nil)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(String(lines[0]) == CSVSchema.header)
        #expect(lines[1].split(separator: ",", omittingEmptySubsequences: false).count == CSVSchema.columns.count)
        // The figures are the simulation's: the same run in process counts the same.
        let inProcess = try ScenarioRunner.run(spec([("scenario", "boot"), ("memory", "4G"), ("mode", "pte")]))
        #expect(countedColumns(String(lines[0]) + "\n" + lines[1]) == countedColumns(CSVSchema.header + "\n" + CSVSchema.row(inProcess)))
    }

    @Test func sweepRowsAreTheProductAndShardsConcatenate() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let args = ["sweep", "--scenario", "perm", "--memory", "2G", "--requests", "50",
                    "--walker", "leaf,range,pagewalk", "--lazy", "on,off", "--quiet"]
        let whole = tmp.path("whole.csv")
        #expect(try BenchProcess.run(args + ["--csv", whole]).status == 0)
        var parts = ""
        for k in 1...4 {
            let part = tmp.path("part\(k).csv")
            #expect(try BenchProcess.run(args + ["--shard", "\(k)/4", "--csv", part]).status == 0)
            parts += try String(contentsOfFile: part, encoding: .utf8)
        }
        let wholeText = try String(contentsOfFile: whole, encoding: .utf8)
        #expect(wholeText.split(separator: "\n").count == 1 + 3 * 2)
        #expect(countedColumns(parts) == countedColumns(wholeText))
    }

    @Test func badShardIsRejected() throws {
        let r = try BenchProcess.run(["sweep", "--memory", "1G", "--shard", "5/4"])
        #expect(r.status == 1 && r.stderr.hasPrefix("bench: --shard"))
    }

    @Test func sameSeedSameCountsByteForByte() throws {
        let args = ["--scenario", "debug-pagealloc", "--memory", "1G", "--requests", "300", "--seed", "42", "--format", "csv"]
        let a = try BenchProcess.run(args), b = try BenchProcess.run(args)
        #expect(a.status == 0)
        #expect(countedColumns(a.stdout) == countedColumns(b.stdout))
        let other = try BenchProcess.run(args.dropLast(4) + ["--seed", "43", "--format", "csv"])
        #expect(countedColumns(other.stdout) != countedColumns(a.stdout))
    }

    @Test func jsonFormatCarriesTheColumns() throws {
        let r = try BenchProcess.run(["--scenario", "boot", "--memory", "1G", "--format", "json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 1)
        #expect(parsed?[0]["scenario"] as? String == "boot")
        #expect(parsed?[0]["schema_version"] as? Int == CSVSchema.version)
    }
}
