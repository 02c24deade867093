import Foundation

/// `--jobs N`: a sweep's runs in up to N child processes (`bench job`, the same executable
/// given one run's option texts), each sending back its measured result. Rows reach the
/// CSV in the sweep's order; a run starts only when its peak estimate fits in MemAvailable
/// beside the estimates of the running ones; the counters are the serial sweep's, since
/// each child runs the same code on the same options.
public enum ParallelRuns {
    /// The children's hidden subcommand.
    public static let jobCommand = "job"

    /// A child's stdout: everything but the spec, as JSON.
    public static func report(_ result: RunResult) -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = nonFinite
        // Plain structs of numbers and strings: encoding cannot fail.
        return String(decoding: try! encoder.encode(result.measured), as: UTF8.self)
    }

    private static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// Runs `configs` (parsed from `options`) as `runAll` does: every run checked before
    /// any starts, rows streamed to `csv` in order, and on the first failure in the sweep's
    /// order the rows before it kept in FILE.partial and its error thrown (later jobs are
    /// stopped, earlier ones finish).
    public static func run(_ configs: [RunSpec], options: [[(String, String)]], jobs: Int,
                           csv: CSVOutput?, progress: Progress?) throws(RunError) -> [RunResult] {
        precondition(options.count == configs.count && jobs >= 1)
        var results: [RunResult] = []
        var children: [pid_t: Int] = [:]
        var folder: String?
        defer { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
        do throws(RunError) {
            // Prepared one at a time and dropped: the parent holds no run's inputs.
            let estimates = try configs.map { c throws(RunError) in try ScenarioRunner.prepare(c).peakBytes }
            folder = try scratchFolder()
            let executable = selfExecutable()
            var slots = JobSlots(jobs: jobs, budget: ResourceGuard.memAvailable() ?? .max)
            var finished: [Int: RunResult] = [:]
            var failure: (index: Int, error: RunError)?
            var next = 0
            if let first = configs.first { progress?.update(done: 0, label: SummaryTable.label(first)) }
            while true {
                while failure == nil, next < configs.count, slots.fits(estimates[next]) {
                    let pid = try spawn(executable, arguments(options[next], verify: configs[next].verify), output: files(folder!, next))
                    children[pid] = next
                    slots.start(next, estimate: estimates[next])
                    next += 1
                }
                guard !children.isEmpty else { break }
                var status: Int32 = 0
                let pid = waitpid(-1, &status, 0)
                guard pid > 0 else {
                    if errno == EINTR { continue }
                    throw RunError("--jobs: waiting for the runs failed (\(String(cString: strerror(errno))))")
                }
                guard let i = children.removeValue(forKey: pid) else { continue }
                slots.finish(i)
                // Stopped because an earlier run failed: its outcome does not count.
                if let f = failure, i > f.index { continue }
                switch outcome(of: i, status: status, spec: configs[i], total: configs.count, files: files(folder!, i)) {
                case .success(let r): finished[i] = r
                case .failure(let e):
                    failure = (i, e)
                    for (child, j) in children where j > i { kill(child, SIGTERM) }
                }
                while let r = finished.removeValue(forKey: results.count) {
                    try csv?.append(r)
                    results.append(r)
                    if results.count < configs.count { progress?.update(done: results.count, label: SummaryTable.label(configs[results.count])) }
                }
            }
            if let failure { throw failure.error }
            try csv?.finish()
            progress?.finish()
        } catch {
            stop(children)
            progress?.finish()
            csv?.abandon()
            throw error
        }
        return results
    }

    /// `bench job` options: `--name=value`, so a value starting with '-' stays a value.
    static func arguments(_ options: [(String, String)], verify: Bool) -> [String] {
        [jobCommand] + options.map { "--\($0.0)=\($0.1)" } + (verify ? ["--verify"] : [])
    }

    private static func files(_ folder: String, _ index: Int) -> (stdout: String, stderr: String) {
        ("\(folder)/\(index).out", "\(folder)/\(index).err")
    }

    /// A child's result, or its error: its own one-line message when it printed one (the
    /// line a serial sweep prints), else how it ended.
    private static func outcome(of index: Int, status: Int32, spec: RunSpec, total: Int,
                                files: (stdout: String, stderr: String)) -> Result<RunResult, RunError> {
        defer { unlink(files.stdout); unlink(files.stderr) }
        let what = "run \(index + 1) of \(total) (\(SummaryTable.label(spec)))"
        let signal = status & 0x7f, code = (status >> 8) & 0xff
        if signal == 0, code == 0 {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            guard let data = FileManager.default.contents(atPath: files.stdout),
                  let measured = try? decoder.decode(RunResult.Measured.self, from: data) else {
                return .failure(RunError("\(what): its process sent no result"))
            }
            return .success(RunResult(spec: spec, measured))
        }
        let said = (try? String(contentsOfFile: files.stderr, encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("bench: ") }
        if let said { return .failure(RunError(String(said.dropFirst("bench: ".count)))) }
        if signal != 0 { return .failure(RunError("\(what): killed by signal \(signal) (\(String(cString: strsignal(signal))))")) }
        return .failure(RunError("\(what): exited with status \(code)"))
    }

    /// Terminates and reaps the children still running.
    private static func stop(_ children: [pid_t: Int]) {
        for pid in children.keys { kill(pid, SIGTERM) }
        for pid in children.keys { var status: Int32 = 0; while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
    }

    private static func spawn(_ executable: String, _ arguments: [String], output: (stdout: String, stderr: String)) throws(RunError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, output.stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = (["bench"] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw RunError("--jobs: cannot start '\(executable)' (\(String(cString: strerror(rc))))") }
        return pid
    }

    /// This executable: the children (and perfcheck's valgrind runs) run the same build.
    static func selfExecutable() -> String {
        guard let resolved = realpath("/proc/self/exe", nil) else { return CommandLine.arguments[0] }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func scratchFolder() throws(RunError) -> String {
        var template = Array((NSTemporaryDirectory() + "/bench-jobs.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw RunError("--jobs: cannot create a folder in \(NSTemporaryDirectory()) (\(String(cString: strerror(errno))))")
        }
        return String(cString: made)
    }
}

/// Which runs may start: in the sweep's order, at most `jobs` at once, and the running
/// runs' peak estimates summing to at most `budget` (MemAvailable when the sweep began).
public struct JobSlots: Sendable {
    public let jobs: Int, budget: UInt64
    private var running: [Int: UInt64] = [:]

    public init(jobs: Int, budget: UInt64) { (self.jobs, self.budget) = (jobs, budget) }

    /// Whether a run of `estimate` bytes may start now. With nothing running it may: alone,
    /// `prepare`'s guard has already passed it.
    public func fits(_ estimate: UInt64) -> Bool {
        guard !running.isEmpty else { return true }
        let (total, overflow) = runningBytes.addingReportingOverflow(estimate)
        return running.count < jobs && !overflow && total <= budget
    }

    /// The running runs' estimates (each below MemAvailable, at most `jobs` of them).
    public var runningBytes: UInt64 { running.values.reduce(0, &+) }

    public mutating func start(_ index: Int, estimate: UInt64) { running[index] = estimate }
    public mutating func finish(_ index: Int) { running[index] = nil }
}
