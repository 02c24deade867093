import Foundation
import Reports

/// A CSV file written row by row as runs finish, through an `OutputFile`: the rows go
/// to FILE.partial and replace FILE only when every run finished. The header goes out with
/// the first row (or at the end), so nothing is written before a run has a row.
public final class CSVOutput {
    public let path: String
    private let file: OutputFile
    private var rowsWritten = 0
    /// Set by `abandon` when rows were kept: what to tell the user.
    public private(set) var abandonNote: String?

    /// The header line, until it is written.
    private var pendingHeader: String?

    public init(path: String, header: Bool = true) throws(RunError) {
        self.path = path
        do { file = try OutputFile(path: path, option: "--csv") } catch { throw RunError(error.description) }
        pendingHeader = header ? CSVSchema.header + "\n" : nil
    }

    public func append(_ result: RunResult) throws(RunError) {
        do { try file.write(takeHeader() + CSVSchema.row(result) + "\n") } catch { throw RunError(error.description) }
        rowsWritten += 1
    }

    private func takeHeader() -> String {
        defer { pendingHeader = nil }
        return pendingHeader ?? ""
    }

    /// Every run finished: the rows replace FILE.
    public func finish() throws(RunError) {
        do {
            if pendingHeader != nil { try file.write(takeHeader()) }
            try file.commit()
        } catch { throw RunError(error.description) }
    }

    /// The runs failed: any earlier FILE stays. Rows written so far are kept in
    /// FILE.partial, and the note saying so is returned; with none, nothing is left.
    @discardableResult
    public func abandon() -> String? {
        let kept = file.abandon(keepingPartial: rowsWritten > 0)
        abandonNote = kept.map { "partial rows kept in \($0)" }
        return abandonNote
    }
}

/// Runs `configs` in order, streaming each row to `csv`; on the first failure the CSV
/// is abandoned (see `CSVOutput.abandon`) and the error rethrown.
public func runAll(_ configs: [RunSpec], csv: CSVOutput?, progress: Progress?,
                   onResult: (RunResult) -> Void = { _ in }) throws(RunError) -> [RunResult] {
    var results: [RunResult] = []
    do {
        let prepared = try configs.map { c throws(RunError) in try ScenarioRunner.prepare(c) }
        for (i, p) in prepared.enumerated() {
            progress?.update(done: i, label: SummaryTable.label(p.spec))
            let r = try ScenarioRunner.run(p)
            try csv?.append(r)
            onResult(r)
            results.append(r)
        }
        try csv?.finish()
        progress?.finish()
    } catch {
        progress?.finish()
        csv?.abandon()
        throw error
    }
    return results
}
