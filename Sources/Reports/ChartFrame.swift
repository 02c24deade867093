import Foundation

/// How the i-th series looks. Three fills of clearly different lightness keep series apart in
/// greyscale print; later series repeat them under a white hatch. Lines add a dash pattern
/// and a marker shape, so they also read without colour.
enum SeriesStyle {
    static let colors = ["#1F3B73", "#D55E00", "#F2B440"]
    /// Lines are thin, so theirs are all dark enough to stand out on white.
    static let lineColors = ["#1F3B73", "#D55E00", "#008060", "#555555"]
    static let dashes = ["", "7 4", "2 3", "9 3 2 3"]

    static func color(_ i: Int) -> String { colors[i % colors.count] }
    static func lineColor(_ i: Int) -> String { lineColors[i % lineColors.count] }
    static func isHatched(_ i: Int) -> Bool { (i / colors.count) % 2 == 1 }
    static func fill(_ i: Int) -> String { isHatched(i) ? "url(#hatch\(i % colors.count))" : color(i) }
    static func dash(_ i: Int) -> String { dashes[i % dashes.count] }

    /// The hatch patterns the fills of `count` series refer to.
    static func definitions(count: Int) -> String {
        guard count > colors.count else { return "" }
        let patterns = colors.indices.map { c in
            """
            <pattern id="hatch\(c)" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">\
            <rect width="6" height="6" fill="\(colors[c])"/><rect width="2.4" height="6" fill="white"/></pattern>
            """
        }
        return "<defs>\n" + patterns.joined(separator: "\n") + "\n</defs>\n"
    }

    /// A marker centred on (x, y): circle, square, triangle, diamond in turn.
    static func marker(_ i: Int, x: Double, y: Double, tooltip: String, cls: String = "point") -> String {
        let fill = "class=\"\(cls)\" fill=\"\(lineColor(i))\" stroke=\"white\" stroke-width=\"1\""
        let title = "<title>\(escapeXML(tooltip))</title>"
        switch i % 4 {
        case 0: return "<circle cx=\"\(px(x))\" cy=\"\(px(y))\" r=\"4.5\" \(fill)>\(title)</circle>"
        case 1: return "<rect x=\"\(px(x - 4))\" y=\"\(px(y - 4))\" width=\"8\" height=\"8\" \(fill)>\(title)</rect>"
        case 2: return polygon([(x, y - 5.5), (x + 5, y + 3.5), (x - 5, y + 3.5)], fill, title)
        default: return polygon([(x, y - 5.5), (x + 5, y), (x, y + 5.5), (x - 5, y)], fill, title)
        }
    }

    private static func polygon(_ corners: [(Double, Double)], _ fill: String, _ title: String) -> String {
        let points = corners.map { "\(px($0.0)),\(px($0.1))" }.joined(separator: " ")
        return "<polygon points=\"\(points)\" \(fill)>\(title)</polygon>"
    }
}

/// A chart's title block: what it shows, and the parameters every plotted run shared.
public struct ChartHeading: Sendable, Equatable {
    public var title: String
    public var subtitle: String
    public init(_ title: String, subtitle: String = "") {
        self.title = title
        self.subtitle = subtitle
    }
}

/// The parts every chart shares: title, subtitle, legend, plot area, axes and their labels.
/// The canvas is as tall as its text needs; the plot area is always the same height.
struct ChartFrame {
    static let width = 800.0, margin = 16.0, plotHeight = 300.0
    static let fontFamily = "Helvetica, Arial, DejaVu Sans, sans-serif"
    static let titleSize = 18.0, subtitleSize = 13.0, legendSize = 13.0, tickSize = 13.0, labelSize = 14.0
    static let tickLineHeight = 16.0

    enum LegendMark { case swatch, line }

    let left: Double
    let right: Double
    let top: Double
    var bottom: Double { top + Self.plotHeight }
    var plotWidth: Double { right - left }
    private var head: String
    private let xLabel: String
    private let xTickLines: Int
    var body = ""
    /// Drawn after the axis lines: the breaks that interrupt them.
    private var overlay = ""

