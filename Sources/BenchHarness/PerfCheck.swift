import CStreamingStores
import Foundation

/// `bench perfcheck`: the instructions of the measured operation (callgrind's Ir between
/// `splitbench_measure_begin` and `_end`) for one small configuration per scenario, against
/// a committed baseline. Unlike timings on a shared machine, the count repeats exactly,
/// so a 2 % threshold catches a slower walker loop.
public enum PerfCheck {
    /// One configuration per scenario at 4 GiB, given as `bench run` options.
    public static let configurations = [
        "--scenario boot --memory 4G --mode pte",
        "--scenario perm --memory 4G --requests 1000",
        "--scenario repaint --memory 4G",
        "--scenario kfence --memory 4G",
        "--scenario debug-pagealloc --memory 4G --requests 2000",
        "--scenario replay --memory 4G --ops Results/instructions-ops.csv",
        "--scenario tlb --memory 4G --mode pte --accesses 200000",
        "--scenario mosaic --memory 4G --split-fraction 0.1 --accesses 1",
        "--scenario realm-boot --memory 4G",
        "--scenario hotplug --memory 4G --requests 16",
        "--scenario churn --memory 4G --events 200 --accesses 2000",
    ]

    public static let header = "configuration,valgrind,instructions"

    /// The option pairs of a configuration, as `RunSpec.parse` takes them.
    public static func options(of configuration: String) -> [(String, String)] {
        let words = configuration.split(separator: " ").map(String.init)
        return stride(from: 0, to: words.count - 1, by: 2).map { (String(words[$0].dropFirst(2)), words[$0 + 1]) }
    }

    /// A configuration's measured count.
    public struct Entry: Equatable, Sendable {
        public var configuration: String
        public var instructions: UInt64
        public init(configuration: String, instructions: UInt64) {
            (self.configuration, self.instructions) = (configuration, instructions)
        }
    }

    /// The committed counts and the valgrind that produced them: another valgrind version
    /// translates (and so counts) some instructions differently.
    public struct Baseline: Equatable, Sendable {
        public var valgrind: String
        public var entries: [Entry]
        public init(valgrind: String, entries: [Entry]) { (self.valgrind, self.entries) = (valgrind, entries) }

        public var csv: String {
            ([PerfCheck.header] + entries.map { "\($0.configuration),\(valgrind),\($0.instructions)" }).joined(separator: "\n") + "\n"
        }

        public static func parse(_ text: String, file: String) throws(RunError) -> Baseline {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.first == PerfCheck.header else {
                throw RunError("--baseline: \(file): line 1: expected the header '\(PerfCheck.header)'")
            }
            var valgrind: String?
            var entries: [Entry] = []
            for (i, line) in lines.enumerated().dropFirst() where !line.isEmpty {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard fields.count == 3, !fields[0].isEmpty, let n = UInt64(fields[2]) else {
                    throw RunError("--baseline: \(file): line \(i + 1): expected 'configuration,valgrind,instructions' with a whole instruction count")
                }
                if let v = valgrind, v != fields[1] {
                    throw RunError("--baseline: \(file): line \(i + 1): valgrind '\(fields[1])' differs from the earlier lines' '\(v)'")
                }
                valgrind = fields[1]
                entries.append(Entry(configuration: fields[0], instructions: n))
            }
            guard let valgrind else { throw RunError("--baseline: \(file) has no rows") }
            return Baseline(valgrind: valgrind, entries: entries)
        }

        /// The baseline's counts for exactly `configurations`, measured by `version`.
        public func counts(for configurations: [String], version: String, file: String) throws(RunError) -> [UInt64] {
            guard valgrind == version else {
                throw RunError("--baseline: \(file) was recorded with \(valgrind), this is \(version); instruction counts differ between valgrind versions: regenerate it with `bench perfcheck --update`")
            }
            let byConfiguration = Dictionary(entries.map { ($0.configuration, $0.instructions) }, uniquingKeysWith: { a, _ in a })
            if let stale = entries.first(where: { !configurations.contains($0.configuration) }) {
                throw RunError("--baseline: \(file): '\(stale.configuration)' is not a gated configuration: regenerate it with `bench perfcheck --update`")
            }
            return try configurations.map { c throws(RunError) in
                guard let n = byConfiguration[c] else {
                    throw RunError("--baseline: \(file) has no row for '\(c)': regenerate it with `bench perfcheck --update`")
                }
                return n
            }
        }
    }

