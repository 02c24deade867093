import Foundation

/// An axis title, with its unit, e.g. "page-table memory (bytes)", and its scale.
public struct Axis: Sendable {
    public var label: String
    public var scale: AxisScale
    public init(_ label: String, scale: AxisScale = .auto) {
        self.label = label
        self.scale = scale
    }
}

/// Grouped bars: one group per category, one bar per series within it.
public struct BarChart: Sendable {
    public struct Bar: Sendable {
        public var category: String
        public var series: String
        public var value: Double
        public init(category: String, series: String, value: Double) {
            self.category = category
            self.series = series
            self.value = value
        }
    }

    public var title: String
    public var categoryLabel: String
    public var valueAxis: Axis
    public init(title: String, categoryLabel: String, valueAxis: Axis) {
        self.title = title
        self.categoryLabel = categoryLabel
        self.valueAxis = valueAxis
    }

    /// One bar per row, from the named columns.
    public func svg(rows: [[String: String]], category: String, series: String, value: String) throws(ChartError) -> String {
        var bars: [Bar] = []
        for (i, row) in rows.enumerated() {
            bars.append(Bar(category: try text(row, category, i), series: try text(row, series, i),
                            value: try number(row, value, i)))
        }
        return try svg(bars)
    }

    /// Bars keep the order in which categories and series first appear. A value a log
    /// axis cannot show (≤ 0) gets a bar of zero height.
    public func svg(_ bars: [Bar]) throws(ChartError) -> String {
        let categories = firstAppearance(bars.map(\.category)), series = firstAppearance(bars.map(\.series))
        var seen = Set<[String]>()
        for bar in bars where !seen.insert([bar.category, bar.series]).inserted {
            throw ChartError("two bars for \(bar.category), \(bar.series): filter the rows first")
        }
        let y = try ChartScale(values: bars.map(\.value), scale: valueAxis.scale, includeZero: true)
        var frame = ChartFrame(title: title, xLabel: categoryLabel, yLabel: valueAxis.label, series: series)
        frame.drawValueAxis(y)
        let group = frame.plotWidth / Double(max(categories.count, 1))
        let width = group * 0.8 / Double(max(series.count, 1))
        for (c, category) in categories.enumerated() {
            frame.categoryTick(category, at: frame.left + group * (Double(c) + 0.5))
        }
        for bar in bars {
            let c = categories.firstIndex(of: bar.category)!, s = series.firstIndex(of: bar.series)!
            let top = frame.yPosition(y, bar.value), base = frame.yPosition(y, y.isLog ? y.lo : 0)
            let height = abs(base - top)  // 0 for a value a log axis cannot show
            frame.body += """
                <rect class="bar" x="\(px(frame.left + group * (Double(c) + 0.1) + width * Double(s)))" \
                y="\(px(min(top, base)))" width="\(px(width))" height="\(px(height))" fill="\(ChartFrame.color(s))">\
                <title>\(escapeXML("\(bar.category), \(bar.series): \(exact(bar.value))"))</title></rect>\n
                """
        }
        return frame.finish()
    }
}

/// Points per series, joined by lines (or a scatter plot with `connect` false).
public struct LineChart: Sendable {
    public struct Point: Sendable {
        public var x: Double
        public var y: Double
        public var series: String
        public init(x: Double, y: Double, series: String) {
            self.x = x
            self.y = y
            self.series = series
        }
    }

    public var title: String
    public var xAxis: Axis
    public var yAxis: Axis
    public var connect: Bool
    public init(title: String, xAxis: Axis, yAxis: Axis, connect: Bool = true) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.connect = connect
    }

    /// One point per row, from the named columns.
    public func svg(rows: [[String: String]], x: String, y: String, series: String) throws(ChartError) -> String {
        var points: [Point] = []
        for (i, row) in rows.enumerated() {
            points.append(Point(x: try number(row, x, i), y: try number(row, y, i), series: try text(row, series, i)))
        }
        return try svg(points)
    }

    public func svg(_ points: [Point]) throws(ChartError) -> String {
        let xs = try ChartScale(values: points.map(\.x), scale: xAxis.scale, includeZero: false)
        let ys = try ChartScale(values: points.map(\.y), scale: yAxis.scale, includeZero: false)
        for p in points where (xs.isLog && p.x <= 0) || (ys.isLog && p.y <= 0) {
            throw ChartError("(\(exact(p.x)), \(exact(p.y))) of \(p.series) cannot be shown on a log axis")
        }
        let series = firstAppearance(points.map(\.series))
        var frame = ChartFrame(title: title, xLabel: xAxis.label, yLabel: yAxis.label, series: series)
        frame.drawValueAxis(ys)
        for tick in xs.ticks { frame.categoryTick(compactNumber(tick), at: frame.xPosition(xs, tick)) }
        for (s, name) in series.enumerated() {
            let mine = points.filter { $0.series == name }.sorted { $0.x < $1.x }
            if connect && mine.count > 1 {
                let coords = mine.map { "\(px(frame.xPosition(xs, $0.x))),\(px(frame.yPosition(ys, $0.y)))" }
                frame.body += """
                    <polyline class="line" points="\(coords.joined(separator: " "))" fill="none" \
                    stroke="\(ChartFrame.color(s))" stroke-width="2"/>\n
                    """
            }
            for p in mine {
                frame.body += """
                    <circle class="point" cx="\(px(frame.xPosition(xs, p.x)))" cy="\(px(frame.yPosition(ys, p.y)))" \
                    r="4" fill="\(ChartFrame.color(s))"><title>\(escapeXML("\(name): \(exact(p.x)), \(exact(p.y))"))</title></circle>\n
                    """
            }
        }
        return frame.finish()
    }
}

private func exact(_ v: Double) -> String { String(format: "%.6g", v) }

private func firstAppearance(_ names: [String]) -> [String] {
    var seen = Set<String>()
    return names.filter { seen.insert($0).inserted }
}

func text(_ row: [String: String], _ column: String, _ index: Int) throws(ChartError) -> String {
    guard let value = row[column] else { throw ChartError("data row \(index + 1): no column '\(column)'") }
    return value
}

func number(_ row: [String: String], _ column: String, _ index: Int) throws(ChartError) -> Double {
    let raw = try text(row, column, index)
    guard let value = Double(raw), value.isFinite else {
        throw ChartError("data row \(index + 1): \(column) is '\(raw)', not a number")
    }
    return value
}