    /// `yTicks`: the value axis' labels (they set the left margin); `xTickLines`: the lines
    /// under the horizontal axis; `rightOverhang`: how far the last x tick label reaches past the plot.
    init(heading: ChartHeading, xLabel: String, yLabel: String, yTicks: [String], legend: [String],
         mark: LegendMark, xTickLines: Int = 1, rightOverhang: Double = 0) {
        left = Self.left(yTicks: yTicks)
        right = Self.right(overhang: rightOverhang)
        self.xLabel = xLabel
        self.xTickLines = xTickLines
        var (text, y) = Self.heading(heading)
        head = SeriesStyle.definitions(count: legend.count) + text
        if legend.count > 1 {
            let (svg, height) = Self.legend(legend, mark: mark, y: y + 12)
            head += svg
            y += 12 + height
        }
        top = (y + 22).rounded()
        head += """
            <text class="axis-label y" x="\(px(Self.margin + Self.labelSize))" y="\(px(top + Self.plotHeight / 2))" \
            text-anchor="middle" font-size="\(Self.labelSize)" \
            transform="rotate(-90 \(px(Self.margin + Self.labelSize)) \(px(top + Self.plotHeight / 2)))">\(escapeXML(yLabel))</text>

            """
    }

    /// Title and subtitle lines, wrapped to the canvas; returns where they end.
    private static func heading(_ heading: ChartHeading) -> (String, Double) {
        var svg = "", y = 8.0
        for line in wrap(heading.title, width: width - 2 * margin, size: titleSize, at: ", ") {
            y += titleSize + 6
            svg += element("text", ["class": "title", "x": px(margin), "y": px(y), "font-size": "\(titleSize)",
                                    "font-weight": "bold", "fill": "#111"], content: escapeXML(line)) + "\n"
        }
        if !heading.subtitle.isEmpty { y += 2 }
        let subtitle = heading.subtitle.isEmpty ? [] : wrap(heading.subtitle, width: width - 2 * margin, size: subtitleSize, at: " · ")
        for line in subtitle {
            y += subtitleSize + 5
            svg += element("text", ["class": "subtitle", "x": px(margin), "y": px(y), "font-size": "\(subtitleSize)", "fill": "#444"],
                           content: escapeXML(line)) + "\n"
        }
        return (svg, y)
    }

    /// The plot's left edge: past the value axis' title and its widest tick label.
    static func left(yTicks: [String]) -> Double {
        let widest = yTicks.map { textWidth($0, size: tickSize) }.max() ?? 0
        return (margin + labelSize + 12 + widest + 8).rounded()
    }

    static func right(overhang: Double) -> Double { width - margin - max(8, overhang) }

    /// Legend entries flowing left to right, wrapping at the canvas edge; returns their height.
    private static func legend(_ names: [String], mark: LegendMark, y: Double) -> (String, Double) {
        let markWidth = mark == .swatch ? 14.0 : 28
        var svg = "", x = margin, row = 0.0
        for (i, name) in names.enumerated() {
            let width = markWidth + 6 + textWidth(name, size: legendSize)
            if x > margin && x + width > Self.width - margin {
                x = margin
                row += 20
            }
            let mid = y + row + 7
            switch mark {
            case .swatch:
                svg += element("rect", ["class": "legend-swatch", "x": px(x), "y": px(mid - 7), "width": "14", "height": "14",
                                        "fill": SeriesStyle.fill(i), "stroke": "#222", "stroke-width": "0.6"])
            case .line:
                svg += element("line", ["class": "legend-line", "x1": px(x), "y1": px(mid), "x2": px(x + 28), "y2": px(mid),
                                        "stroke": SeriesStyle.lineColor(i), "stroke-width": "2.2", "stroke-dasharray": SeriesStyle.dash(i)])
                svg += SeriesStyle.marker(i, x: x + 14, y: mid, tooltip: name, cls: "legend-point")
            }
            svg += element("text", ["class": "legend-entry", "x": px(x + markWidth + 6), "y": px(mid + 4.5), "font-size": "\(legendSize)"],
                           content: escapeXML(name)) + "\n"
            x += width + 22
        }
        return (svg, row + 14)
    }

    func xPosition(_ scale: ChartScale, _ v: Double) -> Double { left + scale.fraction(v) * plotWidth }
    func yPosition(_ scale: ChartScale, _ v: Double) -> Double { bottom - scale.fraction(v) * Self.plotHeight }

