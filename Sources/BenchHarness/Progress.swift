import Foundation

/// A one-line progress bar with ETA on stderr; silent when stderr is not a terminal.
public final class Progress {
    private let total: Int
    private let start = Calibration.now()
    private var drawn = false

    /// nil when progress should not be shown.
    public init?(total: Int, quiet: Bool) {
        guard !quiet, isatty(STDERR_FILENO) != 0, total > 0 else { return nil }
        self.total = total
    }

    public func update(done: Int, label: String) {
        let width = 24
        let filled = width * done / total
        var eta = "--:--"
        if done > 0 {
            let elapsed = Double(Calibration.now() - start) / 1e9
            let left = Int(elapsed / Double(done) * Double(total - done))
            eta = String(format: "%d:%02d", left / 60, left % 60)
        }
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "[\(bar)] \(done)/\(total) ETA \(eta)  \(label)"
        writeStderr("\r\u{1B}[2K" + String(line.prefix(110)))
        drawn = true
    }

    public func finish() {
        if drawn { writeStderr("\r\u{1B}[2K") }
        drawn = false
    }
}

func writeStderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
