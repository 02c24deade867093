import BenchHarness
import Testing

@Suite struct ProgressTests {
    @Test func doneIsClampedToTheTotal() {
        #expect(Progress.line(done: 5, total: 1, elapsed: 2, label: "boot") == "[########################] 1/1 ETA 0:00  boot")
        #expect(Progress.line(done: 0, total: 1, elapsed: 2, label: "boot") == "[........................] 0/1 ETA --:--  boot")
        #expect(Progress.line(done: -3, total: 4, elapsed: 2, label: "") == "[........................] 0/4 ETA --:--  ")
        #expect(Progress.line(done: 1, total: 4, elapsed: 2, label: "x") == "[######..................] 1/4 ETA 0:06  x")
        #expect(Progress.line(done: Int.max, total: Int.max, elapsed: 1, label: "").hasPrefix("[########################]"))
        #expect(Progress.line(done: 3, total: 0, elapsed: 1, label: "") == "[........................] 0/0 ETA --:--  ")
        #expect(Progress.line(done: 3, total: -2, elapsed: 1, label: "") == "[........................] 0/0 ETA --:--  ")
    }

    @Test func longLabelsAreCutAndLineEndsFlattened() {
        let line = Progress.line(done: 1, total: 2, elapsed: 1, label: String(repeating: "é", count: 500))
        #expect(line.count == Progress.lineWidth)
        #expect(Progress.line(done: 1, total: 2, elapsed: 1, label: "a\nb\r\nc").hasSuffix("  a b c"))
    }

    @Test func etaFormats() {
        #expect(Progress.eta(done: 1, total: 3, elapsed: 30) == "1:00")
        #expect(Progress.eta(done: 1, total: 2, elapsed: 3_725) == "1:02:05")
        #expect(Progress.eta(done: 1, total: 2, elapsed: .infinity) == "--:--")
        #expect(Progress.eta(done: 1, total: 2, elapsed: .nan) == "--:--")
        #expect(Progress.eta(done: 1, total: Int.max, elapsed: 1e300) == "--:--")
    }

    @Test func quietOrNoTerminalDrawsNothing() {
        #expect(Progress(total: 3, quiet: true) == nil)
    }
}
