import Foundation

/// A one-line progress bar with ETA on stderr; silent when stderr is not a terminal.
public final class Progress {
    /// Runs to do; a caller that learns the real count later sets it here.
    public var total: Int
    private let start = Calibration.now()
    private var drawn = false

    public static let barWidth = 24
    /// The longest line drawn, label included.
    public static let lineWidth = 110

    /// nil when progress should not be shown.
    public init?(total: Int, quiet: Bool) {
        guard !quiet, isatty(STDERR_FILENO) != 0, total > 0 else { return nil }
        self.total = total
    }

    /// Any `done` is drawn, clamped to 0…total.
    public func update(done: Int, label: String) {
        let elapsed = Double(Calibration.now() - start) / 1e9
        writeStderr("\r\u{1B}[2K" + Self.line(done: done, total: total, elapsed: elapsed, label: label))
        drawn = true
    }

    public func finish() {
        if drawn { writeStderr("\r\u{1B}[2K") }
        drawn = false
    }

    /// The bar as drawn, at most `lineWidth` characters; total for any input.
    public static func line(done: Int, total: Int, elapsed: Double, label: String) -> String {
        let total = max(total, 0), done = min(max(done, 0), total)
        let filled = total == 0 ? 0 : Int(Double(barWidth) * Double(done) / Double(total))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled)
        let flat = label.map { $0.isNewline ? " " : $0 }
        return String("[\(bar)] \(done)/\(total) ETA \(eta(done: done, total: total, elapsed: elapsed))  \(String(flat))"
            .prefix(lineWidth))
    }

    /// m:ss (h:mm:ss past an hour) left at the pace so far; --:-- before any is done.
    public static func eta(done: Int, total: Int, elapsed: Double) -> String {
        let left = elapsed / Double(done) * Double(total - done)
        // Bounded (about 30 years) so the conversion to Int cannot trap.
        guard done > 0, left.isFinite, left >= 0, left < 1e9 else { return "--:--" }
        let s = Int(left)
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60)
        return h > 0 ? "\(h):\(twoDigits(m)):\(twoDigits(sec))" : "\(m):\(twoDigits(sec))"
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

func writeStderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
