import Foundation

/// An axis title, with its unit, e.g. "page-table memory", its scale and what its numbers are.
public struct Axis: Sendable {
    public var label: String
    public var scale: AxisScale
    public var unit: ValueUnit
    public init(_ label: String, scale: AxisScale = .auto, unit: ValueUnit = .count) {
        self.label = label
        self.scale = scale
        self.unit = unit
    }
}

/// Grouped bars: one group per category, one bar per series within it, each bar with its
/// value printed over it.
public struct BarChart: Sendable {
    public struct Bar: Sendable {
        /// The category's levels, outermost first: ["leaf", "lazy on"] groups the lazy
        /// variants of the leaf walker under one "leaf" label.
        public var category: [String]
        /// The same levels in fewer words ("1,000" for "1,000 requests"; the axis title names
        /// them), drawn when the full ones do not fit their group.
        public var shortCategory: [String]
        public var series: String
        public var value: Double
        public init(category: [String], shortCategory: [String]? = nil, series: String, value: Double) {
            self.category = category
            self.shortCategory = shortCategory ?? category
            self.series = series
            self.value = value
        }
    }

    public var heading: ChartHeading
    public var categoryLabel: String
    public var valueAxis: Axis
    public init(heading: ChartHeading, categoryLabel: String, valueAxis: Axis) {
        self.heading = heading
        self.categoryLabel = categoryLabel
        self.valueAxis = valueAxis
    }

    static let valueSize = 11.5

    /// Bars keep the order in which categories and series first appear; a category shows
    /// only the series it has, centred. A value a log axis cannot show (0) gets a bar of
    /// zero height, and its label still says 0.
    public func svg(_ bars: [Bar]) throws(ChartError) -> String {
        let categories = firstAppearance(bars.map(\.category)), series = firstAppearance(bars.map(\.series))
        var seen = Set<[String]>()
        for bar in bars where !seen.insert(bar.category + [bar.series]).inserted {
            throw ChartError("two bars for \((bar.category + [bar.series]).joined(separator: ", "))")
        }
        let labels = bars.map { valueAxis.unit.value($0.value) }
        let (y, slots, upright) = try layout(bars, labels: labels, categories: categories, series: series)
        let tickLines = slots.labelLines()
        var frame = ChartFrame(heading: heading, xLabel: categoryLabel, yLabel: valueAxis.label,
                               yTicks: y.ticks.map(y.label), legend: series.count > 1 ? series : [],
                               mark: .swatch, xTickLines: tickLines.count)
        frame.drawValueAxis(y)
        slots.drawCategoryLabels(tickLines, in: &frame)
        let base = frame.yPosition(y, y.isLog ? y.lo : 0)
        for (bar, label) in zip(bars, labels) {
            let (x, width) = slots.bar(bar, left: frame.left)
            let top = frame.yPosition(y, bar.value), s = series.firstIndex(of: bar.series)!
            let name = (bar.category + [bar.series]).filter { !$0.isEmpty }.joined(separator: ", ")
            frame.body += """
                <rect class="bar" x="\(px(x))" y="\(px(min(top, base)))" width="\(px(width))" height="\(px(abs(base - top)))" \
                fill="\(SeriesStyle.fill(s))" stroke="#222" stroke-width="0.6"><title>\(escapeXML("\(name): \(label)"))</title></rect>
                \(valueLabel(label, x: x + width / 2, top: min(top, base), upright: upright))

                """
        }
        return frame.finish()
    }

