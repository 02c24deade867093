/// Where each category's group and each bar sit along the horizontal axis. Categories that
/// share their outermost level stand together, with a wider gap between such runs.
struct BarSlots {
    static let runGap = 0.6, fill = 0.8, widestBar = 56.0

    let categories: [[String]]
    let groupWidth: Double
    let barWidth: Double
    /// The left edge of each category's group, from the plot's left edge.
    let offsets: [Double]
    /// Each category's series, in legend order.
    let present: [[String]: [String]]
    /// Each category's levels in fewer words.
    let short: [[String]: [String]]
    let runs: [(outer: String, range: Range<Int>)]

    init(categories: [[String]], bars: [BarChart.Bar], series: [String], width: Double) {
        self.categories = categories
        var present: [[String]: [String]] = [:]
        for name in series {
            for bar in bars where bar.series == name { present[bar.category, default: []].append(name) }
        }
        self.present = present
        short = Dictionary(bars.map { ($0.category, $0.shortCategory) }) { first, _ in first }
        runs = categories.contains { $0.count > 1 } ? Self.runs(categories) : []
        let gaps = Double(max(runs.count - 1, 0)) * Self.runGap
        let group = width / (Double(categories.count) + gaps)
        groupWidth = group
        barWidth = min(group * Self.fill / Double(present.values.map(\.count).max() ?? 1), Self.widestBar)
        // Each run after the first starts a gap further right.
        let gapsBefore = runs.enumerated().flatMap { n, run in run.range.map { _ in Double(n) } }
        offsets = categories.indices.map { Double($0) * group + (gapsBefore.isEmpty ? 0 : gapsBefore[$0]) * Self.runGap * group }
    }

    /// Consecutive categories with the same outermost level.
    private static func runs(_ categories: [[String]]) -> [(outer: String, range: Range<Int>)] {
        var runs: [(outer: String, range: Range<Int>)] = []
        for (i, c) in categories.enumerated() {
            if let last = runs.last, last.outer == c[0] {
                runs[runs.count - 1].range = last.range.lowerBound..<(i + 1)
            } else {
                runs.append((c[0], i..<(i + 1)))
            }
        }
        return runs
    }

    /// How wide a value label over a bar of `category` may be: the bar, or most of the
    /// group when the bar stands alone.
    func room(for category: [String]) -> Double {
        present[category]?.count == 1 ? groupWidth * 0.95 : barWidth
    }

    /// A bar's left edge and width.
    func bar(_ bar: BarChart.Bar, left: Double) -> (x: Double, width: Double) {
        let c = categories.firstIndex(of: bar.category)!, mine = present[bar.category]!
        let start = left + offsets[c] + (groupWidth - barWidth * Double(mine.count)) / 2
        return (start + barWidth * Double(mine.firstIndex(of: bar.series)!), barWidth)
    }

    struct LabelLines {
        var inner: [[String]]
        var outer: [[String]]
        var size: Double
        var count: Int { (inner.map(\.count).max() ?? 1) + (outer.map(\.count).max() ?? 0) }
    }

    /// Each category's label lines (its inner levels, or its only one), wrapped to its group;
    /// a run's outer label follows on the lines after the deepest category's. Labels that do
    /// not fit are shortened, then get a smaller font.
    func labelLines() -> LabelLines {
        func lines(_ size: Double, short: Bool) -> LabelLines {
            let inner = categories.map { c in
                let levels = short ? self.short[c]! : c
                return (runs.isEmpty ? levels : Array(levels.dropFirst())).flatMap { wrapLabel($0, width: groupWidth - 6, size: size) }
            }
            let outer = runs.map { run in wrapLabel(run.outer, width: groupWidth * Double(run.range.count) - 6, size: size) }
            return LabelLines(inner: inner, outer: outer, size: size)
        }
        let tries = [lines(ChartFrame.tickSize, short: false), lines(ChartFrame.tickSize, short: true)]
        return tries.first { $0.inner.joined().allSatisfy { textWidth($0, size: ChartFrame.tickSize) <= groupWidth - 6 } }
            ?? lines(ChartFrame.tickSize - 2, short: true)
    }

    func drawCategoryLabels(_ lines: LabelLines, in frame: inout ChartFrame) {
        for (c, text) in lines.inner.enumerated() {
            frame.tickMark(at: frame.left + offsets[c] + groupWidth / 2, lines: text, size: lines.size)
        }
        let first = lines.inner.map(\.count).max() ?? 1
        for (run, text) in zip(runs, lines.outer) {
            let from = frame.left + offsets[run.range.lowerBound], to = frame.left + offsets[run.range.upperBound - 1] + groupWidth
            frame.tickLabel(at: (from + to) / 2, lines: text, size: lines.size, from: first, cls: "tick x outer", weight: "bold")
        }
    }
}
