import Foundation

/// A CSV file written row by row as runs finish. Opened only after every input was
/// checked; removed again if the runs fail, so no partial file is left behind.
public final class CSVOutput {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>

    public init(path: String, header: Bool = true) throws(RunError) {
        guard let f = fopen(path, "w") else {
            throw RunError("--csv: cannot write '\(path)' (\(String(cString: strerror(errno))))")
        }
        self.path = path
        file = f
        if header { write(CSVSchema.header) }
    }

    public func append(_ result: RunResult) { write(CSVSchema.row(result)) }

    private func write(_ line: String) {
        fputs(line + "\n", file)
        fflush(file)
    }

    public func finish() { fclose(file) }

    public func abandon() {
        fclose(file)
        unlink(path)
    }
}

/// Runs `configs` in order, streaming each row to `csv`; on the first failure the CSV
/// is removed and the error rethrown.
public func runAll(_ configs: [RunSpec], csv: CSVOutput?, progress: Progress?,
                   onResult: (RunResult) -> Void = { _ in }) throws(RunError) -> [RunResult] {
    var results: [RunResult] = []
    do {
        let prepared = try configs.map { c throws(RunError) in try ScenarioRunner.prepare(c) }
        for (i, p) in prepared.enumerated() {
            progress?.update(done: i, label: SummaryTable.label(p.spec))
            let r = try ScenarioRunner.run(p)
            csv?.append(r)
            onResult(r)
            results.append(r)
        }
        progress?.finish()
    } catch {
        progress?.finish()
        csv?.abandon()
        throw error
    }
    csv?.finish()
    return results
}
