import BenchHarness
import Foundation
import Reports
import Testing

@Suite struct OutputFileTests {
    private func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    private func result() throws -> RunResult {
        try ScenarioRunner.run(RunSpec.parse([("memory", "64M")]))
    }

    @Test func rowsReplaceTheFileOnlyWhenFinished() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = tmp.path("a.csv")
        try "OLD\n".write(toFile: path, atomically: false, encoding: .utf8)
        let csv = try CSVOutput(path: path)
        try csv.append(result())
        #expect(text(path) == "OLD\n")
        #expect(text(path + ".partial")?.split(separator: "\n").count == 2)
        try csv.finish()
        #expect(text(path)?.split(separator: "\n").first.map(String.init) == CSVSchema.header)
        #expect(text(path)?.split(separator: "\n").count == 2)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test func abandonKeepsTheRowsAndTheEarlierFile() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = tmp.path("a.csv")
        try "OLD\n".write(toFile: path, atomically: false, encoding: .utf8)
        let csv = try CSVOutput(path: path)
        try csv.append(result())
        try csv.append(result())
        #expect(csv.abandon() == "partial rows kept in \(path).partial")
        #expect(csv.abandonNote == "partial rows kept in \(path).partial")
        #expect(text(path) == "OLD\n")
        #expect(text(path + ".partial")?.split(separator: "\n").count == 3)
    }

    @Test func abandonWithoutRowsLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = tmp.path("a.csv")
        let csv = try CSVOutput(path: path)
        #expect(csv.abandon() == nil)
        #expect(csv.abandonNote == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent) == [])
    }

    @Test func writeErrorsPropagateOutOfRunAll() throws {
        let c = try RunSpec.parse([("memory", "64M")])
        let full = RunError("--csv: cannot write '/dev/full' (No space left on device)")
        // The header goes out with the first row.
        #expect(throws: full) { try runAll([c], csv: CSVOutput(path: "/dev/full"), progress: nil) }
        let csv = try CSVOutput(path: "/dev/full", header: false)
        #expect(throws: full) { try runAll([c], csv: csv, progress: nil) }
        // A device cannot be renamed over, so there is nothing to keep.
        #expect(csv.abandonNote == nil)
    }

    @Test func badTargetsAreOneLineErrors() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.folder
        #expect(throws: RunError("--csv: folder '\(dir)/missing' does not exist")) { try CSVOutput(path: dir + "/missing/a.csv") }
        #expect(throws: RunError("--csv: '\(dir)' is a folder; name a file")) { try CSVOutput(path: dir) }
        #expect(throws: RunError("--csv: needs a file name")) { try CSVOutput(path: "") }
        #expect(FileManager.default.createFile(atPath: dir + "/a.csv.partial", contents: Data("rows\n".utf8)))
        #expect(throws: RunError("--csv: '\(dir)/a.csv.partial' exists, kept from a run that did not finish; move or remove it")) {
            try CSVOutput(path: dir + "/a.csv")
        }
        #expect(text(dir + "/a.csv.partial") == "rows\n")
    }

    @Test func aSymlinkStaysALinkToTheNewRows() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.folder
        try "OLD\n".write(toFile: dir + "/real.csv", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.csv", withDestinationPath: "real.csv")
        try OutputFile.write("new\n", to: dir + "/link.csv", option: "--output")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.csv") == "real.csv")
        #expect(text(dir + "/real.csv") == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.csv", "real.csv"])
    }

    @Test func wholeTextWritesReplaceOrFailCleanly() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = tmp.path("plot.svg")
        try OutputFile.write("one", to: path, option: "--output")
        try OutputFile.write("two", to: path, option: "--output")
        #expect(text(path) == "two")
        #expect(throws: OutputError("--output: cannot write '/dev/full' (No space left on device)")) {
            try OutputFile.write("x", to: "/dev/full", option: "--output")
        }
    }

    @Test func anOutputThatIsAnInputIsRefused() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let dir = tmp.folder
        #expect(FileManager.default.createFile(atPath: dir + "/trace.csv", contents: Data()))
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.csv", withDestinationPath: "trace.csv")
        let inputs: [(option: String, path: String?)] = [("--layout", nil), ("--ops", dir + "/trace.csv")]
        for same in [dir + "/./trace.csv", dir + "/alias.csv", dir + "//trace.csv"] {
            #expect(throws: OutputError("--csv: '\(same)' is also an input (--ops); choose another file")) {
                try OutputFile.refuseOverlap(output: same, inputs: inputs, option: "--csv")
            }
        }
        // Neither exists yet: the same path, spelt differently, is still the same file.
        #expect(throws: OutputError("--csv: '\(dir)/./new.csv' is also an input (--baseline); choose another file")) {
            try OutputFile.refuseOverlap(output: dir + "/./new.csv", inputs: [("--baseline", dir + "/new.csv")], option: "--csv")
        }
        try OutputFile.refuseOverlap(output: dir + "/other.csv", inputs: inputs, option: "--csv")
    }

    @Test func cliWriteErrorExitsOneWithOneLine() throws {
        let r = try BenchProcess.run(["--scenario", "boot", "--memory", "64M", "--quiet", "--csv", "/dev/full"])
        #expect(r.status == 1)
        #expect(r.stderr == "bench: --csv: cannot write '/dev/full' (No space left on device)\n")
    }

    /// A killed sweep leaves the earlier file as it was and its finished rows in FILE.partial.
    @Test func killedSweepKeepsEarlierFileAndPartialRows() throws {
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let path = tmp.path("sweep.csv")
        try "OLD\n".write(toFile: path, atomically: false, encoding: .utf8)
        let p = Process()
        p.executableURL = BenchProcess.executable
        p.arguments = ["sweep", "--scenario", "perm", "--memory", "2G", "--requests", "300",
                       "--seed", (1...200).map(String.init).joined(separator: ","), "--quiet", "--csv", path]
        // Killed, the sweep cannot remove its --jobs scratch folder: it makes it in ours.
        p.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp.folder]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while (text(path + ".partial")?.split(separator: "\n").count ?? 0) < 3, p.isRunning, Date() < deadline { usleep(5_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(text(path) == "OLD\n")
        let lines = text(path + ".partial")?.split(separator: "\n") ?? []
        #expect(lines.count >= 3 && lines.count < 201)
        #expect(lines.first.map(String.init) == CSVSchema.header)
    }
}