    /// Ticks, labels and light grid lines of the vertical axis.
    mutating func drawValueAxis(_ scale: ChartScale) {
        for tick in scale.ticks {
            let y = px(yPosition(scale, tick))
            body += """
                <line class="grid" x1="\(px(left))" y1="\(y)" x2="\(px(right))" y2="\(y)" stroke="#e3e3e3"/>\
                <text class="tick y" x="\(px(left - 8))" y="\(px(yPosition(scale, tick) + 4.5))" text-anchor="end" \
                font-size="\(Self.tickSize)">\(escapeXML(scale.label(tick)))</text>\n
                """
        }
        if scale.hasZeroSlot { axisBreak(x: left, y: bottom - (ChartScale.zeroAt + ChartScale.zeroGap) / 2 * Self.plotHeight, vertical: true) }
    }

    /// Ticks and labels of a numeric horizontal axis, with light vertical grid lines.
    mutating func drawNumericXAxis(_ scale: ChartScale) {
        for tick in scale.ticks {
            let x = xPosition(scale, tick)
            body += """
                <line class="grid" x1="\(px(x))" y1="\(px(top))" x2="\(px(x))" y2="\(px(bottom))" stroke="#e3e3e3"/>

                """
            tickMark(at: x, lines: [scale.label(tick)])
        }
        if scale.hasZeroSlot { axisBreak(x: left + (ChartScale.zeroAt + ChartScale.zeroGap) / 2 * plotWidth, y: bottom, vertical: false) }
    }

    /// A mark under the horizontal axis and its label lines, centred on `x`.
    mutating func tickMark(at x: Double, lines: [String], size: Double = tickSize, from line: Int = 0) {
        body += "<line class=\"tick\" x1=\"\(px(x))\" y1=\"\(px(bottom))\" x2=\"\(px(x))\" y2=\"\(px(bottom + 5))\" stroke=\"#222\"/>"
        tickLabel(at: x, lines: lines, size: size, from: line)
    }

    /// Label lines under the axis, the first on line `from` (0 is right under the axis).
    mutating func tickLabel(at x: Double, lines: [String], size: Double = tickSize, from line: Int = 0,
                            cls: String = "tick x", weight: String = "normal") {
        for (n, text) in lines.enumerated() {
            let y = bottom + 20 + Double(line + n) * Self.tickLineHeight
            body += """
                <text class="\(cls)" x="\(px(x))" y="\(px(y))" text-anchor="middle" font-size="\(size)" \
                font-weight="\(weight)">\(escapeXML(text))</text>\n
                """
        }
    }

    /// Two slanted strokes across an axis where a log axis skips from 0 to its first decade.
    private mutating func axisBreak(x: Double, y: Double, vertical: Bool) {
        let (across, along) = (14.0, 6.0)
        let (w, h) = vertical ? (across, along) : (along, across)
        overlay += element("rect", ["class": "axis-break", "x": px(x - w / 2), "y": px(y - h / 2), "width": px(w), "height": px(h), "fill": "white"])
        let (dx, dy) = vertical ? (across / 2 - 1, along / 2) : (along / 2, across / 2 - 1)
        for side in [-1.0, 1] {
            let cx = vertical ? x : x + side * along / 2, cy = vertical ? y + side * along / 2 : y
            overlay += element("line", ["class": "axis-break", "x1": px(cx - dx), "y1": px(cy + dy), "x2": px(cx + dx), "y2": px(cy - dy), "stroke": "#222"])
        }
        overlay += "\n"
    }

    /// The axis lines go over the grid and the marks; the canvas ends under the axis label.
    func finish() -> String {
        let labelY = bottom + 20 + Double(xTickLines) * Self.tickLineHeight + 10
        let height = (labelY + Self.margin).rounded()
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(height))" font-family="\(Self.fontFamily)" font-size="\(Self.tickSize)" fill="#222">
            <rect width="100%" height="100%" fill="white"/>

            """ + head + body + """
            <line class="axis" x1="\(px(left))" y1="\(px(bottom))" x2="\(px(right))" y2="\(px(bottom))" stroke="#222"/>
            <line class="axis" x1="\(px(left))" y1="\(px(top))" x2="\(px(left))" y2="\(px(bottom))" stroke="#222"/>
            \(overlay)<text class="axis-label x" x="\(px((left + right) / 2))" y="\(px(labelY))" text-anchor="middle" \
            font-size="\(Self.labelSize)">\(escapeXML(xLabel))</text>
            </svg>

            """
    }
}