    /// The Ir total of a callgrind output file: its `events:` line names the columns, and
    /// each part's `totals:` line holds that part's cost. Not the `summary:` line: with
    /// --instr-atstart=no, callgrind 3.19 writes `summary: 0` there. Nil when the events,
    /// Ir or a total is missing.
    public static func instructions(callgrindOutput text: String) -> UInt64? {
        var events: [Substring]?, sum: UInt64?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("events:") { events = line.dropFirst(7).split(separator: " ") }
            guard line.hasPrefix("totals:") else { continue }
            let totals = line.dropFirst(7).split(separator: " ")
            guard let i = events?.firstIndex(of: "Ir"), i < totals.count, let n = UInt64(totals[i]) else { return nil }
            sum = (sum ?? 0) + n
        }
        return sum
    }

    /// One configuration's comparison.
    public struct Line: Sendable {
        public var configuration: String
        public var baseline: UInt64
        public var measured: UInt64
        public init(configuration: String, baseline: UInt64, measured: UInt64) {
            (self.configuration, self.baseline, self.measured) = (configuration, baseline, measured)
        }

        /// Relative change; a baseline of zero changes infinitely unless it stays zero.
        public var change: Double {
            // From the difference, so that exactly 2 % is 0.02 and passes a 2 % gate.
            let difference = measured >= baseline ? Double(measured - baseline) : -Double(baseline - measured)
            return baseline == 0 ? (measured == 0 ? 0 : .infinity) : difference / Double(baseline)
        }

        /// Either direction fails: a faster operation is a new baseline to commit, or the
        /// gate would let a later slowdown of the same size through.
        public func fails(maxChange: Double) -> Bool { abs(change) > maxChange }

        public func rendered(maxChange: Double) -> String {
            let verdict = fails(maxChange: maxChange) ? "CHANGED" : "ok"
            return "\(configuration): baseline \(baseline), measured \(measured), change \(String(format: "%+.2f", change * 100)) % \(verdict)"
        }
    }

    /// `valgrind --version`'s line, e.g. valgrind-3.19.0.
    public static func valgrindVersion(_ valgrind: String) throws(RunError) -> String {
        let pipe = Pipe()
        // Foundation closes this process's end of a Pipe once the child runs.
        let status = try launch(valgrind, ["--version"], stdout: pipe, stderr: FileHandle.nullDevice)
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, text.hasPrefix("valgrind-") else {
            throw RunError("--valgrind: '\(valgrind) --version' did not print a version (Debian: apt-get install valgrind)")
        }
        return text
    }

    /// The operation's instructions in one run of `configuration` under callgrind.
    /// Hashing is made deterministic: Swift seeds it per process otherwise, and a
    /// dictionary's probe sequence would change the count from run to run.
    static func measure(_ configuration: String, bench: String, valgrind: String, scratch: URL) throws(RunError) -> UInt64 {
        let out = scratch.appendingPathComponent("callgrind.out").path
        let log = scratch.appendingPathComponent("valgrind.log").path
        try? FileManager.default.removeItem(atPath: out)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        guard let logHandle = FileHandle(forWritingAtPath: log) else { throw RunError("perfcheck: cannot write '\(log)'") }
        let arguments = ["--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=\(out)", bench, "run"]
            + configuration.split(separator: " ").map(String.init) + ["--quiet", "--format", "csv"]
        let status = try launch(valgrind, arguments, stdout: FileHandle.nullDevice, stderr: logHandle,
                                environment: ["SWIFT_DETERMINISTIC_HASHING": "1"])
        logHandle.closeFile()
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let last = logText.split(separator: "\n").last(where: { !$0.hasPrefix("==") }) ?? logText.split(separator: "\n").last ?? ""
            throw RunError("perfcheck: '\(configuration)' exited with status \(status) under valgrind: \(last)")
        }
        guard let text = try? String(contentsOfFile: out, encoding: .utf8), let n = instructions(callgrindOutput: text) else {
            throw RunError("perfcheck: '\(configuration)': callgrind wrote no Ir total to '\(out)'")
        }
        guard n > 0 else { throw RunError("perfcheck: '\(configuration)': no instructions counted inside the measured operation's bracket") }
        return n
    }

    /// `tool` (found on PATH) run to completion; its exit status.
    private static func launch(_ tool: String, _ arguments: [String], stdout: Any, stderr: Any,
                               environment: [String: String] = [:]) throws(RunError) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        (process.standardOutput, process.standardError) = (stdout, stderr)
        do { try process.run() } catch { throw RunError("--valgrind: cannot run '\(tool)': \(error.localizedDescription)") }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A copy of this bench without DWARF: valgrind 3.19's reader gives up on the Swift
    /// toolchain's DWARF 5 ("unhandled dwarf2 abbrev form code 0x25") and stops the run.
    static func benchWithoutDebugInfo(in scratch: URL) throws(RunError) -> String {
        let exe = ParallelRuns.selfExecutable()
        let copy = scratch.appendingPathComponent("bench").path
        let status = try launch("objcopy", ["--strip-debug", exe, copy], stdout: FileHandle.nullDevice, stderr: FileHandle.standardError)
        guard status == 0 else { throw RunError("perfcheck: 'objcopy --strip-debug \(exe)' failed (Debian: apt-get install binutils)") }
        return copy
    }

    /// Measures every configuration, calling `report` as each finishes: with a baseline, each
    /// one's comparison; with `update`, the measured count (as its own baseline).
    public static func run(baseline path: String, update: Bool, valgrind: String,
                           report: (Line) -> Void) throws(RunError) -> Baseline {
        guard splitbench_callgrind_requests_compiled() == 1 else {
            throw RunError("perfcheck: this bench was built without valgrind/callgrind.h, so nothing marks the measured operation; install valgrind (Debian: apt-get install valgrind) and rebuild")
        }
        for c in configurations { _ = try RunSpec.parse(options(of: c)) }
        let version = try valgrindVersion(valgrind)
        var expected: [UInt64]?
        if !update {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw RunError("--baseline: cannot read '\(path)' (write one with `bench perfcheck --update`)")
            }
            expected = try Baseline.parse(text, file: path).counts(for: configurations, version: version, file: path)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("perfcheck-\(getpid())")
        do { try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true) } catch {
            throw RunError("perfcheck: cannot create '\(scratch.path)'")
        }
        defer { try? FileManager.default.removeItem(at: scratch) }
        let bench = try benchWithoutDebugInfo(in: scratch)
        var entries: [Entry] = []
        for (i, c) in configurations.enumerated() {
            let n = try measure(c, bench: bench, valgrind: valgrind, scratch: scratch)
            entries.append(Entry(configuration: c, instructions: n))
            report(Line(configuration: c, baseline: expected?[i] ?? n, measured: n))
        }
        let measured = Baseline(valgrind: version, entries: entries)
        if update {
            do { try measured.csv.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw RunError("--baseline: cannot write '\(path)'")
            }
        }
        return measured
    }
}