    /// The value axis and the bars' places. The plot's width depends on the value axis'
    /// labels, which depend on the room the value labels need over the bars: a first pass
    /// without that room decides whether they stand upright.
    private func layout(_ bars: [Bar], labels: [String], categories: [[String]], series: [String])
        throws(ChartError) -> (ChartScale, BarSlots, upright: Bool) {
        func scale(headroom: Double) throws(ChartError) -> (ChartScale, BarSlots) {
            let y = try ChartScale(values: bars.map(\.value), axis: valueAxis, includeZero: true, maxTicks: 12, headroom: headroom)
            let width = ChartFrame.right(overhang: 0) - ChartFrame.left(yTicks: y.ticks.map(y.label))
            return (y, BarSlots(categories: categories, bars: bars, series: series, width: width))
        }
        let first = try scale(headroom: 0).1
        let upright = zip(bars, labels).contains { bar, label in
            textWidth(label, size: Self.valueSize) > first.room(for: bar.category) - 2
        }
        let labelHeight = upright ? (labels.map { textWidth($0, size: Self.valueSize) }.max() ?? 0) + 8 : 18
        let (y, slots) = try scale(headroom: labelHeight / ChartFrame.plotHeight)
        return (y, slots, upright)
    }

    /// The value over a bar: level with its top, or reading upwards when labels are wider than bars.
    private func valueLabel(_ text: String, x: Double, top: Double, upright: Bool) -> String {
        let attributes = "class=\"bar-value\" font-size=\"\(Self.valueSize)\" fill=\"#222\""
        guard upright else {
            return "<text \(attributes) x=\"\(px(x))\" y=\"\(px(top - 5))\" text-anchor=\"middle\">\(escapeXML(text))</text>"
        }
        let cx = x + Self.valueSize * 0.36, cy = top - 5
        return "<text \(attributes) x=\"\(px(cx))\" y=\"\(px(cy))\" transform=\"rotate(-90 \(px(cx)) \(px(cy)))\">\(escapeXML(text))</text>"
    }
}

/// Points per series, joined by lines. A log axis shows 0 too, in a slot before its first decade.
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

    public var heading: ChartHeading
    public var xAxis: Axis
    public var yAxis: Axis
    public init(heading: ChartHeading, xAxis: Axis, yAxis: Axis) {
        self.heading = heading
        self.xAxis = xAxis
        self.yAxis = yAxis
    }

    public func svg(_ points: [Point]) throws(ChartError) -> String {
        let xs = try ChartScale(values: points.map(\.x), axis: xAxis, zeroSlot: true, maxTicks: 9)
        let ys = try ChartScale(values: points.map(\.y), axis: yAxis, zeroSlot: true, maxTicks: 12)
        let series = firstAppearance(points.map(\.series))
        let lastTick = xs.ticks.last.map { textWidth(xs.label($0), size: ChartFrame.tickSize) / 2 } ?? 0
        var frame = ChartFrame(heading: heading, xLabel: xAxis.label, yLabel: yAxis.label, yTicks: ys.ticks.map(ys.label),
                               legend: series.count > 1 ? series : [], mark: .line, rightOverhang: lastTick)
        frame.drawValueAxis(ys)
        frame.drawNumericXAxis(xs)
        for (s, name) in series.enumerated() {
            let mine = points.filter { $0.series == name }.sorted { $0.x < $1.x }
            let coords = mine.map { (frame.xPosition(xs, $0.x), frame.yPosition(ys, $0.y)) }
            if mine.count > 1 {
                frame.body += """
                    <polyline class="line" points="\(coords.map { "\(px($0.0)),\(px($0.1))" }.joined(separator: " "))" \
                    fill="none" stroke="\(SeriesStyle.lineColor(s))" stroke-width="2.2" stroke-dasharray="\(SeriesStyle.dash(s))"/>

                    """
            }
            for (p, (x, y)) in zip(mine, coords) {
                let tooltip = "\(name.isEmpty ? "" : name + ": ")\(xAxis.unit.value(p.x)), \(yAxis.unit.value(p.y))"
                frame.body += SeriesStyle.marker(s, x: x, y: y, tooltip: tooltip) + "\n"
            }
        }
        return frame.finish()
    }
}

/// `items` without repeats, in the order they first appear.
func firstAppearance<T: Hashable>(_ items: [T]) -> [T] {
    var seen = Set<T>()
    return items.filter { seen.insert($0).inserted }
}
